package io.github.ratelimiter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

class LocalDynamoDbServerTest {

  @Test
  void aKilledServerRestartsOnTheSamePortWithItsData(@TempDir Path data) {
    try (LocalDynamoDbServer server = LocalDynamoDbServer.builder().dataDirectory(data).start();
        DynamoDbClient client = LocalDynamoDb.testClientBuilder(server.endpoint()).maxAttempts(1).build()) {
      client.createTable(t -> t.tableName("kept")
          .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
          .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
          .billingMode("PAY_PER_REQUEST"));
      // dynalite answers CreateTable with CREATING and refuses writes until the table is ACTIVE
      client.waiter().waitUntilTableExists(w -> w.tableName("kept"));
      client.putItem(p -> p.tableName("kept").item(Map.of("id", AttributeValue.fromS("a"))));
      int port = server.port();

      server.kill();
      assertThat(server.isRunning()).isFalse();
      assertThatThrownBy(client::listTables).isInstanceOf(SdkClientException.class);

      server.restart();
      assertThat(server.port()).isEqualTo(port);
      assertThat(server.isRunning()).isTrue();
      // the same client, unchanged, finds the table and the item again
      assertThat(client.getItem(g -> g.tableName("kept").key(Map.of("id", AttributeValue.fromS("a")))
          .consistentRead(true)).item()).containsEntry("id", AttributeValue.fromS("a"));
    }
  }

  @Test
  void anInMemoryServerStartsEmptyAfterARestart() {
    try (LocalDynamoDbServer server = LocalDynamoDbServer.start();
        DynamoDbClient client = LocalDynamoDb.client(server.endpoint())) {
      client.createTable(t -> t.tableName("lost")
          .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
          .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
          .billingMode("PAY_PER_REQUEST"));
      server.restart();
      assertThat(client.listTables().tableNames()).doesNotContain("lost");
      assertThat(server.dataDirectory()).isNull();
    }
  }

  @Test
  void aBadPortIsNamed() {
    assertThatThrownBy(() -> LocalDynamoDbServer.builder().port(70000))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("port must be from 0 to 65535: 70000");
  }
}
