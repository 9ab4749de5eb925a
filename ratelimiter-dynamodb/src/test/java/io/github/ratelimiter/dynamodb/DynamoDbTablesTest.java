package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

class DynamoDbTablesTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  @Test
  void createsThePythonSchemasIdempotentlyAndDeletesThem() {
    TableNames names = TableNames.of(LocalDynamoDb.uniqueName("schema"));
    try (DynamoDbClient client = DYNAMO.newClient()) {
      assertThat(DynamoDbTables.createIfMissing(client, names)).containsExactly(
          names.fungibleTable(), names.limitTable(), names.nonFungibleTable());
      assertThat(DynamoDbTables.createIfMissing(client, names)).isEmpty();

      TableDescription tokens = client.describeTable(b -> b.tableName(names.nonFungibleTable())).table();
      assertThat(tokens.keySchema()).extracting(k -> k.attributeName() + ":" + k.keyType())
          .containsExactly("resourceCoordinate:" + KeyType.HASH, "reservationId:" + KeyType.RANGE);
      assertThat(tokens.globalSecondaryIndexes()).singleElement().satisfies(index -> {
        assertThat(index.indexName()).isEqualTo(names.resourceIndex());
        assertThat(index.keySchema().get(0).attributeName()).isEqualTo("resourceId");
      });
      TableDescription limits = client.describeTable(b -> b.tableName(names.limitTable())).table();
      assertThat(limits.globalSecondaryIndexes()).singleElement()
          .satisfies(index -> assertThat(index.keySchema().get(0).attributeName()).isEqualTo("serviceName"));
      TableDescription fungible = client.describeTable(b -> b.tableName(names.fungibleTable())).table();
      assertThat(fungible.keySchema()).extracting(k -> k.attributeName())
          .containsExactly("resourceName", "accountId");

      assertThat(DynamoDbTables.describe(client, names)).extracting(DynamoDbTables.TableInfo::status)
          .containsOnly("ACTIVE");
      assertThat(DynamoDbTables.deleteIfExists(client, names)).hasSize(3);
      assertThat(DynamoDbTables.describe(client, names)).extracting(DynamoDbTables.TableInfo::status)
          .containsOnly("MISSING");
    }
  }
}
