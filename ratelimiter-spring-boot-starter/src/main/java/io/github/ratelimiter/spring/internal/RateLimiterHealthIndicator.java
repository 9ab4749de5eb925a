package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The {@code ratelimiter} health: UP when the store answers and every configured table exists and is active;
 * DOWN otherwise, with each table's name and status, or the store's error. An in-memory store is always UP.
 */
public final class RateLimiterHealthIndicator extends AbstractHealthIndicator {

  private final RateLimiters limiters;

  /** The health of the limiters' store. */
  public RateLimiterHealthIndicator(RateLimiters limiters) {
    super("the rate limiter's store does not answer");
    this.limiters = limiters;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    RateLimitStore store = limiters.store();
    if (store instanceof DynamoDbStore dynamo) {
      builder.withDetail("store", "dynamodb");
      List<DynamoDbTables.TableInfo> tables = DynamoDbTables.describe(dynamo.client(), dynamo.tableNames());
      Map<String, Object> details = new LinkedHashMap<>();
      boolean up = true;
      for (DynamoDbTables.TableInfo table : tables) {
        details.put(table.role(), Map.of("name", table.name(), "status", table.status()));
        up &= "ACTIVE".equals(table.status());
      }
      builder.withDetail("tables", details);
      if (up) {
        builder.up();
      } else {
        builder.down();
      }
    } else {
      builder.withDetail("store", store instanceof InMemoryStore ? "in-memory" : store.getClass().getName()).up();
    }
  }
}
