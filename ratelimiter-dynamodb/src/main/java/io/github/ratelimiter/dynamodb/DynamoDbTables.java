package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.EXPIRATION_TIME;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESERVATION_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_COORDINATE;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.dynamodb.internal.Errors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * Creates, describes and deletes the three tables, with the Python library's schemas:
 *
 * <ul>
 *   <li>fungible tokens: {@code resourceName} (S) HASH, {@code accountId} (S) RANGE; attribute {@code tat} (N),
 *       and for a quota of several limits {@code tat_<name>} (N) per further limit; TTL on {@code expirationTime}
 *       (N, epoch seconds), written with every step as the moment the bucket is full again (the Python library's
 *       items have none, which TTL leaves alone);
 *   <li>limits: {@code resourceName} (S) HASH, {@code accountId} (S) RANGE; attributes {@code limit} (N),
 *       {@code windowSec} (N), {@code serviceName} (S) with a GSI on {@code serviceName} (projection ALL), and this
 *       library's own on the rows that use them: {@code leasing} (BOOL), {@code limitName} (S), {@code limits} (L)
 *       and {@code parentAccountId} (S) (see {@code LimitItems});
 *   <li>non-fungible tokens: {@code resourceCoordinate} (S) HASH, {@code reservationId} (S) RANGE; a GSI on
 *       {@code resourceId} (S, projection ALL); TTL on {@code expirationTime} (N, epoch seconds).
 * </ul>
 *
 * <p>Tables are on-demand (PAY_PER_REQUEST). Creation is idempotent and waits until each table is active. Enabling
 * TTL is best effort: a server without {@code UpdateTimeToLive} (dynalite) is tolerated, since readers treat expired
 * rows as absent anyway. Unset table names in {@link TableNames} are skipped.
 */
public final class DynamoDbTables {

  private static final Logger log = LoggerFactory.getLogger(DynamoDbTables.class);

  /**
   * What {@link #describe} reports of one table.
   *
   * @param role "fungible", "limits" or "non-fungible"
   * @param name the table's name
   * @param status its status ({@code ACTIVE}, ...), or {@code MISSING}
   * @param itemCount DynamoDB's approximate item count (updated about every six hours), or -1 when missing
   */
  public record TableInfo(String role, String name, String status, long itemCount) {}

  private DynamoDbTables() {}

