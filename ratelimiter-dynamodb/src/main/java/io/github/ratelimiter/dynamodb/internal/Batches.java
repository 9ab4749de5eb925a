package io.github.ratelimiter.dynamodb.internal;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.dynamodb.LimitKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * BatchGetItem (100 keys) and BatchWriteItem (25 requests) over one table, retrying what DynamoDB leaves
 * unprocessed with full-jitter exponential backoff: after attempt {@code n} (from 1) left items unprocessed, it waits
 * a random time from 0 to {@code min(maxDelay, baseDelay * 2^(n-1))}, for at most {@code maxAttempts} attempts per
 * batch. Unprocessed items are
 * DynamoDB's answer to throttling; after the last attempt the operation fails, naming how much was left.
 */
public final class Batches {

  /** DynamoDB's BatchWriteItem maximum. */
  public static final int WRITE_BATCH = 25;
  /** DynamoDB's BatchGetItem maximum. */
  public static final int GET_BATCH = 100;

  private final DynamoDbClient client;
  /** Reported to no one (batches serve the limit sync, not decisions); maps failures as every store call does. */
  private final StoreRequests requests;
  private final String table;
  private final Sleeper sleeper;
  private final int maxAttempts;
  private final Duration baseDelay;
  private final Duration maxDelay;

  /** Batches on {@code table}. */
  public Batches(DynamoDbClient client, String table, Sleeper sleeper, int maxAttempts, Duration baseDelay,
      Duration maxDelay) {
    this.client = client;
    this.requests = StoreRequests.unobserved(client);
    this.table = table;
    this.sleeper = sleeper;
    this.maxAttempts = maxAttempts;
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
  }

  /** Reads the items with these keys consistently; absent keys are absent from the map. */
  public Map<LimitKey, Map<String, AttributeValue>> getAll(List<LimitKey> keys) {
    Map<LimitKey, Map<String, AttributeValue>> found = new HashMap<>();
    for (int from = 0; from < keys.size(); from += GET_BATCH) {
      List<Map<String, AttributeValue>> pending = new ArrayList<>();
      for (LimitKey key : keys.subList(from, Math.min(keys.size(), from + GET_BATCH))) {
        pending.add(LimitItems.key(key));
      }
      for (int attempt = 1; !pending.isEmpty(); attempt++) {
        KeysAndAttributes request = KeysAndAttributes.builder().keys(pending).consistentRead(true).build();
        BatchGetItemResponse response = requests.send("BatchGetItem", table,
            () -> client.batchGetItem(b -> b.requestItems(Map.of(table, request))));
        response.responses().getOrDefault(table, List.of())
            .forEach(item -> found.put(LimitItems.keyOf(item), item));
        KeysAndAttributes left = response.unprocessedKeys().get(table);
        pending = left == null || !left.hasKeys() ? List.of() : left.keys();
        if (!pending.isEmpty()) {
          backOff(attempt, "BatchGetItem", pending.size());
        }
      }
    }
    return found;
  }

  /** Sends the writes in batches of 25, each retried until DynamoDB has processed all of it. */
  public void writeAll(List<WriteRequest> writes) {
    for (int from = 0; from < writes.size(); from += WRITE_BATCH) {
      List<WriteRequest> pending = writes.subList(from, Math.min(writes.size(), from + WRITE_BATCH));
      for (int attempt = 1; !pending.isEmpty(); attempt++) {
        List<WriteRequest> batch = pending;
        BatchWriteItemResponse response = requests.send("BatchWriteItem", table,
            () -> client.batchWriteItem(b -> b.requestItems(Map.of(table, batch))));
        List<WriteRequest> left = response.unprocessedItems().get(table);
        pending = left == null ? List.of() : left;
        if (!pending.isEmpty()) {
          backOff(attempt, "BatchWriteItem", pending.size());
        }
      }
    }
  }

  private void backOff(int attempt, String operation, int left) {
    if (attempt >= maxAttempts) {
      throw new RateLimiterException("DynamoDB left " + left + " item(s) of " + operation + " on table '" + table
          + "' unprocessed after " + maxAttempts + " attempts (the table is throttled); the sync is idempotent: run"
          + " it again");
    }
    long capNanos = Math.min(maxDelay.toNanos(), baseDelay.toNanos() << Math.min(attempt - 1, 30));
    Duration delay = Duration.ofNanos(ThreadLocalRandom.current().nextLong(capNanos + 1));
    try {
      sleeper.sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RateLimiterException("interrupted while retrying " + operation + " on table '" + table + "'", e);
    }
  }
}
