package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.EXPIRATION_TIME;
import static io.github.ratelimiter.dynamodb.internal.Schema.HOLDER;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESERVATION_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_COORDINATE;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;

import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/**
 * The non-fungible table: {@code resourceCoordinate} ({@code resource:account}) HASH, {@code reservationId} (the slot
 * number) RANGE, {@code resourceId} with a GSI, {@code expirationTime} (epoch seconds, the TTL attribute), plus
 * {@code resourceName}, {@code accountId} and {@code holder}. Every write is one conditional single-item write:
 * <ul>
 *   <li>claim: PutItem if {@value #CLAIM_CONDITION}
 *   <li>update: PutItem if {@value #HELD_AND_LIVE_CONDITION}
 *   <li>delete: DeleteItem if {@value #HELD_CONDITION} (and {@code #resourceId = :resourceId} for a token); a
 *       foreign row if {@value #FOREIGN_BY_RESOURCE_CONDITION}
 * </ul>
 * Rows that the Python library wrote (a UUID {@code reservationId}, no {@code holder}) are read as
 * {@link SlotRecord#isForeign() foreign} rows: listed, counted and deletable, never written. A row without
 * {@code expirationTime} reads as expired, as the Python library's count ({@code expirationTime > now}) treats it.
 * Each call and its {@code Async} twin are written once ({@link RequestPaths}).
 */
public final class DynamoDbSlots implements SlotStore {

  private static final Logger log = LoggerFactory.getLogger(DynamoDbSlots.class);

  static final String CLAIM_CONDITION = "attribute_not_exists(#reservationId) OR #expirationTime <= :now";
  static final String HELD_AND_LIVE_CONDITION = "#holder = :holder AND #expirationTime > :now";
  static final String HELD_CONDITION = "#holder = :holder";
  static final String HELD_BY_RESOURCE_CONDITION = "#holder = :holder AND #resourceId = :resourceId";
  static final String FOREIGN_BY_RESOURCE_CONDITION = "attribute_not_exists(#holder) AND #resourceId = :resourceId";

  private final Supplier<String> table;
  private final Supplier<String> resourceIndex;
  private final RequestPaths paths;

  /** Slots in the table that {@code table} names when first used, each request sent through {@code paths}. */
  public DynamoDbSlots(Supplier<String> table, Supplier<String> resourceIndex, RequestPaths paths) {
    this.table = table;
    this.resourceIndex = resourceIndex;
    this.paths = paths;
  }

  /**
   * Each call is a request to DynamoDB: limiters let a process's reservations that need a listing of an account while
   * one is in flight share the next one.
   */
  @Override
  public boolean remote() {
    return true;
  }

