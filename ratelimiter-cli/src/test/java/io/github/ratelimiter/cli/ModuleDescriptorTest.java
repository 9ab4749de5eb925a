package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Opens;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The compiled module descriptor exports nothing (the tool has no API) and opens its package to picocli only. */
class ModuleDescriptorTest {

  @Test
  void exportsNothingAndOpensTheCommandsToPicocliOnly() throws Exception {
    Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter.cli");
    assertThat(descriptor.exports()).isEmpty();
    assertThat(descriptor.opens()).singleElement().satisfies(o -> {
      assertThat(o.source()).isEqualTo("io.github.ratelimiter.cli");
      assertThat(o.targets()).containsExactly("info.picocli");
    });
    assertThat(descriptor.opens()).extracting(Opens::isQualified).containsExactly(true);
  }
}
