package io.github.ratelimiter.internal;

import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/** The one implementation of {@link RateLimiters}; made by {@link RateLimiters.Builder#build()}. */
public final class DefaultRateLimiters implements RateLimiters {

  private final RateLimitStore store;
  private final Clock clock;
  private final Duration limitCacheTtl;
  private final FailureMode failureMode;
  private final Sleeper sleeper;
  private final Duration reservationTtl;
  private final Duration tokenTtl;
  private final LimitResolver limits;

  /** Called by the builder only, which has validated every argument. */
  public DefaultRateLimiters(RateLimitStore store, Clock clock, Duration limitCacheTtl, FailureMode failureMode,
      Sleeper sleeper, Duration reservationTtl, Duration tokenTtl) {
    this.store = store;
    this.clock = clock;
    this.limitCacheTtl = limitCacheTtl;
    this.failureMode = failureMode;
    this.sleeper = sleeper;
    this.reservationTtl = reservationTtl;
    this.tokenTtl = tokenTtl;
    this.limits = new LimitResolver(store.limits(), clock, limitCacheTtl);
  }

  @Override
  public FungibleLimiter fungible(String resourceName, Limit defaultLimit) {
    Arguments.requireId("resourceName", resourceName);
    Objects.requireNonNull(defaultLimit, "defaultLimit");
    return new DefaultFungibleLimiter(resourceName, defaultLimit, store.buckets(), limits, clock, limitCacheTtl,
        failureMode, sleeper, null);
  }

  @Override
  public NonFungibleLimiter nonFungible(String resourceName, long defaultLimit) {
    Arguments.requireId("resourceName", resourceName);
    if (resourceName.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "resourceName of a non-fungible limiter must not contain ':' (it separates resource and account in the"
              + " table's key): '" + resourceName + "'");
    }
    if (defaultLimit < 0) {
      throw new IllegalArgumentException("defaultLimit must not be negative: " + defaultLimit);
    }
    return new DefaultNonFungibleLimiter(resourceName, defaultLimit, store.slots(), limits, clock, reservationTtl,
        tokenTtl);
  }

  @Override
  public <T> T proxy(Class<T> type, T target) {
    return RateLimitProxy.create(this, type, target);
  }

  @Override
  public RateLimitStore store() {
    return store;
  }

  @Override
  public void close() {
    store.close();
  }
}
