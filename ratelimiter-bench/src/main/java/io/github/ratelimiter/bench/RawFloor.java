package io.github.ratelimiter.bench;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.net.URI;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The floor: exactly one conditional UpdateItem per decision (SDK v2, the same Apache HTTP client as this project),
 * what a perfect one-request limiter would cost on this server. It is a fixed-window counter, one row per key and
 * window: {@value #UPDATE} if {@value #CONDITION}. Not exact (a fixed window admits up to twice the limit across a
 * window boundary), so its bound check is informative only.
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

  RawFloor(URI endpoint) {
    this.client = LocalDynamoDb.client(endpoint, counter);
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
      long window = System.currentTimeMillis() / windowMillis;
      try {
        client.updateItem(UpdateItemRequest.builder()
            .tableName(TABLE)
            .key(Map.of("k", AttributeValue.fromS(resource + ":" + key + "#" + window)))
            .updateExpression(UPDATE)
            .conditionExpression(CONDITION)
            .expressionAttributeNames(Map.of("#n", "n"))
            .expressionAttributeValues(Map.of(":zero", ZERO, ":one", ONE, ":cap", cap))
            .build());
        return true;
      } catch (ConditionalCheckFailedException e) {
        return false;
      }
    };
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
    client.close();
  }
}
