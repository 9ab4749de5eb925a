package io.github.ratelimiter.internal;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.AsyncNonFungibleLimiter;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.Reservation;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-fungible limiter's failure policy and decision events, around the limiter that talks to the store.
 *
 * <p>When the store fails during a reservation, {@link FailureMode#FAIL_CLOSED} throws the
 * {@link RateLimiterException}; {@link FailureMode#FAIL_OPEN} grants a {@link Reservation#degraded() degraded}
 * reservation that holds no slot: its token writes nothing and releasing it does nothing, so a caller's usual
 * reserve, create-token, release sequence runs through an outage without an exception and without leaving rows
 * behind. Only reservations fail open: turning a held reservation into a token, renewing, releasing and listing
 * throw on a store failure in either mode, since their caller holds a slot whose fate it needs to know.
 */
final class FailurePolicyNonFungibleLimiter implements NonFungibleLimiter {

  private static final Logger log = LoggerFactory.getLogger(FailurePolicyNonFungibleLimiter.class);

  private final DefaultNonFungibleLimiter limiter;
  private final FailureMode failureMode;
  private final RateLimiterListener listener;
  private final OutageLog outages;

  FailurePolicyNonFungibleLimiter(DefaultNonFungibleLimiter limiter, FailureMode failureMode, Clock clock,
      RateLimiterListener listener) {
    this.limiter = limiter;
    this.failureMode = failureMode;
    this.listener = listener;
    this.outages = OutageLog.of(log, limiter.resourceName(), failureMode, clock);
  }

  @Override
  public String resourceName() {
    return limiter.resourceName();
  }

  @Override
  public long limitFor(String accountId) {
    return limiter.limitFor(accountId);
  }

  /** One decision ({@link DefaultNonFungibleLimiter#attempt}): one deadline, the limit resolved once. */
  @Override
  public Reservation reserve(String accountId) {
    DefaultNonFungibleLimiter.Attempt attempt;
    try {
      attempt = limiter.attempt(accountId);
    } catch (RateLimiterException e) {
      return storeFailed(e, accountId);
    }
    if (attempt.reservation().isEmpty()) {
      decided(accountId, DecisionOutcome.DENIED, attempt.limit() != 0);
      throw limiter.exhausted(accountId, attempt.limit());
    }
    decided(accountId, DecisionOutcome.ALLOWED, true);
    return attempt.reservation().get();
  }

  @Override
  public Optional<Reservation> tryReserve(String accountId) {
    DefaultNonFungibleLimiter.Attempt attempt;
    try {
      attempt = limiter.attempt(accountId);
    } catch (RateLimiterException e) {
      return Optional.of(storeFailed(e, accountId));
    }
    decided(accountId, attempt.reservation().isPresent() ? DecisionOutcome.ALLOWED : DecisionOutcome.DENIED,
        attempt.limit() != 0);
    return attempt.reservation();
  }

  private void decided(String accountId, DecisionOutcome outcome, boolean storeAsked) {
    listener.onDecision(limiter.resourceName(), accountId, LimiterKind.NON_FUNGIBLE, outcome, 1, storeAsked);
  }

  /** Throws {@code e} (fail closed) or grants a degraded reservation (fail open); heard and logged either way. */
  private Reservation storeFailed(RateLimiterException e, String accountId) {
    outages.failed(e);
    if (failureMode == FailureMode.FAIL_CLOSED) {
      decided(accountId, DecisionOutcome.ERROR, true);
      throw e;
    }
    decided(accountId, DecisionOutcome.DEGRADED, true);
    return limiter.degraded(accountId);
  }

  @Override
  public boolean release(String resourceId) {
    return limiter.release(resourceId);
  }

  @Override
  public AsyncNonFungibleLimiter async() {
    return async;
  }

  /**
   * The non-blocking view: {@link DefaultNonFungibleLimiter#attemptAsync}, then the same failure policy and events
   * as {@link #reserve}, completed on the executor when the store was asked.
   */
  private final AsyncNonFungibleLimiter async = new AsyncNonFungibleLimiter() {
    @Override
    public String resourceName() {
      return limiter.resourceName();
    }

    @Override
    public NonFungibleLimiter blocking() {
      return FailurePolicyNonFungibleLimiter.this;
    }

    @Override
    public CompletableFuture<Reservation> reserve(String accountId) {
      return Futures.handOff(limiter.attemptAsync(accountId).handle((attempt, failure) -> {
        if (failure != null) {
          return storeFailedAsync(failure, accountId);
        }
        if (attempt.reservation().isEmpty()) {
          decided(accountId, DecisionOutcome.DENIED, attempt.limit() != 0);
          throw new CompletionException(limiter.exhausted(accountId, attempt.limit()));
        }
        decided(accountId, DecisionOutcome.ALLOWED, true);
        return attempt.reservation().get();
      }), limiter.executor());
    }

    @Override
    public CompletableFuture<Optional<Reservation>> tryReserve(String accountId) {
      return Futures.handOff(limiter.attemptAsync(accountId).handle((attempt, failure) -> {
        if (failure != null) {
          return Optional.of(storeFailedAsync(failure, accountId));
        }
        decided(accountId, attempt.reservation().isPresent() ? DecisionOutcome.ALLOWED : DecisionOutcome.DENIED,
            attempt.limit() != 0);
        return attempt.reservation();
      }), limiter.executor());
    }

    @Override
    public CompletableFuture<Boolean> release(String resourceId) {
      return limiter.releaseAsync(resourceId);
    }

    @Override
    public String toString() {
      return "async " + limiter;
    }
  };

  /** {@link #storeFailed} for a future's failure: a store failure goes through the policy, anything else as is. */
  private Reservation storeFailedAsync(Throwable failure, String accountId) {
    return Futures.byPolicy(failure, e -> storeFailed(e, accountId));
  }

  @Override
  public List<ActiveToken> activeTokens(String accountId) {
    return limiter.activeTokens(accountId);
  }

  @Override
  public String toString() {
    return limiter.toString();
  }
}
