package io.github.ratelimiter.dynamodb.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The compiled module descriptor exports the API and nothing of {@code internal}. */
class ModuleDescriptorTest {

  @Test
  void exportsTheApiAndNoInternalPackage() throws Exception {
    Path classes = Path.of(DynamoDbClients.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertThat(descriptor.name()).isEqualTo("io.github.ratelimiter.dynamodb.client");
    assertThat(descriptor.exports()).extracting(Exports::source)
        .containsExactly("io.github.ratelimiter.dynamodb.client");
    // the internal package exists, so the assertion above is about it
    assertThat(classes.resolve("io/github/ratelimiter/dynamodb/client/internal/DurationText.class")).exists();
  }
}
