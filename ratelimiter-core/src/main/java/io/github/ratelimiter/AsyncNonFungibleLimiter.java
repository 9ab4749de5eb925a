package io.github.ratelimiter;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The non-blocking view of a {@link NonFungibleLimiter}: the same exact cap on the same slots, as futures, with no
 * thread waiting for the store.
 *
 * <pre>{@code
 * AsyncNonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10).async();
 *
 * clusters.reserve(accountId)                                       // CapacityExhaustedException when full
 *     .thenCompose(r -> launch(request)
 *         .thenCompose(clusterId -> r.createTokenAsync(clusterId))
 *         .whenComplete((token, failure) -> { if (failure != null) r.deleteAsync(); }));
 * }</pre>
 *
 * <p>A reservation and its token are the blocking view's {@link Reservation} and {@link Token}; their operations
 * have non-blocking twins ({@link Reservation#createTokenAsync}, {@link Reservation#deleteAsync},
 * {@link Token#renewAsync}, {@link Token#releaseAsync}) for this path. The semantics are the blocking limiter's (the
 * same slots, the same cost per grant, one deadline per reservation, the failure mode, the listeners), and the
 * threads are as in {@link AsyncFungibleLimiter}: nothing blocks, and a future that waited for the store completes on
 * the executor of {@link RateLimiters.Builder#asyncExecutor}.
 *
 * <p>Obtained from {@link NonFungibleLimiter#async()}; thread-safe, one per limiter.
 */
public interface AsyncNonFungibleLimiter {

  /** The resource this limiter caps. */
  String resourceName();

  /** The blocking view of the same limiter. */
  NonFungibleLimiter blocking();

  /**
   * Takes a slot of the account's cap.
   *
   * @return the reservation; completed exceptionally with {@link CapacityExhaustedException} when the account holds
   *     its limit, or with a {@link RateLimiterException} if the store failed (fail-closed)
   * @throws IllegalArgumentException at once, before anything is sent, if {@code accountId} is blank or too long
   */
  CompletableFuture<Reservation> reserve(String accountId);

  /** As {@link #reserve}, but completes with empty rather than exceptionally when the account is at its limit. */
  CompletableFuture<Optional<Reservation>> tryReserve(String accountId);

  /**
   * Frees the token (or foreign row) that carries the resource id, as {@link NonFungibleLimiter#release(String)}.
   *
   * @return whether a row was released
   */
  CompletableFuture<Boolean> release(String resourceId);
}