  @Override
  public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
    return paths.blocking(requests -> list(requests, resourceName, accountId, deadline));
  }

  @Override
  public CompletableFuture<List<SlotRecord>> listAsync(String resourceName, String accountId, Deadline deadline) {
    return paths.async(requests -> list(requests, resourceName, accountId, deadline));
  }

  private CompletableFuture<List<SlotRecord>> list(StoreRequests requests, String resourceName, String accountId,
      Deadline deadline) {
    return query(requests, deadline, QueryRequest.builder()
        .consistentRead(true)
        .keyConditionExpression("#coordinate = :coordinate")
        .expressionAttributeNames(Map.of("#coordinate", RESOURCE_COORDINATE))
        .expressionAttributeValues(Map.of(":coordinate",
            AttributeValue.fromS(SlotRecord.coordinate(resourceName, accountId)))))
        .thenApply(rows -> {
          rows.sort(SlotRecord.ORDER);
          return rows;
        });
  }

  @Override
  public List<SlotRecord> findByResourceId(String resourceId) {
    return paths.blocking(requests -> findByResourceId(requests, resourceId));
  }

  @Override
  public CompletableFuture<List<SlotRecord>> findByResourceIdAsync(String resourceId) {
    return paths.async(requests -> findByResourceId(requests, resourceId));
  }

  private CompletableFuture<List<SlotRecord>> findByResourceId(StoreRequests requests, String resourceId) {
    return query(requests, Deadline.none(), QueryRequest.builder()
        .indexName(resourceIndex.get())
        .keyConditionExpression("#resourceId = :resourceId")
        .expressionAttributeNames(Map.of("#resourceId", RESOURCE_ID))
        .expressionAttributeValues(Map.of(":resourceId", AttributeValue.fromS(resourceId))));
  }

  @Override
  public boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline) {
    return paths.blocking(requests -> claim(requests, row, nowEpochSecond, deadline));
  }

  @Override
  public CompletableFuture<Boolean> claimAsync(SlotRecord row, long nowEpochSecond, Deadline deadline) {
    return paths.async(requests -> claim(requests, row, nowEpochSecond, deadline));
  }

  private CompletableFuture<Boolean> claim(StoreRequests requests, SlotRecord row, long nowEpochSecond,
      Deadline deadline) {
    return put(requests, row, CLAIM_CONDITION,
        Map.of("#reservationId", RESERVATION_ID, "#expirationTime", EXPIRATION_TIME),
        Map.of(":now", AttributeValue.fromN(Long.toString(nowEpochSecond))), deadline);
  }

  @Override
  public boolean update(SlotRecord row, long nowEpochSecond) {
    return paths.blocking(requests -> update(requests, row, nowEpochSecond));
  }

  @Override
  public CompletableFuture<Boolean> updateAsync(SlotRecord row, long nowEpochSecond) {
    return paths.async(requests -> update(requests, row, nowEpochSecond));
  }

  private CompletableFuture<Boolean> update(StoreRequests requests, SlotRecord row, long nowEpochSecond) {
    return put(requests, row, HELD_AND_LIVE_CONDITION, Map.of("#holder", HOLDER, "#expirationTime", EXPIRATION_TIME),
        Map.of(":holder", AttributeValue.fromS(row.holder()),
            ":now", AttributeValue.fromN(Long.toString(nowEpochSecond))), Deadline.none());
  }

  @Override
  public boolean delete(SlotRecord row) {
    return paths.blocking(requests -> delete(requests, row));
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(SlotRecord row) {
    return paths.async(requests -> delete(requests, row));
  }

  private CompletableFuture<Boolean> delete(StoreRequests requests, SlotRecord row) {
    if (row.holder() == null && row.resourceId() == null) {
      return CompletableFuture.completedFuture(false);
    }
    String tableName = table.get();
    Map<String, String> names = new HashMap<>(Map.of("#holder", HOLDER));
    Map<String, AttributeValue> values = new HashMap<>();
    String condition;
    if (row.holder() == null) {
      condition = FOREIGN_BY_RESOURCE_CONDITION;
    } else {
      condition = row.resourceId() == null ? HELD_CONDITION : HELD_BY_RESOURCE_CONDITION;
      values.put(":holder", AttributeValue.fromS(row.holder()));
    }
    if (row.resourceId() != null) {
      names.put("#resourceId", RESOURCE_ID);
      values.put(":resourceId", AttributeValue.fromS(row.resourceId()));
    }
    return requests.call("DeleteItem", tableName, () -> requests.calls().deleteItem(
        requests.observe(DeleteItemRequest.builder()).tableName(tableName).key(key(row))
            .conditionExpression(condition).expressionAttributeNames(names).expressionAttributeValues(values).build())
        .thenApply(response -> true), conditionFailed -> false);
  }

  private CompletableFuture<Boolean> put(StoreRequests requests, SlotRecord row, String condition,
      Map<String, String> names, Map<String, AttributeValue> values, Deadline deadline) {
    String tableName = table.get();
    Map<String, AttributeValue> item = new HashMap<>(key(row));
    item.put(RESOURCE_NAME, AttributeValue.fromS(row.resourceName()));
    item.put(ACCOUNT_ID, AttributeValue.fromS(row.accountId()));
    if (row.holder() != null) {
      item.put(HOLDER, AttributeValue.fromS(row.holder()));
    }
    item.put(EXPIRATION_TIME, AttributeValue.fromN(Long.toString(row.expirationTime())));
    if (row.resourceId() != null) {
      item.put(RESOURCE_ID, AttributeValue.fromS(row.resourceId()));
    }
    return requests.call("PutItem", tableName, () -> requests.calls().putItem(
        requests.observe(PutItemRequest.builder(), deadline, "PutItem").tableName(tableName).item(item)
            .conditionExpression(condition)
            .expressionAttributeNames(names).expressionAttributeValues(values).build())
        .thenApply(response -> true), conditionFailed -> false);
  }

  private CompletableFuture<List<SlotRecord>> query(StoreRequests requests, Deadline deadline,
      QueryRequest.Builder request) {
    return Queries.all(requests, table.get(), request, DynamoDbSlots::parse, deadline);
  }

  /**
   * Reads any row of the table. Resource and account come from their attributes, else from the coordinate (split at
   * its first colon); a row without a readable key is skipped with a warning, being no row of either library.
   */
  private static Optional<SlotRecord> parse(Map<String, AttributeValue> item) {
    try {
      String coordinate = item.get(RESOURCE_COORDINATE).s();
      int colon = coordinate.indexOf(':');
      String resourceName = text(item, RESOURCE_NAME, colon < 0 ? coordinate : coordinate.substring(0, colon));
      String accountId = text(item, ACCOUNT_ID, colon < 0 ? "" : coordinate.substring(colon + 1));
      AttributeValue expiration = item.get(EXPIRATION_TIME);
      long expirationTime = expiration == null || expiration.n() == null
          ? 0 : new BigDecimal(expiration.n()).setScale(0, RoundingMode.FLOOR).longValueExact();
      return Optional.of(new SlotRecord(resourceName, accountId, item.get(RESERVATION_ID).s(),
          text(item, HOLDER, null), text(item, RESOURCE_ID, null), expirationTime));
    } catch (RuntimeException e) {
      log.warn("ignoring a non-fungible row without a readable key ({}, {}): {}", item.get(RESOURCE_COORDINATE),
          item.get(RESERVATION_ID), e.toString());
      return Optional.empty();
    }
  }

  private static String text(Map<String, AttributeValue> item, String name, String otherwise) {
    AttributeValue value = item.get(name);
    return value == null || value.s() == null ? otherwise : value.s();
  }

  private static Map<String, AttributeValue> key(SlotRecord row) {
    return Map.of(RESOURCE_COORDINATE, AttributeValue.fromS(row.coordinate()),
        RESERVATION_ID, AttributeValue.fromS(row.reservationId()));
  }
}
