package io.github.ratelimiter;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A token bucket per account on one resource, shared by every process that uses the same store.
 *
 * <p>Obtained from {@link RateLimiters#fungible(String, Limit)}, or {@link RateLimiters#fungible(String, Quota)} for
 * several limits decided together (and {@link #tryAcquire(String, Cost)} to charge them by name). The account's limit comes from the limit table
 * (cached for {@link RateLimiters.Builder#limitCacheTtl(Duration)}), else from the default given there. A limit of 0
 * blocks the account.
 *
 * <pre>{@code
 * FungibleLimiter api = limiters.fungible("orders-api", Limit.of(10, Duration.ofSeconds(1)));
 *
 * Decision d = api.tryAcquire(accountId);          // never throws for a denial
 * if (d.denied()) return tooManyRequests(d.retryAfter());
 *
 * api.acquire(accountId);                           // throws CapacityExhaustedException when denied
 * api.run(accountId, () -> callDownstream());       // acquire, then run
 * }</pre>
 *
 * <p>When the cost is known only after the work (tokens an LLM call used), reserve an estimate and settle the actual
 * cost ({@link #tryReserve(String, Cost)}, {@link Charge}), or charge work already done ({@link #charge(String,
 * Cost)}): both may take an account into debt, up to {@link LimiterOptions#maxDebt()}.
 *
 * <p>Cost: an admitted request sends one conditional write to the store; a denial sends at most two, and none while
 * the bucket is known to stay exhausted. Thread-safe; hold one per resource for the life of the application.
 */
public interface FungibleLimiter {

  /** The resource this limiter guards. */
  String resourceName();

  /**
   * The non-blocking view of this limiter: the same decisions on the same buckets as futures, no thread waiting for
   * the store (see {@link AsyncFungibleLimiter}). The limiters of {@link RateLimiters} all have one; the default, for
   * a test double, throws.
   *
   * @throws UnsupportedOperationException if this implementation has no asynchronous view
   */
  default AsyncFungibleLimiter async() {
    throw new UnsupportedOperationException(getClass().getName() + " has no asynchronous view");
  }

  /**
   * The limit that applies to the account now (the table's row, else the default); of a {@link Quota}, its first
   * limit. May send one read.
   */
  Limit limitFor(String accountId);

  /**
   * The quota that applies to the account now: the default quota, with its first limit replaced by the account's
   * row in the limit table when it has one. May send one read.
   */
  Quota quotaFor(String accountId);

  /**
   * Asks for one permit without throwing for a denial.
   *
   * @throws IllegalArgumentException if {@code accountId} is blank or too long
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}
   */
  default Decision tryAcquire(String accountId) {
    return tryAcquire(accountId, 1);
  }

  /**
   * Asks for {@code permits} permits at once, all or none, without throwing for a denial.
   *
   * @throws IllegalArgumentException if {@code accountId} is blank or too long, {@code permits < 1}, or
   *     {@code permits} exceeds the account's limit (it could never be granted)
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}
   */
  Decision tryAcquire(String accountId, long permits);

  /**
   * Asks for {@code cost} (by limit name) at once, all limits or none, without throwing for a denial. Of a quota of
   * several limits, the request is admitted only when every limit admits its part, and then each is charged its
   * part, in one store write; a denial charges nothing. The decision names the limit that denied it
   * ({@link Decision#limitName()}), and its {@code retryAfter} is the time until every limit admits.
   *
   * @throws IllegalArgumentException if {@code accountId} is blank or too long, {@code cost} is null, names a limit
   *     the quota does not have, or takes more from a limit than it could ever grant
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}
   */
  Decision tryAcquire(String accountId, Cost cost);

  /**
   * Reserves an estimate now and settles the actual cost later ({@link Charge}): admits or denies {@code estimate}
   * exactly as {@link #tryAcquire(String, Cost)} does (all limits or none), always by a store write of its own (a
   * leased key's chunk is not used). The charge's {@link Charge#decision()} is that decision. Of a cascading
   * limiter ({@link LimiterOptions#cascade()}), only the account itself is reserved, settled and charged (not its
   * ancestors).
   *
   * @throws IllegalArgumentException as {@link #tryAcquire(String, Cost)} does, before any request
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}; when
   *     it is {@link FailureMode#FAIL_OPEN}, the charge is admitted degraded and counts nothing
   */
  Charge tryReserve(String accountId, Cost estimate);

  /**
   * Charges {@code cost} for work already done (post-paid): always applied, even past the limit, so that the
   * account goes into debt and its later requests are denied until time has paid it off; at most
   * {@link LimiterOptions#maxDebt()} of each limit (the part beyond is not charged, but reported to the listener
   * and logged). One store write.
   *
   * @return whether the account is still within every limit afterwards ({@link Decision#allowed()}), and if not,
   *     when it will be again ({@link Decision#retryAfter()}, named by the limit furthest in debt)
   * @throws IllegalArgumentException if {@code accountId} is blank or too long, {@code cost} is null or names a
   *     limit the quota does not have (a cost may take more than a limit), before any request (the account's
   *     limit row may be read first, as for any decision)
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}; when
   *     it is {@link FailureMode#FAIL_OPEN}, a degraded decision is returned and the cost reported as lost
   */
  Decision charge(String accountId, Cost cost);

  /**
   * Takes {@code cost} or throws.
   *
   * @throws CapacityExhaustedException if denied, with {@link CapacityExhaustedException#retryAfter()}
   */
  Decision acquire(String accountId, Cost cost);

  /** One permit of the account, as one key's part of {@link RateLimiters#tryAcquireAll(java.util.List)}. */
  default Ask ask(String accountId) {
    return ask(accountId, Cost.permits(1));
  }

  /**
   * {@code permits} of the account, as one key's part of {@link RateLimiters#tryAcquireAll(java.util.List)}.
   *
   * @throws IllegalArgumentException if {@code permits < 1}
   */
  default Ask ask(String accountId, long permits) {
    return ask(accountId, Cost.permits(permits));
  }

  /** {@code cost} of the account, as one key's part of {@link RateLimiters#tryAcquireAll(java.util.List)}. */
  default Ask ask(String accountId, Cost cost) {
    return new Ask(this, accountId, cost);
  }

  /**
   * Takes one permit or throws.
   *
   * @throws CapacityExhaustedException if denied, with {@link CapacityExhaustedException#retryAfter()}
   */
  default Decision acquire(String accountId) {
    return acquire(accountId, 1);
  }

  /**
   * Takes {@code permits} permits or throws.
   *
   * @throws CapacityExhaustedException if denied, with {@link CapacityExhaustedException#retryAfter()}
   */
  Decision acquire(String accountId, long permits);

  /**
   * Takes {@code permits} permits, waiting up to {@code maxWait} for them: when denied with a
   * {@code retryAfter} that still fits in the time left, waits that long and asks again.
   *
   * @throws CapacityExhaustedException if the permits cannot be had within {@code maxWait}
   * @throws RateLimiterException if interrupted while waiting (the interrupt flag is set again)
   */
  Decision acquire(String accountId, long permits, Duration maxWait);

  /** Takes one permit, then calls {@code action}. */
  default <T> T call(String accountId, Callable<T> action) throws Exception {
    acquire(accountId);
    return action.call();
  }

  /** Takes one permit, then runs {@code action}. */
  default void run(String accountId, Runnable action) {
    acquire(accountId);
    action.run();
  }

  /** A supplier that takes one permit for {@code accountId} before each call to {@code supplier}. */
  default <T> Supplier<T> decorateSupplier(String accountId, Supplier<T> supplier) {
    return () -> {
      acquire(accountId);
      return supplier.get();
    };
  }

  /**
   * A function that takes one permit before each call, for the account that {@code accountIdOf} reads from the
   * argument.
   */
  default <T, R> Function<T, R> decorateFunction(Function<? super T, String> accountIdOf, Function<T, R> function) {
    return argument -> {
      acquire(accountIdOf.apply(argument));
      return function.apply(argument);
    };
  }
}
