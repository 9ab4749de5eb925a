package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.LIMIT;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.WINDOW_SEC;

import io.github.ratelimiter.dynamodb.LimitKey;
import io.github.ratelimiter.store.LimitRecord;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Limit rows as DynamoDB items, in the same encoding as {@link DynamoDbLimits} (decimal {@code windowSec}, absent
 * for a non-fungible limit).
 */
public final class LimitItems {

  private LimitItems() {}

  /**
   * A stored row: its key, its owner, and its limit when the row can be read as one (a row with {@code windowSec} 0,
   * as the Python loader wrote for a missing window, cannot).
   */
  public record Stored(LimitKey key, String serviceName, Optional<LimitRecord> record) {

    /** Whether the row holds exactly the wanted limit and window for the same owner. */
    public boolean sameAs(LimitRecord wanted) {
      return record.isPresent() && Objects.equals(serviceName, wanted.serviceName())
          && record.get().limit() == wanted.limit() && Objects.equals(record.get().window(), wanted.window());
    }
  }

  /** The item's key attributes. */
  public static Map<String, AttributeValue> key(LimitKey key) {
    return Map.of(RESOURCE_NAME, AttributeValue.fromS(key.resourceName()),
        ACCOUNT_ID, AttributeValue.fromS(key.accountId()));
  }

  /** The whole item of a row. */
  public static Map<String, AttributeValue> item(LimitRecord row) {
    Map<String, AttributeValue> item = new HashMap<>(key(keyOf(row)));
    item.put(LIMIT, AttributeValue.fromN(Long.toString(row.limit())));
    if (row.window() != null) {
      item.put(WINDOW_SEC, AttributeValue.fromN(DynamoDbLimits.seconds(row.window()).toPlainString()));
    }
    if (row.serviceName() != null) {
      item.put(SERVICE_NAME, AttributeValue.fromS(row.serviceName()));
    }
    return item;
  }

  /** The key of a row. */
  public static LimitKey keyOf(LimitRecord row) {
    return new LimitKey(row.resourceName(), row.accountId());
  }

  /** The key of an item. */
  public static LimitKey keyOf(Map<String, AttributeValue> item) {
    return new LimitKey(item.get(RESOURCE_NAME).s(), item.get(ACCOUNT_ID).s());
  }

  /** Reads an item leniently: an unreadable limit or window leaves {@link Stored#record()} empty. */
  public static Stored stored(Map<String, AttributeValue> item) {
    LimitKey key = keyOf(item);
    AttributeValue service = item.get(SERVICE_NAME);
    String serviceName = service == null ? null : service.s();
    Optional<LimitRecord> record;
    try {
      AttributeValue window = item.get(WINDOW_SEC);
      Duration duration = window == null || window.n() == null ? null : DynamoDbLimits.duration(
          new BigDecimal(window.n()));
      record = Optional.of(new LimitRecord(key.resourceName(), key.accountId(),
          new BigDecimal(item.get(LIMIT).n()).longValueExact(), duration, serviceName));
    } catch (RuntimeException e) {
      record = Optional.empty();
    }
    return new Stored(key, serviceName, record);
  }
}