  /**
   * Creates every named table that does not exist yet and waits until all are active.
   *
   * @return the names of the tables created by this call
   * @throws RateLimiterException if DynamoDB refuses
   */
  public static List<String> createIfMissing(DynamoDbClient client, TableNames names) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(names, "names");
    List<String> created = new ArrayList<>();
    if (names.fungibleTable() != null) {
      if (create(client, fungible(names))) {
        created.add(names.fungibleTable());
      }
      enableTimeToLive(client, names.fungibleTable());
    }
    if (names.limitTable() != null && create(client, limits(names))) {
      created.add(names.limitTable());
    }
    if (names.nonFungibleTable() != null) {
      if (create(client, nonFungible(names))) {
        created.add(names.nonFungibleTable());
      }
      enableTimeToLive(client, names.nonFungibleTable());
    }
    return created;
  }

  /** The status of each named table. */
  public static List<TableInfo> describe(DynamoDbClient client, TableNames names) {
    List<TableInfo> statuses = new ArrayList<>();
    addStatus(client, statuses, "fungible", names.fungibleTable());
    addStatus(client, statuses, "limits", names.limitTable());
    addStatus(client, statuses, "non-fungible", names.nonFungibleTable());
    return statuses;
  }

  /**
   * Deletes every named table that exists, and with it every bucket, limit and token.
   *
   * @return the names of the tables deleted
   */
  public static List<String> deleteIfExists(DynamoDbClient client, TableNames names) {
    List<String> deleted = new ArrayList<>();
    for (String table : new String[] {names.fungibleTable(), names.limitTable(), names.nonFungibleTable()}) {
      if (table == null) {
        continue;
      }
      try {
        client.deleteTable(b -> b.tableName(table));
        await(client, table, false);
        deleted.add(table);
      } catch (ResourceNotFoundException e) {
        // already gone
      } catch (SdkException e) {
        throw Errors.map(e, "DeleteTable", table);
      }
    }
    return deleted;
  }

  private static void addStatus(DynamoDbClient client, List<TableInfo> statuses, String role, String table) {
    if (table == null) {
      return;
    }
    try {
      TableDescription description = client.describeTable(b -> b.tableName(table)).table();
      statuses.add(new TableInfo(role, table, description.tableStatusAsString(),
          description.itemCount() == null ? 0 : description.itemCount()));
    } catch (ResourceNotFoundException e) {
      statuses.add(new TableInfo(role, table, "MISSING", -1));
    } catch (SdkException e) {
      throw Errors.map(e, "DescribeTable", table);
    }
  }

  private static boolean create(DynamoDbClient client, CreateTableRequest request) {
    boolean created;
    try {
      client.createTable(request);
      created = true;
    } catch (ResourceInUseException e) {
      created = false;
    } catch (SdkException e) {
      throw Errors.map(e, "CreateTable", request.tableName());
    }
    await(client, request.tableName(), true);
    if (created) {
      log.info("created DynamoDB table {}", request.tableName());
    }
    return created;
  }

  /**
   * Polls DescribeTable until the table is active (or gone), starting at 20 ms and backing off to 2 s, for at most
   * ten minutes. (The SDK's waiters first wait 20 s, which a local server never needs.)
   */
  private static void await(DynamoDbClient client, String table, boolean active) {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long delayMillis = 20;
    while (true) {
      try {
        TableDescription description = client.describeTable(b -> b.tableName(table)).table();
        if (active && description.tableStatus() == TableStatus.ACTIVE) {
          return;
        }
      } catch (ResourceNotFoundException e) {
        if (!active) {
          return;
        }
      } catch (SdkException e) {
        throw Errors.map(e, "DescribeTable", table);
      }
      if (System.nanoTime() > deadline) {
        throw new RateLimiterException("DynamoDB table '" + table + "' did not become "
            + (active ? "active" : "deleted") + " within ten minutes");
      }
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RateLimiterException("interrupted while waiting for table '" + table + "'", e);
      }
      delayMillis = Math.min(2000, delayMillis * 2);
    }
  }

  private static void enableTimeToLive(DynamoDbClient client, String table) {
    try {
      client.updateTimeToLive(b -> b.tableName(table)
          .timeToLiveSpecification(s -> s.attributeName(EXPIRATION_TIME).enabled(true)));
    } catch (AwsServiceException e) {
      String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
      String message = String.valueOf(e.getMessage());
      if ("UnknownOperationException".equals(code)) {
        log.info("the server does not support UpdateTimeToLive; expired rows of {} are ignored by readers", table);
      } else if (message.contains("already enabled")) {
        log.debug("TTL already enabled on {}", table);
      } else {
        throw Errors.map(e, "UpdateTimeToLive", table);
      }
    } catch (SdkException e) {
      throw Errors.map(e, "UpdateTimeToLive", table);
    }
  }

  private static CreateTableRequest fungible(TableNames names) {
    return CreateTableRequest.builder()
        .tableName(names.fungibleTable())
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(string(RESOURCE_NAME), string(ACCOUNT_ID))
        .keySchema(hash(RESOURCE_NAME), range(ACCOUNT_ID))
        .build();
  }

  private static CreateTableRequest limits(TableNames names) {
    return CreateTableRequest.builder()
        .tableName(names.limitTable())
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(string(RESOURCE_NAME), string(ACCOUNT_ID), string(SERVICE_NAME))
        .keySchema(hash(RESOURCE_NAME), range(ACCOUNT_ID))
        .globalSecondaryIndexes(GlobalSecondaryIndex.builder()
            .indexName(names.requireLimitServiceIndex())
            .keySchema(hash(SERVICE_NAME))
            .projection(p -> p.projectionType(ProjectionType.ALL))
            .build())
        .build();
  }

  private static CreateTableRequest nonFungible(TableNames names) {
    return CreateTableRequest.builder()
        .tableName(names.nonFungibleTable())
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(string(RESOURCE_COORDINATE), string(RESERVATION_ID), string(RESOURCE_ID))
        .keySchema(hash(RESOURCE_COORDINATE), range(RESERVATION_ID))
        .globalSecondaryIndexes(GlobalSecondaryIndex.builder()
            .indexName(names.requireResourceIndex())
            .keySchema(hash(RESOURCE_ID))
            .projection(p -> p.projectionType(ProjectionType.ALL))
            .build())
        .build();
  }

  private static AttributeDefinition string(String name) {
    return AttributeDefinition.builder().attributeName(name).attributeType(ScalarAttributeType.S).build();
  }

  private static KeySchemaElement hash(String name) {
    return KeySchemaElement.builder().attributeName(name).keyType(KeyType.HASH).build();
  }

  private static KeySchemaElement range(String name) {
    return KeySchemaElement.builder().attributeName(name).keyType(KeyType.RANGE).build();
  }
}
