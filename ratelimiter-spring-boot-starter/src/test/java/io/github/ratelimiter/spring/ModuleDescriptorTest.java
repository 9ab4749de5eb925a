package io.github.ratelimiter.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Opens;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The compiled module descriptor exports the starter's API only (neither the auto-configurations nor
 * {@code internal}) and opens all three packages to Spring's reflection.
 */
class ModuleDescriptorTest {

  @Test
  void exportsTheApiOnlyAndOpensEveryPackageToSpring() throws Exception {
    Path classes = Path.of(RateLimited.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter.spring");
    assertThat(descriptor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    assertThat(descriptor.exports()).extracting(Exports::source).containsExactly("io.github.ratelimiter.spring");
    assertThat(descriptor.opens()).allSatisfy(o -> assertThat(o.isQualified()).isFalse());
    assertThat(descriptor.opens()).extracting(Opens::source).containsExactlyInAnyOrderElementsOf(descriptor.packages())
        .containsExactlyInAnyOrder("io.github.ratelimiter.spring", "io.github.ratelimiter.spring.autoconfigure",
            "io.github.ratelimiter.spring.internal");
  }
}
