package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The {@code ratelimiter} health, from {@link RateLimiters#check()}: UP when the store answers and every table the
 * limiters use exists; DOWN otherwise. Its details name the store and give each check's result (a table's name and
 * status, or the store's error).
 */
public final class RateLimiterHealthIndicator extends AbstractHealthIndicator {

  private final RateLimiters limiters;

  /** The health of the limiters' store. */
  public RateLimiterHealthIndicator(RateLimiters limiters) {
    super("the rate limiter's health check failed");
    this.limiters = limiters;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    RateLimitStore store = limiters.store();
    builder.withDetail("store", store instanceof DynamoDbStore ? "dynamodb"
        : store instanceof InMemoryStore ? "in-memory" : store.getClass().getName());
    StoreHealth health = limiters.check();
    builder.withDetail("checks", health.details());
    if (health.healthy()) {
      builder.up();
    } else {
      builder.down();
    }
  }
}
