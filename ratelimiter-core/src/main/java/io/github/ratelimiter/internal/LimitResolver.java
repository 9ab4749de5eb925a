package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Reads limit rows through a cache that also remembers "no row", so that in steady state a decision sends no request
 * to the limit table. A changed row takes effect within the time to live. Thread-safe.
 */
final class LimitResolver {

  private record Key(String resourceName, String accountId) {}

  private final LimitStore limits;
  private final Cache<Key, Optional<LimitRecord>> cache;

  LimitResolver(LimitStore limits, Clock clock, Duration ttl) {
    this.limits = limits;
    this.cache = ttl.isZero()
        ? null
        : Caffeine.newBuilder()
            .expireAfterWrite(ttl)
            .maximumSize(100_000)
            .ticker(() -> Gcra.epochNanos(clock.instant()))
            .build();
  }

  /** The row for (resource, account), or empty. */
  Optional<LimitRecord> find(String resourceName, String accountId) {
    if (cache == null) {
      return limits.find(resourceName, accountId);
    }
    return cache.get(new Key(resourceName, accountId), key -> limits.find(resourceName, accountId));
  }
}
