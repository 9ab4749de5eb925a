package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.EXPIRATION_TIME;
import static io.github.ratelimiter.dynamodb.internal.Schema.HOLDER;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESERVATION_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_COORDINATE;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;

import io.github.ratelimiter.RateLimiterListener.StoreOutcome;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/**
 * The non-fungible table: {@code resourceCoordinate} ({@code resource:account}) HASH, {@code reservationId} (the slot
 * number) RANGE, {@code resourceId} with a GSI, {@code expirationTime} (epoch seconds, the TTL attribute), plus
 * {@code resourceName}, {@code accountId} and {@code holder}. Every write is one conditional single-item write:
 * <ul>
 *   <li>claim: PutItem if {@value #CLAIM_CONDITION}
 *   <li>update: PutItem if {@value #HELD_AND_LIVE_CONDITION}
 *   <li>delete: DeleteItem if {@value #HELD_CONDITION} (and {@code #resourceId = :resourceId} for a token)
 * </ul>
 * Rows whose {@code reservationId} is not a slot number (written by the Python library, with UUIDs) are ignored.
 */
public final class DynamoDbSlots implements SlotStore {

  private static final Logger log = LoggerFactory.getLogger(DynamoDbSlots.class);

  static final String CLAIM_CONDITION = "attribute_not_exists(#reservationId) OR #expirationTime <= :now";
  static final String HELD_AND_LIVE_CONDITION = "#holder = :holder AND #expirationTime > :now";
  static final String HELD_CONDITION = "#holder = :holder";
  static final String HELD_BY_RESOURCE_CONDITION = "#holder = :holder AND #resourceId = :resourceId";

  private final DynamoDbClient client;
  private final Supplier<String> table;
  private final String resourceIndex;
  private final StoreRequests requests;

  /** Slots in the table that {@code table} names when first used. */
  public DynamoDbSlots(DynamoDbClient client, Supplier<String> table, String resourceIndex) {
    this(client, table, resourceIndex, StoreRequests.UNOBSERVED);
  }

  /** Slots in the table that {@code table} names when first used, each request reported to {@code requests}. */
  public DynamoDbSlots(DynamoDbClient client, Supplier<String> table, String resourceIndex,
      StoreRequests requests) {
    this.client = client;
    this.table = table;
    this.resourceIndex = resourceIndex;
    this.requests = requests;
  }

  @Override
  public List<SlotRecord> list(String resourceName, String accountId) {
    List<SlotRecord> rows = query(QueryRequest.builder()
        .consistentRead(true)
        .keyConditionExpression("#coordinate = :coordinate")
        .expressionAttributeNames(Map.of("#coordinate", RESOURCE_COORDINATE))
        .expressionAttributeValues(Map.of(":coordinate",
            AttributeValue.fromS(SlotRecord.coordinate(resourceName, accountId)))));
    rows.sort(Comparator.comparingInt(SlotRecord::slot));
    return rows;
  }

  @Override
  public List<SlotRecord> findByResourceId(String resourceId) {
    return query(QueryRequest.builder()
        .indexName(resourceIndex)
        .keyConditionExpression("#resourceId = :resourceId")
        .expressionAttributeNames(Map.of("#resourceId", RESOURCE_ID))
        .expressionAttributeValues(Map.of(":resourceId", AttributeValue.fromS(resourceId))));
  }

  @Override
  public boolean claim(SlotRecord row, long nowEpochSecond) {
    return put(row, CLAIM_CONDITION, Map.of("#reservationId", RESERVATION_ID, "#expirationTime", EXPIRATION_TIME),
        Map.of(":now", AttributeValue.fromN(Long.toString(nowEpochSecond))));
  }

  @Override
  public boolean update(SlotRecord row, long nowEpochSecond) {
    return put(row, HELD_AND_LIVE_CONDITION, Map.of("#holder", HOLDER, "#expirationTime", EXPIRATION_TIME),
        Map.of(":holder", AttributeValue.fromS(row.holder()),
            ":now", AttributeValue.fromN(Long.toString(nowEpochSecond))));
  }

