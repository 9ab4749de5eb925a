package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.EXPIRATION_TIME;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESERVATION_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_COORDINATE;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;

import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.dynamodb.internal.TableChecks;
import io.github.ratelimiter.dynamodb.internal.TableChecks.Described;
import io.github.ratelimiter.dynamodb.internal.TableChecks.Expected;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveDescription;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Examines the tables and the caller's permissions, for {@code ratelimiter doctor}: each table's existence, status,
 * key schema and index, the fungible and non-fungible tables' TTL, and, for every IAM action the README's Permissions table
 * lists, whether the caller may call it.
 *
 * <p>Permissions are probed with calls that cannot change anything: reads of a key no limiter uses
 * ({@value #PROBE_KEY}), conditional writes and deletes whose condition cannot hold on it (DynamoDB answers a failed
 * condition only after authorizing the call, so that answer means "permitted"), a batch delete of that absent key,
 * and a CreateTable of a table that exists. {@code UpdateTimeToLive} is not probed: no call of it is harmless. A
 * failed condition still costs a write unit on DynamoDB; a run costs a few.
 *
 * <pre>{@code
 * for (DynamoDbDoctor.Finding f : DynamoDbDoctor.examine(client, TableNames.fromEnvironment())) {
 *   System.out.println(f.verdict() + " " + f.subject() + ": " + f.detail());
 * }
 * }</pre>
 */
public final class DynamoDbDoctor {

  /** The partition key value of every probe: no limiter resource or coordinate is named like this. */
  public static final String PROBE_KEY = "__ratelimiter_doctor_probe__";

  private static final Set<String> DENIED_CODES = Set.of("AccessDeniedException", "UnrecognizedClientException",
      "InvalidSignatureException", "MissingAuthenticationTokenException", "ExpiredTokenException");

  /** A condition that holds for no item: the write is authorized, then refused. */
  private static final String IMPOSSIBLE = "attribute_exists(#k) AND attribute_not_exists(#k)";

  /** What a finding says. */
  public enum Verdict {
    /** As it should be. */
    OK,
    /** Works, but not as on DynamoDB, or could not be determined; say why in the detail. */
    WARN,
    /** Broken: the library will fail on this. */
    FAIL
  }

  /**
   * One line of the examination.
   *
   * @param subject what was examined, e.g. {@code limit table: dynamodb:Query}
   * @param verdict the verdict
   * @param detail what was found, for people
   */
  public record Finding(String subject, Verdict verdict, String detail) {
    /** Validates the fields. */
    public Finding {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(verdict, "verdict");
      Objects.requireNonNull(detail, "detail");
    }
  }

  private DynamoDbDoctor() {}

  /**
   * Examines every configured table. Never throws for a store failure: an unreachable store or a denied call is a
   * finding.
   */
  public static List<Finding> examine(DynamoDbClient client, TableNames names) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(names, "names");
    List<Finding> findings = new ArrayList<>();
    for (Expected table : TableChecks.expected(names.fungibleTable(), names.limitTable(), names.limitServiceIndex(),
        names.nonFungibleTable(), names.resourceIndex())) {
      Described described = TableChecks.describe(client, table);
      String role = table.role();
      if (described.description().isEmpty()) {
        findings.add(new Finding(role, Verdict.FAIL, described.error().orElse("unknown")));
        continue;
      }
      TableDescription description = described.description().get();
      StoreHealth.Check health = TableChecks.check(described);
      findings.add(new Finding(role, health.ok() ? Verdict.OK : Verdict.FAIL,
          health.ok() ? "'" + table.name() + "' " + description.tableStatusAsString() : health.detail()));
      findings.add(keySchema(table, description));
      if (table.indexName() != null) {
        findings.add(index(table, description));
      }
      if (table.name().equals(names.nonFungibleTable()) || table.name().equals(names.fungibleTable())) {
        findings.add(timeToLive(client, table));
      }
      findings.addAll(permissions(client, table, names));
    }
    return findings;
  }

  /** Whether any finding is {@link Verdict#FAIL}. */
  public static boolean failed(List<Finding> findings) {
    return findings.stream().anyMatch(f -> f.verdict() == Verdict.FAIL);
  }

  private static Finding keySchema(Expected table, TableDescription description) {
    String keys = TableChecks.keySchema(description.keySchema());
    String wanted = table.hashKey() + " HASH, " + table.rangeKey() + " RANGE";
    return keys.equals(wanted)
        ? new Finding(table.role() + ": key schema", Verdict.OK, keys)
        : new Finding(table.role() + ": key schema", Verdict.FAIL, keys + "; expected " + wanted);
  }

  private static Finding index(Expected table, TableDescription description) {
    String subject = table.role() + ": index " + table.indexName();
    Optional<GlobalSecondaryIndexDescription> index = TableChecks.index(description, table.indexName());
    if (index.isEmpty()) {
      List<String> others = description.globalSecondaryIndexes().stream()
          .map(GlobalSecondaryIndexDescription::indexName).toList();
      return new Finding(subject, Verdict.FAIL, "missing" + (others.isEmpty() ? "" : "; the table has " + others));
    }
    String keys = TableChecks.keySchema(index.get().keySchema());
    String projection = index.get().projection() == null ? "?" : index.get().projection().projectionTypeAsString();
    String status = index.get().indexStatusAsString();
    String found = keys + ", projection " + projection + (status == null ? "" : ", " + status);
    if (!keys.equals(table.indexHashKey() + " HASH")) {
      return new Finding(subject, Verdict.FAIL, found + "; expected " + table.indexHashKey() + " HASH");
    }
    if (!"ALL".equals(projection)) {
      return new Finding(subject, Verdict.FAIL, found + "; expected projection ALL (queries read whole rows)");
    }
    return new Finding(subject, Verdict.OK, found);
  }

  private static Finding timeToLive(DynamoDbClient client, Expected table) {
    String subject = table.role() + ": TTL";
    try {
      TimeToLiveDescription ttl =
          client.describeTimeToLive(b -> b.tableName(table.name())).timeToLiveDescription();
      String status = ttl == null ? "DISABLED" : ttl.timeToLiveStatusAsString();
      String attribute = ttl == null ? null : ttl.attributeName();
      if ("ENABLED".equals(status) || "ENABLING".equals(status)) {
        return EXPIRATION_TIME.equals(attribute)
            ? new Finding(subject, Verdict.OK, status + " on " + attribute)
            : new Finding(subject, Verdict.FAIL, status + " on " + attribute + "; expected " + EXPIRATION_TIME);
      }
      return new Finding(subject, Verdict.WARN, status + ": readers ignore expired rows, but nothing deletes them;"
          + " enable TTL on " + EXPIRATION_TIME + " (a local server without UpdateTimeToLive, such as dynalite,"
          + " always says DISABLED)");
    } catch (AwsServiceException e) {
      String code = code(e);
      if ("UnknownOperationException".equals(code)) {
        return new Finding(subject, Verdict.WARN, "the server has no DescribeTimeToLive (a local test server):"
            + " readers ignore expired rows, so the limits hold; on DynamoDB enable TTL on " + EXPIRATION_TIME);
      }
      return new Finding(subject, DENIED_CODES.contains(code) ? Verdict.FAIL : Verdict.WARN,
          "DescribeTimeToLive failed: " + code + ": " + e.awsErrorDetails().errorMessage());
    } catch (SdkException e) {
      return new Finding(subject, Verdict.WARN, "DescribeTimeToLive failed: " + e.getMessage());
    }
  }

  /** One harmless call per action that the README lists for the table. */
  private static List<Finding> permissions(DynamoDbClient client, Expected table, TableNames names) {
    String name = table.name();
    String role = table.role();
    List<Finding> findings = new ArrayList<>();
    findings.add(permitted(role, "dynamodb:DescribeTable", () -> client.describeTable(b -> b.tableName(name))));
    if (name.equals(names.fungibleTable())) {
      Map<String, AttributeValue> key = Map.of(RESOURCE_NAME, s(PROBE_KEY), ACCOUNT_ID, s(PROBE_KEY));
      findings.add(permitted(role, "dynamodb:GetItem", () -> client.getItem(b -> b.tableName(name).key(key))));
      findings.add(permitted(role, "dynamodb:UpdateItem", () -> client.updateItem(b -> b.tableName(name).key(key)
          .updateExpression("SET #probe = :probe").conditionExpression(IMPOSSIBLE)
          .expressionAttributeNames(Map.of("#k", RESOURCE_NAME, "#probe", "probe"))
          .expressionAttributeValues(Map.of(":probe", s(PROBE_KEY))))));
    } else if (name.equals(names.limitTable())) {
      Map<String, AttributeValue> key = Map.of(RESOURCE_NAME, s(PROBE_KEY), ACCOUNT_ID, s(PROBE_KEY));
      findings.add(permitted(role, "dynamodb:GetItem", () -> client.getItem(b -> b.tableName(name).key(key))));
      findings.add(permitted(role, "dynamodb:Query", () -> client.query(b -> b.tableName(name)
          .keyConditionExpression("#k = :k").expressionAttributeNames(Map.of("#k", RESOURCE_NAME))
          .expressionAttributeValues(Map.of(":k", s(PROBE_KEY))).limit(1))));
      findings.add(permitted(role, "dynamodb:Query on index " + names.limitServiceIndex(),
          () -> client.query(b -> b.tableName(name).indexName(names.limitServiceIndex())
              .keyConditionExpression("#k = :k").expressionAttributeNames(Map.of("#k", SERVICE_NAME))
              .expressionAttributeValues(Map.of(":k", s(PROBE_KEY))).limit(1))));
      findings.add(permitted(role, "dynamodb:PutItem", () -> client.putItem(b -> b.tableName(name)
          .item(Map.of(RESOURCE_NAME, s(PROBE_KEY), ACCOUNT_ID, s(PROBE_KEY))).conditionExpression(IMPOSSIBLE)
          .expressionAttributeNames(Map.of("#k", RESOURCE_NAME)))));
      findings.add(permitted(role, "dynamodb:DeleteItem", () -> client.deleteItem(b -> b.tableName(name).key(key)
          .conditionExpression("attribute_exists(#k)").expressionAttributeNames(Map.of("#k", RESOURCE_NAME)))));
      findings.add(permitted(role, "dynamodb:BatchGetItem", () -> client.batchGetItem(b -> b.requestItems(
          Map.of(name, KeysAndAttributes.builder()
              .keys(List.of(key)).build())))));
      findings.add(permitted(role, "dynamodb:BatchWriteItem (a delete of the absent probe key)",
          () -> client.batchWriteItem(b -> b.requestItems(Map.of(name, List.of(
              WriteRequest.builder()
                  .deleteRequest(d -> d.key(key)).build()))))));
    } else {
      Map<String, AttributeValue> key = Map.of(RESOURCE_COORDINATE, s(PROBE_KEY), RESERVATION_ID, s(PROBE_KEY));
      findings.add(permitted(role, "dynamodb:Query", () -> client.query(b -> b.tableName(name)
          .keyConditionExpression("#k = :k").expressionAttributeNames(Map.of("#k", RESOURCE_COORDINATE))
          .expressionAttributeValues(Map.of(":k", s(PROBE_KEY))).limit(1))));
      findings.add(permitted(role, "dynamodb:Query on index " + names.resourceIndex(),
          () -> client.query(b -> b.tableName(name).indexName(names.resourceIndex())
              .keyConditionExpression("#k = :k").expressionAttributeNames(Map.of("#k", RESOURCE_ID))
              .expressionAttributeValues(Map.of(":k", s(PROBE_KEY))).limit(1))));
      findings.add(permitted(role, "dynamodb:PutItem", () -> client.putItem(b -> b.tableName(name).item(key)
          .conditionExpression(IMPOSSIBLE).expressionAttributeNames(Map.of("#k", RESOURCE_COORDINATE)))));
      findings.add(permitted(role, "dynamodb:DeleteItem", () -> client.deleteItem(b -> b.tableName(name).key(key)
          .conditionExpression("attribute_exists(#k)")
          .expressionAttributeNames(Map.of("#k", RESOURCE_COORDINATE)))));
    }
    findings.add(createTable(client, role, name));
    return findings;
  }

  /** CreateTable of the existing table: authorized, then refused as in use. */
  private static Finding createTable(DynamoDbClient client, String role, String name) {
    String subject = role + ": dynamodb:CreateTable (for 'tables create' only)";
    try {
      client.createTable(b -> b.tableName(name)
          .attributeDefinitions(AttributeDefinition.builder().attributeName(RESOURCE_NAME).attributeType("S").build())
          .keySchema(KeySchemaElement.builder().attributeName(RESOURCE_NAME).keyType("HASH").build())
          .billingMode("PAY_PER_REQUEST"));
      return new Finding(subject, Verdict.WARN, "permitted, and the call created a table it should not have");
    } catch (ResourceInUseException e) {
      return new Finding(subject, Verdict.OK, "permitted (probed with the existing table's name)");
    } catch (AwsServiceException e) {
      return denied(subject, e, Verdict.WARN);
    } catch (SdkException e) {
      return new Finding(subject, Verdict.FAIL, "no answer: " + e.getMessage());
    }
  }

  private static Finding permitted(String role, String action, Runnable call) {
    String subject = role + ": " + action;
    try {
      call.run();
      return new Finding(subject, Verdict.OK, "permitted");
    } catch (ConditionalCheckFailedException e) {
      return new Finding(subject, Verdict.OK, "permitted (the probe's impossible condition refused it)");
    } catch (ResourceNotFoundException e) {
      return new Finding(subject, Verdict.FAIL, "the table or index does not exist");
    } catch (AwsServiceException e) {
      return denied(subject, e, Verdict.FAIL);
    } catch (SdkException e) {
      return new Finding(subject, Verdict.FAIL, "no answer: " + e.getMessage());
    }
  }

  private static Finding denied(String subject, AwsServiceException e, Verdict ifDenied) {
    String code = code(e);
    String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
    if (DENIED_CODES.contains(code)) {
      return new Finding(subject, ifDenied, "DENIED: " + code + ": " + message);
    }
    return new Finding(subject, Verdict.WARN, "not determined: " + code + ": " + message);
  }

  private static String code(AwsServiceException e) {
    return e.awsErrorDetails() == null ? "" : String.valueOf(e.awsErrorDetails().errorCode());
  }

  private static AttributeValue s(String value) {
    return AttributeValue.fromS(value);
  }
}
