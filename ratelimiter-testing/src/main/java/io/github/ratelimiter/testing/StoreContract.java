package io.github.ratelimiter.testing;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.RateLimitStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the contract suites share: the store under test, a {@link ManualClock} per test, and limiters over newly
 * opened stores that are closed after each test. Extend {@link FungibleLimiterContract} or
 * {@link NonFungibleLimiterContract}, not this.
 */
public abstract class StoreContract {

  /** The clock every limiter of the test runs on; tests advance it, never sleep. */
  protected ManualClock clock;

  private final List<RateLimiters> opened = new ArrayList<>();

  StoreContract() {}

  /**
   * Opens the store under test. Every call within one test returns a new store instance (with its own client, for
   * a remote store) over the same shared state; each test starts from empty state.
   */
  protected abstract RateLimitStore openStore();

  @BeforeEach
  void startClock() {
    clock = ManualClock.create();
  }

  @AfterEach
  void closeLimiters() {
    opened.forEach(RateLimiters::close);
    opened.clear();
  }

  /**
   * Whether this test class decides through the limiters' non-blocking views ({@link ThroughAsync}): a store's test
   * suite runs every contract on both paths by a subclass per path that overrides this. False by default.
   */
  protected boolean throughAsync() {
    return false;
  }

  /** Limiters over a newly opened store, on the manual clock (which also serves as the sleeper), closed after. */
  protected RateLimiters limiters() {
    return limiters(RateLimiterListener.NONE);
  }

  /** {@link #limiters()}, heard by {@code listener}. */
  protected RateLimiters limiters(RateLimiterListener listener) {
    RateLimiters.Builder builder = RateLimiters.builder().store(openStore()).clock(clock).sleeper(clock::advance);
    if (listener != RateLimiterListener.NONE) {
      builder.listener(listener);
    }
    RateLimiters limiters = builder.build();
    opened.add(limiters);
    return throughAsync() ? ThroughAsync.of(limiters) : limiters;
  }
}
