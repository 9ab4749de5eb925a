package io.github.ratelimiter;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The non-blocking view of a {@link FungibleLimiter}: the same decisions on the same buckets, as futures, with no
 * thread waiting for the store. For reactive services (WebFlux, Spring Cloud Gateway, Vert.x), gRPC servers and any
 * service that holds many requests in flight at once.
 *
 * <pre>{@code
 * AsyncFungibleLimiter api = limiters.fungible("orders-api", Limit.of(10, Duration.ofSeconds(1))).async();
 *
 * api.tryAcquire(accountId).thenCompose(d -> d.allowed() ? callDownstream() : tooManyRequests(d.retryAfter()));
 * Mono.fromFuture(() -> api.acquire(accountId)).then(handler);   // CapacityExhaustedException when denied
 * }</pre>
 *
 * <p><b>The same semantics as the blocking limiter, not a wrapper around it.</b> A decision takes the same steps and
 * shares this process's state with the blocking view: one conditional write per admitted decision, none while a
 * bucket is known exhausted, leases on hot keys, one deadline per decision (the future completes exceptionally with a
 * {@link RateLimiterException} once the decision timeout has passed, whatever the store does), the failure mode
 * (fail-open completes with a {@link Decision#degraded() degraded} admission) and the listeners.
 *
 * <p><b>Threads.</b> Nothing here blocks: a decision that needs the store sends its request with the store's
 * asynchronous client ({@code DynamoDbAsyncClient} for DynamoDB) and returns. A decision made in process (a local
 * denial, a grant from a lease, the in-memory store) returns a future already complete, so callbacks chained on it run
 * on the calling thread. A decision that waited for the store completes on the executor set by
 * {@link RateLimiters.Builder#asyncExecutor} (by default {@link java.util.concurrent.ForkJoinPool#commonPool()}),
 * never on the store client's I/O threads, so a callback that blocks cannot stall other decisions' I/O.
 *
 * <p>Obtained from {@link FungibleLimiter#async()}; thread-safe, one per limiter.
 */
public interface AsyncFungibleLimiter {

  /** The resource this limiter guards. */
  String resourceName();

  /** The blocking view of the same limiter. */
  FungibleLimiter blocking();

  /**
   * Asks for one permit without failing for a denial.
   *
   * @return the decision; completed exceptionally with a {@link RateLimiterException} if the store failed (or the
   *     deadline passed) and the failure mode is {@link FailureMode#FAIL_CLOSED}
   * @throws IllegalArgumentException at once, before anything is sent, if {@code accountId} is blank or too long
   */
  default CompletableFuture<Decision> tryAcquire(String accountId) {
    return tryAcquire(accountId, 1);
  }

  /**
   * Asks for {@code permits} permits at once (all or none) without failing for a denial.
   *
   * @throws IllegalArgumentException at once if {@code accountId} is blank or too long or {@code permits} is not
   *     positive; and as the future's failure if {@code permits} exceeds the account's limit (which may need its row)
   */
  CompletableFuture<Decision> tryAcquire(String accountId, long permits);

  /**
   * Charges a cost by limit name ({@link Cost}) to every limit of the account's quota at once, all or nothing,
   * without failing for a denial; a denial's {@link Decision#limitName()} names the limit that denied.
   *
   * @throws IllegalArgumentException at once if {@code accountId} is blank or too long or {@code cost} is null; and
   *     as the future's failure if the cost names a limit the quota lacks or exceeds one
   */
  CompletableFuture<Decision> tryAcquire(String accountId, Cost cost);

  /**
   * The limit that applies to the account now, as {@link FungibleLimiter#limitFor}; complete at once while its row
   * is cached.
   */
  CompletableFuture<Limit> limitFor(String accountId);

  /** The quota that applies to the account now, as {@link FungibleLimiter#quotaFor}. */
  CompletableFuture<Quota> quotaFor(String accountId);

  /**
   * Reserves an estimate to settle when the work is done, as {@link FungibleLimiter#tryReserve}: the charge's
   * {@link Charge#decision()} says whether it was admitted; settle it with {@link Charge#settleAsync(Cost)} (or
   * {@link Charge#cancelAsync()}) to stay off blocking calls.
   *
   * @throws IllegalArgumentException at once if {@code accountId} is blank or too long or {@code estimate} is null
   */
  CompletableFuture<Charge> tryReserve(String accountId, Cost estimate);

  /**
   * Charges work already done, even past the limit (up to {@link LimiterOptions#maxDebt()}), as
   * {@link FungibleLimiter#charge}: the decision says where the account stands afterwards.
   *
   * @throws IllegalArgumentException at once if {@code accountId} is blank or too long or {@code cost} is null
   */
  CompletableFuture<Decision> charge(String accountId, Cost cost);

  /** Acquires one permit: completes exceptionally with {@link CapacityExhaustedException} when denied. */
  default CompletableFuture<Decision> acquire(String accountId) {
    return acquire(accountId, 1);
  }

  /** Acquires {@code permits} permits: completes exceptionally with {@link CapacityExhaustedException} when denied. */
  CompletableFuture<Decision> acquire(String accountId, long permits);

  /** Charges {@code cost}: completes exceptionally with {@link CapacityExhaustedException} when denied. */
  CompletableFuture<Decision> acquire(String accountId, Cost cost);

  /**
   * Acquires {@code permits} permits, waiting up to {@code maxWait} for them: a denial whose
   * {@link Decision#retryAfter()} still fits in what is left of {@code maxWait} is asked again after it, on a
   * scheduler (no thread waits); one that does not fit completes exceptionally with
   * {@link CapacityExhaustedException} at once.
   *
   * @throws IllegalArgumentException at once if {@code maxWait} is null or negative, or as {@link #acquire}
   */
  CompletableFuture<Decision> acquire(String accountId, long permits, Duration maxWait);

  /**
   * Acquires one permit, then runs {@code action}: its stage's result, or a future completed exceptionally with
   * {@link CapacityExhaustedException} (and {@code action} not called) when denied.
   */
  default <T> CompletableFuture<T> call(String accountId, Supplier<? extends CompletionStage<T>> action) {
    return acquire(accountId).thenCompose(decision -> action.get());
  }
}
