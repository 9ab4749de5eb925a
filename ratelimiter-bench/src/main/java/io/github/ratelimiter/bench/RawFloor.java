package io.github.ratelimiter.bench;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The floor: exactly one conditional UpdateItem per decision (SDK v2, the same Apache HTTP client as this project),
 * what a perfect one-request limiter would cost on this server. It is a fixed-window counter, one row per key and
 * window: {@value #UPDATE} if {@value #CONDITION}. Not exact (a fixed window admits up to twice the limit across a
 * window boundary), so its bound check is informative only.
 *
 * <p>Its non-blocking form ({@link #fungibleAsync}, the {@code async-*} scenarios) sends the same UpdateItem with a
 * {@link DynamoDbAsyncClient} (the AWS CRT client of {@code DynamoDbClients.buildAsync()}, the blocking client's
 * timeouts), completing on the event-loop thread that read the answer: what a perfect one-request non-blocking limiter
 * would cost.
 */
final class RawFloor implements Contender {

  /** The floor's table: hash key {@code k} (S). */
  static final String TABLE = "bench-floor";

  // SET #n = if_not_exists(#n, :zero) + :one
  static final String UPDATE = "SET #n = if_not_exists(#n, :zero) + :one";
  // attribute_not_exists(#n) OR #n < :cap
  static final String CONDITION = "attribute_not_exists(#n) OR #n < :cap";

  private static final AttributeValue ZERO = AttributeValue.fromN("0");
  private static final AttributeValue ONE = AttributeValue.fromN("1");

  private final RequestCounter counter = new RequestCounter();
  private final DynamoDbClient client;
  private final DynamoDbAsyncClient asyncClient;

  RawFloor(URI endpoint) {
    this.client = LocalDynamoDb.client(endpoint, counter);
    this.asyncClient = LocalDynamoDb.testClientBuilder(endpoint, counter).maxConnections(LoadHarness.IN_FLIGHT)
        .buildAsync();
    AsyncClients.checkSameTimeouts(client, asyncClient);
  }

  @Override
  public String id() {
    return "floor";
  }

  @Override
  public boolean claimsExactness() {
    return false;
  }

  /** The client, for the churn floor. */
  DynamoDbClient client() {
    return client;
  }

  @Override
  public Decider fungible(String resource, Limit limit) {
    long windowMillis = limit.window().toMillis();
    AttributeValue cap = AttributeValue.fromN(Long.toString(limit.limit()));
    return key -> {
      try {
        client.updateItem(request(resource, key, windowMillis, cap));
        return true;
      } catch (ConditionalCheckFailedException e) {
        return false;
      }
    };
  }

  /** The same conditional UpdateItem, sent without blocking: a failed condition completes with a denial. */
  @Override
  public AsyncDecider fungibleAsync(String resource, Limit limit) {
    long windowMillis = limit.window().toMillis();
    AttributeValue cap = AttributeValue.fromN(Long.toString(limit.limit()));
    return key -> asyncClient.updateItem(request(resource, key, windowMillis, cap)).handle((response, failure) -> {
      if (failure == null) {
        return true;
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof ConditionalCheckFailedException) {
        return false;
      }
      throw failure instanceof CompletionException c ? c : new CompletionException(cause);
    });
  }

  /** {@value #UPDATE} if {@value #CONDITION} on the key's row of the current window. */
  private static UpdateItemRequest request(String resource, String key, long windowMillis, AttributeValue cap) {
    long window = System.currentTimeMillis() / windowMillis;
    return UpdateItemRequest.builder()
        .tableName(TABLE)
        .key(Map.of("k", AttributeValue.fromS(resource + ":" + key + "#" + window)))
        .updateExpression(UPDATE)
        .conditionExpression(CONDITION)
        .expressionAttributeNames(Map.of("#n", "n"))
        .expressionAttributeValues(Map.of(":zero", ZERO, ":one", ONE, ":cap", cap))
        .build();
  }

  /** The floor of a quota: one conditional write per decision, as for one limit (the first limit's counter). */
  @Override
  public Decider quota(String resource, java.util.List<Limit> limits) {
    return fungible(resource, limits.get(0));
  }

  /** The floor of a decision across two keys: one conditional write per key, the second only after the first. */
  @Override
  public Decider twoKeys(String tenantResource, String sharedResource, Limit tenant, Limit shared) {
    Decider tenants = fungible(tenantResource, tenant);
    Decider budget = fungible(sharedResource, shared);
    return key -> tenants.decide(key) && budget.decide("all");
  }

  /** The floor of reserve and settle: two conditional writes per decision (the reserve, then the settle). */
  @Override
  public Decider reserveSettle(String resource, Limit limit) {
    Decider write = fungible(resource, limit);
    return key -> write.decide(key) && write.decide(key);
  }

  @Override
  public Map<String, Long> requests() {
    return counter.snapshot();
  }

  @Override
  public void close() {
    asyncClient.close();
    client.close();
  }
}
