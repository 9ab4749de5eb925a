package io.github.ratelimiter.internal;

import io.github.ratelimiter.RateLimiterListener;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one {@link io.github.ratelimiter.RateLimiters} as one: {@link RateLimiterListener#NONE} when
 * there are none (so that an unobserved limiter calls only empty methods), else each in turn, with whatever one
 * throws caught and logged at most once a minute, so that a faulty listener never changes a decision.
 */
public final class Listeners implements RateLimiterListener {

  private static final Logger log = LoggerFactory.getLogger(Listeners.class);
  private static final long LOG_INTERVAL_NANOS = 60_000_000_000L;

  private final RateLimiterListener[] listeners;
  private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());

  private Listeners(List<RateLimiterListener> listeners) {
    this.listeners = listeners.toArray(RateLimiterListener[]::new);
  }

  /** {@code listeners} as one listener; {@link RateLimiterListener#NONE} when empty. */
  public static RateLimiterListener of(List<RateLimiterListener> listeners) {
    return listeners.isEmpty() ? RateLimiterListener.NONE : new Listeners(listeners);
  }

  @Override
  public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
      long permits, boolean storeAsked) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onDecision(resourceName, accountId, kind, outcome, permits, storeAsked);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  @Override
  public void onDenied(String resourceName, String accountId, String limitName) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onDenied(resourceName, accountId, limitName);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  @Override
  public void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onStoreRequest(operation, outcome, latencyNanos);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  @Override
  public void onLimitRefresh(String resourceName, boolean succeeded) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onLimitRefresh(resourceName, succeeded);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  @Override
  public void onLiveSlots(String resourceName, String accountId, int live) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onLiveSlots(resourceName, accountId, live);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  @Override
  public void onCost(String resourceName, String limitName, CostKind kind, long amount, long debt) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onCost(resourceName, limitName, kind, amount, debt);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  @Override
  public void onCostLost(String resourceName, String accountId, String limitName, CostKind kind, long amount,
      boolean storeFailed) {
    for (RateLimiterListener listener : listeners) {
      try {
        listener.onCostLost(resourceName, accountId, limitName, kind, amount, storeFailed);
      } catch (RuntimeException e) {
        failed(listener, e);
      }
    }
  }

  private void failed(RateLimiterListener listener, RuntimeException e) {
    long next = nextLogNanos.get();
    long now = System.nanoTime();
    if (now - next >= 0 && nextLogNanos.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
      log.warn("listener {} threw (ignored; logged at most once a minute)", listener, e);
    }
  }
}
