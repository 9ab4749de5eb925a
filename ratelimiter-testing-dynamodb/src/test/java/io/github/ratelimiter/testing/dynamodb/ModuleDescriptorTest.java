package io.github.ratelimiter.testing.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleDescriptor.Requires;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The compiled module descriptor exports the one package of the DynamoDB test kit, opens nothing (it holds no test
 * classes for an engine to reflect on) and does not require the store-independent kit: a DynamoDB test needs the
 * contracts only when it runs them.
 */
class ModuleDescriptorTest {

  @Test
  void exportsTheDynamoDbTestKitPackageOnly() throws Exception {
    Path classes = Path.of(LocalDynamoDb.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter.testing.dynamodb");
    assertThat(descriptor.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
    assertThat(descriptor.exports()).extracting(Exports::source)
        .containsExactly("io.github.ratelimiter.testing.dynamodb");
    assertThat(descriptor.opens()).isEmpty();
    assertThat(descriptor.requires()).extracting(Requires::name)
        .contains("io.github.ratelimiter.local", "software.amazon.awssdk.services.dynamodb")
        .doesNotContain("io.github.ratelimiter.testing");
  }
}
