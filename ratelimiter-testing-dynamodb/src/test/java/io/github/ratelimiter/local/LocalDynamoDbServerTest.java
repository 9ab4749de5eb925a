package io.github.ratelimiter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.local.LocalDynamoDbServer.Implementation;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The local servers as processes: kill, restart, data on disk, a request abandoned mid-body. Tests that start
 * {@link LocalDynamoDb#serverBuilder()} run on dynalite by default and on moto under {@code -Pmoto}.
 */
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
    try (LocalDynamoDbServer server = LocalDynamoDb.serverBuilder().start();
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

  /**
   * What the SDK's attempt timeout does on a loaded machine: a POST announcing 1,000 bytes, a few of them sent, then
   * the connection closed. dynalite 4.0.0 rethrows the request's 'aborted' error and exits; the server must instead
   * lose that one request and answer the next.
   */
  @Test
  void aRequestAbandonedMidBodyLosesOnlyThatRequest() throws IOException {
    try (LocalDynamoDbServer server = LocalDynamoDb.serverBuilder().start();
        DynamoDbClient client = LocalDynamoDb.testClientBuilder(server.endpoint()).maxAttempts(1).build()) {
      for (int i = 0; i < 3; i++) {
        abandonARequestMidBody(server.port());
        assertThat(client.listTables().tableNames()).as("answered after abandoned request %d", i).isNotNull();
      }
      assertThat(server.isRunning()).isTrue();
    }
  }

  private static void abandonARequestMidBody(int port) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
          + "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
          + "Content-Length: 1000\r\n\r\n{\"Lim").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
  }

  @Test
  @EnabledIfSystemProperty(named = LocalDynamoDb.SERVER_PROPERTY, matches = "moto")
  void motoServesTheDynamoDbApiAndRestartsEmptyOnTheSamePort() {
    try (LocalDynamoDbServer server = LocalDynamoDbServer.builder().implementation(Implementation.MOTO).start();
        DynamoDbClient client = LocalDynamoDb.client(server.endpoint())) {
      assertThat(server.implementation()).isEqualTo(Implementation.MOTO);
      assertThat(server).hasToString("moto at " + server.endpoint() + " (in memory)");
      client.createTable(t -> t.tableName("m")
          .keySchema(k -> k.attributeName("id").keyType(KeyType.HASH))
          .attributeDefinitions(a -> a.attributeName("id").attributeType(ScalarAttributeType.S))
          .billingMode("PAY_PER_REQUEST"));
      client.putItem(p -> p.tableName("m").item(Map.of("id", AttributeValue.fromS("a"))));
      assertThat(client.getItem(g -> g.tableName("m").key(Map.of("id", AttributeValue.fromS("a")))
          .consistentRead(true)).item()).containsEntry("id", AttributeValue.fromS("a"));
      int port = server.port();
      server.kill();
      assertThat(server.isRunning()).isFalse();
      server.restart();
      assertThat(server.port()).isEqualTo(port);
      assertThat(client.listTables().tableNames()).isEmpty();
    }
  }

  @Test
  void motoRefusesADataDirectory(@TempDir Path data) {
    assertThatThrownBy(() -> LocalDynamoDbServer.builder().implementation(Implementation.MOTO).dataDirectory(data)
        .start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("moto keeps its tables in memory only")
        .hasMessageContaining(data.toString());
  }

  @Test
  void implementationsAreNamedCaseInsensitivelyAndAnUnknownNameListsTheKnownOnes() {
    assertThat(Implementation.named(" MOTO ")).isEqualTo(Implementation.MOTO);
    assertThat(Implementation.named("dynalite")).isEqualTo(Implementation.DYNALITE);
    assertThatThrownBy(() -> Implementation.named("dynamodb-local"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no local DynamoDB server named 'dynamodb-local': use dynalite or moto");
  }

  @Test
  void aBadPortIsNamed() {
    assertThatThrownBy(() -> LocalDynamoDbServer.builder().port(70000))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("port must be from 0 to 65535: 70000");
  }
}
