package io.github.ratelimiter.testing.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.local.LocalDynamoDbServer.Implementation;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;

/**
 * Where the local servers differ from DynamoDB's documented behaviour (the API reference) and from each other: one
 * test per row of the table in {@code docs/testing.md}, each asserting what the server the tests run on does
 * (dynalite by default, moto with {@code -Pmoto}, DynamoDB's documented answer on {@code DYNAMODB_ENDPOINT}). An
 * upgrade of either server that changes a row fails here, and the table must change with it.
 */
class ServerDifferencesTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  /**
   * Two table keys of one partition whose index entries collide on dynalite: it keys an index entry by the index key
   * and the first 6 hex digits of md5("Outliers" + hash key + range key) of the item's table key, so one item hides
   * the other. Found by trying {@code acct-0}, {@code acct-1}, ... under hash key {@code api}.
   */
  private static final List<String> COLLIDING_ACCOUNTS = List.of("acct-5879", "acct-7886");

  private final Optional<Implementation> server = LocalDynamoDb.implementation();
  private DynamoDbClient client;
  private String table;

  @BeforeEach
  void createTable() {
    client = DYNAMO.newClient();
    table = LocalDynamoDb.uniqueName("differences");
    client.createTable(t -> t.tableName(table)
        .keySchema(k -> k.attributeName("r").keyType(KeyType.HASH), k -> k.attributeName("a").keyType(KeyType.RANGE))
        .attributeDefinitions(
            d -> d.attributeName("r").attributeType(ScalarAttributeType.S),
            d -> d.attributeName("a").attributeType(ScalarAttributeType.S),
            d -> d.attributeName("s").attributeType(ScalarAttributeType.S))
        .globalSecondaryIndexes(i -> i.indexName("by-s").keySchema(k -> k.attributeName("s").keyType(KeyType.HASH))
            .projection(p -> p.projectionType(ProjectionType.ALL)))
        .billingMode("PAY_PER_REQUEST"));
    client.waiter().waitUntilTableExists(w -> w.tableName(table));
  }

  @AfterEach
  void dropTable() {
    client.deleteTable(d -> d.tableName(table));
    client.close();
  }

  /** What DynamoDB documents, else what the local server does. */
  private <T> T expected(T dynamoDb, T dynalite, T moto) {
    return server.map(s -> s == Implementation.MOTO ? moto : dynalite).orElse(dynamoDb);
  }

  private static Map<String, AttributeValue> key(String account) {
    return Map.of("r", AttributeValue.fromS("api"), "a", AttributeValue.fromS(account));
  }

  @Test
  void aFailedConditionReturnsTheStoredItemWhenAskedExceptOnDynalite() {
    client.putItem(p -> p.tableName(table).item(Map.of("r", AttributeValue.fromS("api"), "a",
        AttributeValue.fromS("x"), "n", AttributeValue.fromN("5"))));
    assertThatThrownBy(() -> client.updateItem(u -> u.tableName(table).key(key("x"))
        .updateExpression("SET #n = :one").conditionExpression("#n < :zero")
        .expressionAttributeNames(Map.of("#n", "n"))
        .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"), ":zero", AttributeValue.fromN("0")))
        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
        .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> {
          assertThat(e.hasItem()).isEqualTo(expected(true, false, true));
          if (e.hasItem()) {
            assertThat(e.item()).containsEntry("n", AttributeValue.fromN("5"));
          }
        });
    // an absent item: nothing to return, on every server
    assertThatThrownBy(() -> client.updateItem(u -> u.tableName(table).key(key("absent"))
        .updateExpression("SET #n = :one").conditionExpression("attribute_exists(#n)")
        .expressionAttributeNames(Map.of("#n", "n")).expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1")))
        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)))
        .isInstanceOfSatisfying(ConditionalCheckFailedException.class, e -> assertThat(e.hasItem()).isFalse());
  }

  @Test
  void updatedNewReturnsOnlyTheUpdatedAttributesExceptOnMotoWhichAddsTheKey() {
    Map<String, AttributeValue> returned = client.updateItem(u -> u.tableName(table).key(key("y"))
        .updateExpression("SET #n = :one").expressionAttributeNames(Map.of("#n", "n"))
        .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1")))
        .returnValues(ReturnValue.UPDATED_NEW)).attributes();
    assertThat(returned.keySet()).isEqualTo(expected(Set.of("n"), Set.of("n"),
        Set.of("n", "r", "a")));
  }

  @Test
  void aStronglyConsistentQueryOfAGlobalSecondaryIndexIsRefusedEverywhere() {
    assertThatThrownBy(() -> client.query(q -> q.tableName(table).indexName("by-s")
        .keyConditionExpression("#s = :s").expressionAttributeNames(Map.of("#s", "s"))
        .expressionAttributeValues(Map.of(":s", AttributeValue.fromS("svc"))).consistentRead(true)))
        .isInstanceOfSatisfying(DynamoDbException.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"))
        .hasMessageContaining("Consistent reads are not supported on global secondary indexes");
  }

  @Test
  void timeToLiveCanBeEnabledExceptOnDynalite() {
    boolean updated;
    try {
      client.updateTimeToLive(u -> u.tableName(table)
          .timeToLiveSpecification(s -> s.enabled(true).attributeName("expirationTime")));
      updated = true;
    } catch (DynamoDbException e) {
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnknownOperationException");
      updated = false;
    }
    assertThat(updated).isEqualTo(expected(true, false, true));
    TimeToLiveStatus status = client.describeTimeToLive(d -> d.tableName(table)).timeToLiveDescription()
        .timeToLiveStatus();
    assertThat(status).isIn(expected(List.of(TimeToLiveStatus.ENABLING, TimeToLiveStatus.ENABLED),
        List.of(TimeToLiveStatus.DISABLED), List.of(TimeToLiveStatus.ENABLED)));
  }

  /**
   * DynamoDB deletes expired items on a best-effort basis, typically within two days, and reads return them until
   * then (the UpdateTimeToLive reference); neither local server deletes them.
   */
  @Test
  void anExpiredItemIsStillReadBack() {
    if (server.isEmpty()) {
      return; // on DynamoDB it may or may not be deleted yet: nothing to assert
    }
    if (server.get() == Implementation.MOTO) {
      client.updateTimeToLive(u -> u.tableName(table)
          .timeToLiveSpecification(s -> s.enabled(true).attributeName("expirationTime")));
    }
    long anHourAgo = Instant.now().minusSeconds(3600).getEpochSecond();
    client.putItem(p -> p.tableName(table).item(Map.of("r", AttributeValue.fromS("api"), "a",
        AttributeValue.fromS("old"), "expirationTime", AttributeValue.fromN(Long.toString(anHourAgo)))));
    assertThat(client.getItem(g -> g.tableName(table).key(key("old")).consistentRead(true)).hasItem()).isTrue();
  }

  @Test
  void transactionsExistExceptOnDynalite() {
    boolean written;
    try {
      client.transactWriteItems(t -> t.transactItems(i -> i.put(p -> p.tableName(table).item(key("tx")))));
      written = true;
    } catch (DynamoDbException e) {
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnknownOperationException");
      written = false;
    }
    assertThat(written).isEqualTo(expected(true, false, true));
  }

  @Test
  void everyItemWithTheIndexKeyIsInTheIndexExceptOnDynaliteWhereTwoTableKeysCanCollide() {
    for (String account : COLLIDING_ACCOUNTS) {
      client.putItem(p -> p.tableName(table).item(Map.of("r", AttributeValue.fromS("api"), "a",
          AttributeValue.fromS(account), "s", AttributeValue.fromS("svc"))));
    }
    List<String> indexed = client.query(q -> q.tableName(table).indexName("by-s")
            .keyConditionExpression("#s = :s").expressionAttributeNames(Map.of("#s", "s"))
            .expressionAttributeValues(Map.of(":s", AttributeValue.fromS("svc"))))
        .items().stream().map(item -> item.get("a").s()).toList();
    assertThat(indexed).hasSize(expected(2, 1, 2));
    // the table itself holds both on every server
    assertThat(client.query(q -> q.tableName(table).keyConditionExpression("#r = :r")
        .expressionAttributeNames(Map.of("#r", "r")).expressionAttributeValues(Map.of(":r", AttributeValue.fromS("api")))
        .consistentRead(true)).count()).isEqualTo(2);
  }
}
