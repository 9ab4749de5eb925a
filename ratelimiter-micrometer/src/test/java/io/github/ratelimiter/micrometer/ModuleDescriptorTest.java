package io.github.ratelimiter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The compiled module descriptor exports the meters' package, unqualified, and opens nothing. */
class ModuleDescriptorTest {

  @Test
  void exportsTheApiOnly() throws Exception {
    Path classes = Path.of(RateLimiterMetrics.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter.micrometer");
    assertThat(descriptor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    assertThat(descriptor.exports()).extracting(Exports::source).containsExactly("io.github.ratelimiter.micrometer");
    assertThat(descriptor.opens()).isEmpty();
  }
}
