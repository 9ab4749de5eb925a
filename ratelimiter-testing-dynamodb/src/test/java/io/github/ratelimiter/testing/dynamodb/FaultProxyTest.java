package io.github.ratelimiter.testing.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

class FaultProxyTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private final String table = LocalDynamoDb.uniqueName("proxy");
  private FaultProxy proxy;
  private DynamoDbClient client;

  @BeforeEach
  void setUp() {
    proxy = FaultProxy.start(DYNAMO.endpoint());
    // one attempt per call, so that each injected fault shows as it is
    client = LocalDynamoDb.testClientBuilder(proxy.endpoint()).maxAttempts(1).build();
    client.createTable(t -> t.tableName(table)
        .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH), k -> k.attributeName("sk").keyType(KeyType.RANGE))
        .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S),
            a -> a.attributeName("sk").attributeType(ScalarAttributeType.S))
        .billingMode("PAY_PER_REQUEST"));
    // dynalite answers CreateTable with CREATING and refuses reads and writes until the table is ACTIVE
    client.waiter().waitUntilTableExists(w -> w.tableName(table));
  }

  @AfterEach
  void tearDown() {
    client.close();
    proxy.close();
  }

  private static Map<String, AttributeValue> key(String pk) {
    return Map.of("pk", AttributeValue.fromS(pk), "sk", AttributeValue.fromS("s"));
  }

  private void increment(String pk) {
    client.updateItem(u -> u.tableName(table).key(key(pk)).updateExpression("ADD n :one")
        .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1"))));
  }

  private long count(String pk) {
    Map<String, AttributeValue> item = client.getItem(g -> g.tableName(table).key(key(pk)).consistentRead(true)).item();
    return item.isEmpty() ? 0 : Long.parseLong(item.get("n").n());
  }

  @Test
  void withoutFaultsRequestsPassUnchanged() {
    increment("a");
    increment("a");
    assertThat(count("a")).isEqualTo(2);
    assertThat(proxy.requests()).isEqualTo(proxy.forwarded()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void throttlingAnswersAreDynamoDbsOwnAndWriteNothing() {
    Fault throughput = Fault.provisionedThroughputExceeded().forOperations("UpdateItem");
    proxy.inject(throughput);
    assertThatThrownBy(() -> increment("a")).isInstanceOf(ProvisionedThroughputExceededException.class);
    assertThat(count("a")).isZero(); // GetItem is not throttled
    proxy.remove(throughput);

    proxy.inject(Fault.throttling());
    assertThatThrownBy(() -> increment("a")).isInstanceOfSatisfying(DynamoDbException.class, e -> {
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
      assertThat(e.statusCode()).isEqualTo(400);
      assertThat(e.isThrottlingException()).isTrue();
    });
    proxy.clearFaults();

    proxy.inject(Fault.serverError());
    assertThatThrownBy(() -> increment("a")).isInstanceOfSatisfying(DynamoDbException.class,
        e -> assertThat(e.statusCode()).isEqualTo(500));
    proxy.clearFaults();
    assertThat(count("a")).isZero();
    assertThat(proxy.injected(Fault.Kind.PROVISIONED_THROUGHPUT_EXCEEDED)).isEqualTo(1);
    assertThat(proxy.injected(Fault.Kind.THROTTLING)).isEqualTo(1);
    assertThat(proxy.injected(Fault.Kind.SERVER_ERROR)).isEqualTo(1);
  }

  @Test
  void aShareOfRequestsIsHit() {
    proxy.inject(Fault.serverError().forOperations("UpdateItem").share(0.3));
    int failed = 0;
    for (int i = 0; i < 200; i++) {
      try {
        increment("a");
      } catch (DynamoDbException e) {
        failed++;
      }
    }
    // binomial(200, 0.3): mean 60, standard deviation 6.5; these bounds are 4.6 deviations out
    assertThat(failed).isBetween(30, 90);
    assertThat(count("a")).isEqualTo(200 - failed);
    assertThat(proxy.injected(Fault.Kind.SERVER_ERROR)).isEqualTo(failed);
  }

  @Test
  void aDroppedResponseLeavesTheWriteAppliedAndADroppedRequestDoesNot() {
    Fault dropResponse = Fault.dropResponse().forOperations("UpdateItem");
    proxy.inject(dropResponse);
    assertThatThrownBy(() -> increment("a")).isInstanceOf(SdkClientException.class);
    proxy.remove(dropResponse);
    assertThat(proxy.injected(Fault.Kind.DROP_RESPONSE)).as("the store answered the dropped write").isEqualTo(1);
    assertThat(count("a")).isEqualTo(1);

    Fault dropRequest = Fault.dropRequest().forOperations("UpdateItem");
    proxy.inject(dropRequest);
    assertThatThrownBy(() -> increment("a")).isInstanceOf(SdkClientException.class);
    proxy.remove(dropRequest);
    assertThat(count("a")).isEqualTo(1);
  }

  @Test
  void aBlackholeNeverAnswersUntilRemoved() {
    Fault blackhole = Fault.blackhole();
    proxy.inject(blackhole);
    try (DynamoDbClient impatient = LocalDynamoDb.testClientBuilder(proxy.endpoint()).maxAttempts(1)
        .attemptTimeout(Duration.ofMillis(200)).callTimeout(Duration.ofMillis(500)).build()) {
      assertThatThrownBy(impatient::listTables).isInstanceOf(ApiCallAttemptTimeoutException.class);
      proxy.remove(blackhole);
      assertThat(client.listTables().tableNames()).contains(table); // answered again (with the patient client)
    }
  }

  @Test
  void latencyIsAddedBeforeForwarding() {
    proxy.inject(Fault.latency(Duration.ofMillis(300)).forOperations("GetItem"));
    long start = System.nanoTime();
    count("a");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(proxy.injected(Fault.Kind.LATENCY)).isEqualTo(1);
  }

  @Test
  void theWriteCeilingThrottlesOneKeyBeyondItsRateAndLeavesOthersAlone() {
    proxy.writeCeiling(10, 10);
    long start = System.nanoTime();
    int admitted = 0;
    int throttled = 0;
    for (int i = 0; i < 40; i++) {
      try {
        increment("hot");
        admitted++;
      } catch (ProvisionedThroughputExceededException e) {
        throttled++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // the burst, plus what 10/s refilled while the loop ran
    assertThat(admitted).isGreaterThanOrEqualTo(10).isLessThanOrEqualTo(10 + (int) Math.ceil(seconds * 10));
    assertThat(throttled).isEqualTo(40 - admitted);
    assertThat(proxy.ceilingThrottles()).isEqualTo(throttled);
    assertThat(count("hot")).isEqualTo(admitted);
    increment("cold"); // another key has its own budget
    assertThat(count("cold")).isEqualTo(1);

    // PutItem finds the key among the item's attributes (key schema learnt with DescribeTable)
    int putsAdmitted = 0;
    long putsStart = System.nanoTime();
    for (int i = 0; i < 30; i++) {
      try {
        client.putItem(p -> p.tableName(table).item(Map.of("pk", AttributeValue.fromS("put"),
            "sk", AttributeValue.fromS("s"), "n", AttributeValue.fromN("1"))));
        putsAdmitted++;
      } catch (ProvisionedThroughputExceededException e) {
        // over the ceiling
      }
    }
    double putSeconds = (System.nanoTime() - putsStart) / 1e9;
    assertThat(putsAdmitted).isGreaterThanOrEqualTo(10)
        .isLessThanOrEqualTo(Math.min(30, 10 + (int) Math.ceil(putSeconds * 10)));

    proxy.noWriteCeiling();
    increment("hot");
    assertThat(count("hot")).isEqualTo(admitted + 1);
  }

  @Test
  void badSettingsAreNamed() {
    assertThatThrownBy(() -> Fault.serverError().share(1.5)).hasMessage("share must be from 0 to 1: 1.5");
    assertThatThrownBy(() -> proxy.writeCeiling(0)).hasMessage("writesPerSecond must be at least 1: 0");
    assertThatThrownBy(() -> Fault.latency(Duration.ofMillis(-1))).hasMessageContaining("latency must not be negative");
  }
}
