package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Opens;
import java.lang.module.ModuleDescriptor.Requires;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The compiled module descriptor exports and opens the one package of the test kit (the contracts are JUnit
 * classes a test engine reflects on) and requires no module that has only a file-name-derived name, and no AWS
 * module: a store author on another database must not pull in the AWS SDK.
 */
class ModuleDescriptorTest {

  @Test
  void exportsAndOpensTheTestKitPackage() throws Exception {
    Path classes = Path.of(ManualClock.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter.testing");
    assertThat(descriptor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    assertThat(descriptor.exports()).extracting(Exports::source).containsExactly("io.github.ratelimiter.testing");
    assertThat(descriptor.opens()).allSatisfy(o -> assertThat(o.isQualified()).isFalse());
    assertThat(descriptor.opens()).extracting(Opens::source).containsExactly("io.github.ratelimiter.testing");
    assertThat(descriptor.requires()).extracting(Requires::name)
        .contains("io.github.ratelimiter", "org.junit.jupiter.api").doesNotContain("awaitility")
        .noneMatch(name -> name.startsWith("software.amazon") || name.startsWith("io.github.ratelimiter.dynamodb")
            || name.equals("io.github.ratelimiter.local"));
  }
}
