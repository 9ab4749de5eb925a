package io.github.ratelimiter.lambda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.events.EventProcessorManager;
import io.github.ratelimiter.events.EventRules;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The handler against a DynamoDB-compatible server, with the bundled rules and the event documents in
 * {@code src/test/resources/events}, written from the formats AWS documents for each event.
 */
class TokenReleaseHandlerTest {

  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static DynamoDbClient client;
  private static TableNames tables;

  /** Accounts of this test alone: the tables are shared by the class. */
  private final String account = LocalDynamoDb.uniqueName("acct");
  private final String otherAccount = LocalDynamoDb.uniqueName("acct");
  private DynamoDbStore store;
  private RateLimiters limiters;
  private TokenReleaseHandler handler;

  @BeforeAll
  static void createTables() {
    client = DYNAMO.newClient();
    tables = TableNames.of(LocalDynamoDb.uniqueName("events"));
    DynamoDbTables.createIfMissing(client, tables);
  }

  @AfterAll
  static void closeClient() {
    DynamoDbTables.deleteIfExists(client, tables);
    client.close();
  }

  @BeforeEach
  void setUp() {
    store = DynamoDbStore.builder().client(client).tableNames(tables).build();
    limiters = RateLimiters.builder().store(store).build();
    handler = handler(MissingTokenPolicy.ACKNOWLEDGE);
  }

  private TokenReleaseHandler handler(MissingTokenPolicy policy) {
    EventProcessorManager manager = EventProcessorManager.builder().store(store)
        .processors(EventRules.fromResource(TokenReleaseHandler.DEFAULT_RULES_RESOURCE)).build();
    return new TokenReleaseHandler(manager, policy);
  }

