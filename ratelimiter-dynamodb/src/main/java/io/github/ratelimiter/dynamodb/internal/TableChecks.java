package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESERVATION_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_COORDINATE;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;

import io.github.ratelimiter.StoreHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * What the health probe and {@code ratelimiter doctor} check of each table: it exists and is active, its key schema
 * is the library's, and its index (if it needs one) exists. One DescribeTable per table; no SDK exception escapes.
 */
public final class TableChecks {

  /**
   * What a table must look like.
   *
   * @param role how people call it, e.g. {@code fungible table}
   * @param name its name
   * @param hashKey its partition key attribute
   * @param rangeKey its sort key attribute
   * @param indexName its GSI, or {@code null}
   * @param indexHashKey the GSI's partition key attribute, or {@code null}
   */
  public record Expected(String role, String name, String hashKey, String rangeKey, String indexName,
      String indexHashKey) {}

  /**
   * What DescribeTable said, or why it could not.
   *
   * @param expected what the table must look like
   * @param description the table, when it exists
   * @param error why it could not be described (missing, access denied, unreachable), when it could not
   */
  public record Described(Expected expected, Optional<TableDescription> description, Optional<String> error) {}

  private TableChecks() {}

  /** The tables {@code fungible}, {@code limits} and {@code nonFungible} name, as the library creates them. */
  public static List<Expected> expected(String fungible, String limits, String limitServiceIndex,
      String nonFungible, String resourceIndex) {
    List<Expected> tables = new ArrayList<>();
    if (fungible != null) {
      tables.add(new Expected("fungible table", fungible, RESOURCE_NAME, ACCOUNT_ID, null, null));
    }
    if (limits != null) {
      tables.add(new Expected("limit table", limits, RESOURCE_NAME, ACCOUNT_ID, limitServiceIndex, SERVICE_NAME));
    }
    if (nonFungible != null) {
      tables.add(new Expected("non-fungible table", nonFungible, RESOURCE_COORDINATE, RESERVATION_ID,
          resourceIndex, RESOURCE_ID));
    }
    return tables;
  }

  /** Describes the table; never throws for a store failure. */
  public static Described describe(DynamoDbClient client, Expected table) {
    try {
      return new Described(table, Optional.of(client.describeTable(b -> b.tableName(table.name())).table()),
          Optional.empty());
    } catch (ResourceNotFoundException e) {
      return new Described(table, Optional.empty(), Optional.of("'" + table.name() + "' does not exist: create it"
          + " with 'ratelimiter tables create' or DynamoDbTables.createIfMissing"));
    } catch (SdkException e) {
      return new Described(table, Optional.empty(), Optional.of("'" + table.name() + "' could not be described: "
          + Errors.map(e, "DescribeTable", table.name()).getMessage()));
    }
  }

  /** The health check of a described table: exists, active, the library's key schema and index. */
  public static StoreHealth.Check check(Described described) {
    Expected table = described.expected();
    if (described.description().isEmpty()) {
      return new StoreHealth.Check(table.role(), false, described.error().orElse("unknown"));
    }
    TableDescription description = described.description().get();
    List<String> problems = new ArrayList<>();
    if (description.tableStatus() != TableStatus.ACTIVE) {
      problems.add("status " + description.tableStatusAsString() + ", not ACTIVE");
    }
    String keys = keySchema(description.keySchema());
    String wanted = table.hashKey() + " HASH, " + table.rangeKey() + " RANGE";
    if (!keys.equals(wanted)) {
      problems.add("key schema is (" + keys + "), expected (" + wanted + ")");
    }
    if (table.indexName() != null) {
      Optional<GlobalSecondaryIndexDescription> index = index(description, table.indexName());
      if (index.isEmpty()) {
        problems.add("index '" + table.indexName() + "' is missing");
      } else if (!keySchema(index.get().keySchema()).equals(table.indexHashKey() + " HASH")) {
        problems.add("index '" + table.indexName() + "' is keyed (" + keySchema(index.get().keySchema())
            + "), expected (" + table.indexHashKey() + " HASH)");
      }
    }
    String found = "'" + table.name() + "' " + description.tableStatusAsString() + ", key (" + keys + ")"
        + (table.indexName() == null ? "" : ", index '" + table.indexName() + "'");
    return problems.isEmpty()
        ? new StoreHealth.Check(table.role(), true, found)
        : new StoreHealth.Check(table.role(), false, "'" + table.name() + "': " + String.join("; ", problems));
  }

  /** The table's GSI of that name. */
  public static Optional<GlobalSecondaryIndexDescription> index(TableDescription description, String name) {
    return description.globalSecondaryIndexes().stream().filter(i -> i.indexName().equals(name)).findFirst();
  }

  /** A key schema as people read it: {@code resourceName HASH, accountId RANGE}. */
  public static String keySchema(List<KeySchemaElement> keys) {
    return keys.stream().map(k -> k.attributeName() + " " + k.keyTypeAsString()).collect(Collectors.joining(", "));
  }
}