  @Override
  public boolean delete(SlotRecord row) {
    String tableName = table.get();
    Map<String, String> names = new HashMap<>(Map.of("#holder", HOLDER));
    Map<String, AttributeValue> values = new HashMap<>(Map.of(":holder", AttributeValue.fromS(row.holder())));
    String condition = HELD_CONDITION;
    if (row.resourceId() != null) {
      condition = HELD_BY_RESOURCE_CONDITION;
      names.put("#resourceId", RESOURCE_ID);
      values.put(":resourceId", AttributeValue.fromS(row.resourceId()));
    }
    String finalCondition = condition;
    long start = requests.start();
    try {
      client.deleteItem(b -> requests.observe(b).tableName(tableName).key(key(row))
          .conditionExpression(finalCondition).expressionAttributeNames(names).expressionAttributeValues(values));
      requests.ended("DeleteItem", StoreOutcome.OK, start);
      return true;
    } catch (ConditionalCheckFailedException e) {
      requests.ended("DeleteItem", StoreOutcome.CONDITION_FAILED, start);
      return false;
    } catch (SdkException e) {
      requests.failed("DeleteItem", e, start);
      throw Errors.map(e, "DeleteItem", tableName);
    }
  }

  private boolean put(SlotRecord row, String condition, Map<String, String> names,
      Map<String, AttributeValue> values) {
    String tableName = table.get();
    Map<String, AttributeValue> item = new HashMap<>(key(row));
    item.put(RESOURCE_NAME, AttributeValue.fromS(row.resourceName()));
    item.put(ACCOUNT_ID, AttributeValue.fromS(row.accountId()));
    item.put(HOLDER, AttributeValue.fromS(row.holder()));
    item.put(EXPIRATION_TIME, AttributeValue.fromN(Long.toString(row.expirationTime())));
    if (row.resourceId() != null) {
      item.put(RESOURCE_ID, AttributeValue.fromS(row.resourceId()));
    }
    long start = requests.start();
    try {
      client.putItem(b -> requests.observe(b).tableName(tableName).item(item).conditionExpression(condition)
          .expressionAttributeNames(names).expressionAttributeValues(values));
      requests.ended("PutItem", StoreOutcome.OK, start);
      return true;
    } catch (ConditionalCheckFailedException e) {
      requests.ended("PutItem", StoreOutcome.CONDITION_FAILED, start);
      return false;
    } catch (SdkException e) {
      requests.failed("PutItem", e, start);
      throw Errors.map(e, "PutItem", tableName);
    }
  }

  private List<SlotRecord> query(QueryRequest.Builder request) {
    return Queries.all(client, requests, table.get(), request, DynamoDbSlots::parse);
  }

  private static Optional<SlotRecord> parse(Map<String, AttributeValue> item) {
    try {
      AttributeValue resourceId = item.get(RESOURCE_ID);
      AttributeValue expiration = item.get(EXPIRATION_TIME);
      return Optional.of(new SlotRecord(item.get(RESOURCE_NAME).s(), item.get(ACCOUNT_ID).s(),
          Integer.parseInt(item.get(RESERVATION_ID).s()), item.get(HOLDER).s(),
          resourceId == null ? null : resourceId.s(),
          expiration == null ? Long.MAX_VALUE : Long.parseLong(expiration.n())));
    } catch (RuntimeException e) {
      log.warn("ignoring a non-fungible row that is not a slot ({}, {}): {}", item.get(RESOURCE_COORDINATE),
          item.get(RESERVATION_ID), e.toString());
      return Optional.empty();
    }
  }

  private static Map<String, AttributeValue> key(SlotRecord row) {
    return Map.of(RESOURCE_COORDINATE, AttributeValue.fromS(row.coordinate()),
        RESERVATION_ID, AttributeValue.fromS(Integer.toString(row.slot())));
  }
}