  static String fixture(String name) {
    try (InputStream in = TokenReleaseHandlerTest.class.getResourceAsStream("/events/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode invoke(TokenReleaseHandler handler, String input) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      handler.handleRequest(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, null);
      return MAPPER.readTree(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A unique resource id, so that tests sharing the tables never touch one another's tokens. */
  private static String unique(String id) {
    return LocalDynamoDb.uniqueName(id);
  }

  /** The fixture with its resource id (and event id) replaced by unique ones. */
  private static String withIds(String fixture, String originalId, String newId) {
    return fixture(fixture).replace(originalId, newId)
        .replaceFirst("\"id\": \"[^\"]+\"", "\"id\": \"" + unique("event") + "\"");
  }

  private List<String> tokens(NonFungibleLimiter limiter, String account) {
    return limiter.activeTokens(account).stream().map(ActiveToken::resourceId).toList();
  }

  static Stream<Arguments> fixtures() {
    return Stream.of(
        // fixture, limiter, resource id in the fixture, whether the bundled rules release it
        Arguments.of("emr-cluster-starting.json", "emr-cluster", "j-123456789ABCD", false),
        Arguments.of("emr-cluster-running.json", "emr-cluster", "j-123456789ABCD", false),
        Arguments.of("emr-cluster-terminated.json", "emr-cluster", "j-123456789ABCD", true),
        Arguments.of("emr-cluster-terminated-with-errors.json", "emr-cluster", "j-2SUQ9Y2X6NDA7", true),
        Arguments.of("emr-step-failed.json", "emr-step", "s-ZYXWVUTSRQPON", true),
        Arguments.of("ec2-instance-stopped.json", "ec2-instance", "i-abcd1111", false),
        Arguments.of("ec2-instance-terminated.json", "ec2-instance", "i-abcd1111", true),
        Arguments.of("batch-job-runnable.json", "batch-job", "4c7599ae-0a82-49aa-ba5a-4727fcce14a8", false),
        Arguments.of("batch-job-succeeded.json", "batch-job", "4c7599ae-0a82-49aa-ba5a-4727fcce14a8", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void eachDocumentedEventReleasesExactlyItsOwnToken(String fixture, String resourceName, String resourceId,
      boolean releases) {
    NonFungibleLimiter limiter = limiters.nonFungible(resourceName, 10);
    String id = unique(resourceId);
    String sibling = unique(resourceId);
    String elsewhere = unique(resourceId);
    limiter.reserve(account).createToken(id);
    limiter.reserve(account).createToken(sibling);
    limiter.reserve(otherAccount).createToken(elsewhere);

    JsonNode response = invoke(handler, withIds(fixture, resourceId, id));

    assertThat(response.path("outcome").asText()).isEqualTo(releases ? "RELEASED" : "IGNORED");
    assertThat(tokens(limiter, account)).containsExactlyInAnyOrderElementsOf(
        releases ? List.of(sibling) : List.of(id, sibling));
    assertThat(tokens(limiter, otherAccount)).containsExactly(elsewhere);
    if (releases) {
      assertThat(response.path("resourceIds")).containsExactly(MAPPER.getNodeFactory().textNode(id));
      assertThat(response.path("releasedTokens").asInt()).isEqualTo(1);
    }
  }

  @Test
  void aTerminatedClusterWithoutATokenIsAcknowledged() {
    JsonNode response = invoke(handler, withIds("emr-cluster-terminated.json", "j-123456789ABCD", unique("j")));
    assertThat(response.path("outcome").asText()).isEqualTo("NO_MATCHING_TOKEN");
  }

  /** Regression: a lookup miss must not be remembered, so that the redelivery releases the token. */
  @Test
  void aLookupMissFollowedByARedeliveryAfterTheTokenAppearsReleasesIt() {
    String clusterId = unique("j");
    String event = withIds("emr-cluster-terminated.json", "j-123456789ABCD", clusterId);

    assertThat(invoke(handler, event).path("outcome").asText()).isEqualTo("NO_MATCHING_TOKEN");
    NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
    clusters.reserve(account).createToken(clusterId);
    assertThat(invoke(handler, event).path("outcome").asText()).isEqualTo("RELEASED");
    assertThat(invoke(handler, event).path("outcome").asText()).isEqualTo("DUPLICATE");
    assertThat(tokens(clusters, account)).doesNotContain(clusterId);
  }

  static ObjectNode sqsRecord(String messageId, String body) {
    ObjectNode record = MAPPER.createObjectNode();
    record.put("messageId", messageId);
    record.put("receiptHandle", "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a" + messageId);
    record.put("body", body);
    ObjectNode attributes = record.putObject("attributes");
    attributes.put("ApproximateReceiveCount", "1");
    attributes.put("SentTimestamp", "1545082649183");
    attributes.put("SenderId", "AIDAIENQZJOLO23YVJ4VO");
    attributes.put("ApproximateFirstReceiveTimestamp", "1545082649185");
    record.putObject("messageAttributes");
    record.put("md5OfBody", "e4e68fb7bd0e697a0ae8f1bb342846b3");
    record.put("eventSource", "aws:sqs");
    record.put("eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:ratelimiter-events");
    record.put("awsRegion", "us-east-1");
    return record;
  }

  static String batch(ObjectNode... records) {
    ObjectNode batch = MAPPER.createObjectNode();
    ArrayNode array = batch.putArray("Records");
    for (ObjectNode record : records) {
      array.add(record);
    }
    return batch.toString();
  }

  private static List<String> failedIds(JsonNode response) {
    return response.path("batchItemFailures").findValuesAsText("itemIdentifier");
  }

  /** Regression: one bad record must fail alone, and the good records of the batch must still be processed. */
  @Test
  void anSqsBatchWithOneMalformedRecordReportsOnlyThatRecord() {
    NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
    NonFungibleLimiter instances = limiters.nonFungible("ec2-instance", 10);
    String clusterId = unique("j");
    String instanceId = unique("i");
    clusters.reserve(account).createToken(clusterId);
    instances.reserve(account).createToken(instanceId);

    JsonNode response = invoke(handler, batch(
        sqsRecord("m-1", withIds("emr-cluster-terminated.json", "j-123456789ABCD", clusterId)),
        sqsRecord("m-2", "{\"version\": \"0\", \"id\": \"broken\", \"source\": "),
        sqsRecord("m-3", withIds("ec2-instance-terminated.json", "i-abcd1111", instanceId))));

    assertThat(failedIds(response)).containsExactly("m-2");
    assertThat(tokens(clusters, account)).doesNotContain(clusterId);
    assertThat(tokens(instances, account)).doesNotContain(instanceId);
  }

  @Test
  void recordsWithoutASourceOrNotFromSqsFailButUnknownSourcesAreIgnored() {
    ObjectNode notSqs = sqsRecord("m-4", fixture("emr-cluster-running.json"));
    notSqs.put("eventSource", "aws:kinesis");
    ObjectNode noBody = sqsRecord("m-5", "x");
    noBody.remove("body");

    JsonNode response = invoke(handler, batch(
        sqsRecord("m-1", "{\"id\": \"no-source\", \"detail-type\": \"EMR Cluster State Change\", \"detail\": {}}"),
        sqsRecord("m-2", "{\"id\": \"" + unique("e") + "\", \"source\": \"aws.s3\", \"detail-type\": \"Object"
            + " Created\", \"detail\": {}}"),
        sqsRecord("m-3", "[]"),
        notSqs,
        noBody,
        sqsRecord("m-6", withIds("emr-cluster-running.json", "j-123456789ABCD", unique("j")))));

    assertThat(failedIds(response)).containsExactly("m-1", "m-3", "m-4", "m-5");
  }

  @Test
  void anAllGoodBatchReportsNoFailures() {
    JsonNode response = invoke(handler, batch(
        sqsRecord("m-1", withIds("emr-cluster-starting.json", "j-123456789ABCD", unique("j")))));
    assertThat(response.toString()).isEqualTo("{\"batchItemFailures\":[]}");
  }

  @Test
  void underTheRetryPolicyAMissFailsTheRecordOrTheInvocation() {
    TokenReleaseHandler retrying = handler(MissingTokenPolicy.RETRY);
    NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
    String present = unique("j");
    clusters.reserve(account).createToken(present);

    JsonNode response = invoke(retrying, batch(
        sqsRecord("m-1", withIds("emr-cluster-terminated.json", "j-123456789ABCD", unique("j"))),
        sqsRecord("m-2", withIds("emr-cluster-terminated.json", "j-123456789ABCD", present))));
    assertThat(failedIds(response)).containsExactly("m-1");

    assertThatThrownBy(() -> invoke(retrying,
        withIds("emr-cluster-terminated.json", "j-123456789ABCD", unique("j"))))
        .isInstanceOf(TokenReleaseHandler.TokenNotFoundYetException.class)
        .hasMessageContaining("RATELIMITER_MISSING_TOKEN=retry");
  }

  /** A token the Python library wrote (a PutItem, then its create_token UpdateItem) is freed like one of ours. */
  @Test
  void aTokenThePythonLibraryWroteIsReleased() {
    String clusterId = unique("j");
    String reservationId = UUID.randomUUID().toString();
    long now = Instant.now().getEpochSecond();
    Map<String, AttributeValue> key = Map.of(
        "resourceCoordinate", AttributeValue.fromS("emr-cluster:" + account),
        "reservationId", AttributeValue.fromS(reservationId));
    Map<String, AttributeValue> reservation = new HashMap<>(key);
    reservation.put("resourceName", AttributeValue.fromS("emr-cluster"));
    reservation.put("accountId", AttributeValue.fromS(account));
    reservation.put("resourceId", AttributeValue.fromS(reservationId));
    reservation.put("expirationTime", AttributeValue.fromN(Long.toString(now + 300)));
    client.putItem(b -> b.tableName(tables.nonFungibleTable()).item(reservation));
    client.updateItem(b -> b.tableName(tables.nonFungibleTable()).key(key)
        .updateExpression("set expirationTime = :exp_time, resourceId = :resource_id")
        .expressionAttributeValues(Map.of(":exp_time", AttributeValue.fromN(Long.toString(now + 28_800)),
            ":resource_id", AttributeValue.fromS(clusterId))));
    NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
    assertThat(tokens(clusters, account)).containsExactly(clusterId);

    JsonNode response = invoke(handler, withIds("emr-cluster-terminated.json", "j-123456789ABCD", clusterId));

    assertThat(response.path("outcome").asText()).isEqualTo("RELEASED");
    assertThat(response.path("releasedTokens").asInt()).isEqualTo(1);
    assertThat(client.getItem(b -> b.tableName(tables.nonFungibleTable()).key(key).consistentRead(true)).item())
        .as("the Python row is gone").isEmpty();
  }

  @Test
  void aMalformedDirectInvocationIsAnsweredNotThrown() {
    assertThat(invoke(handler, "this is not json").path("outcome").asText()).isEqualTo("MALFORMED");
    assertThat(invoke(handler, "{\"detail\": {}}").path("message").asText())
        .isEqualTo("no string 'source' (found <absent>)");
    assertThat(invoke(handler, "").path("outcome").asText()).isEqualTo("MALFORMED");
  }

  private Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
    env.put("DYNAMODB_ENDPOINT", DYNAMO.endpoint().toString());
    env.put("AWS_REGION", "us-east-1");
    env.put(TableNames.NON_FUNGIBLE_TABLE, tables.nonFungibleTable());
    env.put(TableNames.NON_FUNGIBLE_RES_INDEX, tables.resourceIndex());
    return env;
  }

  @Test
  void theRuntimeConstructorReadsTablesAndDefaultRulesFromTheEnvironment() {
    NonFungibleLimiter instances = limiters.nonFungible("ec2-instance", 10);
    String instanceId = unique("i");
    instances.reserve(account).createToken(instanceId);

    TokenReleaseHandler fromEnvironment = new TokenReleaseHandler(environment());

    JsonNode response = invoke(fromEnvironment, withIds("ec2-instance-terminated.json", "i-abcd1111", instanceId));
    assertThat(response.path("outcome").asText()).isEqualTo("RELEASED");
    assertThat(tokens(instances, account)).doesNotContain(instanceId);
  }

  @Test
  void rulesFromTheEnvironmentReplaceTheBundledOnes() {
    NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
    String clusterId = unique("j");
    clusters.reserve(account).createToken(clusterId);
    Map<String, String> env = environment();
    env.put(TokenReleaseHandler.RULES_VARIABLE, """
        processors:
          - source: aws.emr
            detailType: EMR Cluster State Change
            idPath: detail.clusterId
            when: {path: detail.state, equals: RUNNING}
        """);
    env.put(TokenReleaseHandler.MISSING_TOKEN_VARIABLE, "Retry");
    TokenReleaseHandler custom = new TokenReleaseHandler(env);

    assertThat(invoke(custom, withIds("ec2-instance-terminated.json", "i-abcd1111", unique("i")))
        .path("outcome").asText()).isEqualTo("IGNORED");
    assertThat(invoke(custom, withIds("emr-cluster-running.json", "j-123456789ABCD", clusterId))
        .path("outcome").asText()).isEqualTo("RELEASED");
    assertThatThrownBy(() -> invoke(custom, withIds("emr-cluster-running.json", "j-123456789ABCD", unique("j"))))
        .isInstanceOf(TokenReleaseHandler.TokenNotFoundYetException.class);
  }

  @Test
  void badConfigurationFailsAtStartNamingTheVariable() {
    Map<String, String> badPolicy = environment();
    badPolicy.put(TokenReleaseHandler.MISSING_TOKEN_VARIABLE, "sometimes");
    assertThatThrownBy(() -> new TokenReleaseHandler(badPolicy))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("RATELIMITER_MISSING_TOKEN must be 'acknowledge' or 'retry': 'sometimes'");

    Map<String, String> badRules = environment();
    badRules.put(TokenReleaseHandler.RULES_VARIABLE, "processors: [{source: aws.emr}]");
    assertThatThrownBy(() -> new TokenReleaseHandler(badRules))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("processors[0].idPath");

    assertThatThrownBy(() -> new TokenReleaseHandler(Map.of("AWS_REGION", "us-east-1")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("NON_FUNGIBLE_TABLE");
  }
}
