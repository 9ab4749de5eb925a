package io.github.ratelimiter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The compiled module descriptor exports the API and nothing of {@code internal}. */
class ModuleDescriptorTest {

  @Test
  void exportsTheApiAndNoInternalPackage() throws Exception {
    Path classes = Path.of(RateLimiters.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter");
    assertThat(descriptor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    assertThat(descriptor.exports()).extracting(Exports::source).containsExactlyInAnyOrder("io.github.ratelimiter", "io.github.ratelimiter.store");
    try (Stream<Path> files = Files.walk(classes)) {
      // The internal packages exist (so the assertion above is about them) and javac accepted the descriptor.
      assertThat(files.filter(f -> f.toString().endsWith(".class")).map(f -> classes.relativize(f.getParent())))
          .anyMatch(dir -> dir.endsWith("internal"));
    }
  }
}
