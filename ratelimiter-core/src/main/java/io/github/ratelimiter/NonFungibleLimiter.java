package io.github.ratelimiter;

import java.util.List;
import java.util.Optional;

/**
 * An exact cap on live unique resources per account (at most 10 EMR clusters, 3 exports), shared by every process
 * that uses the same store.
 *
 * <p>A caller takes a {@link Reservation} (a placeholder that counts against the cap), creates the resource, then
 * turns the reservation into a {@link Token} that carries the resource's id; the token is released when the resource
 * ends: by {@link Token#release()}, by {@link #release(String)} (what the event-processing Lambda calls), or by expiry.
 *
 * <pre>{@code
 * NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
 * try (Reservation reservation = clusters.reserve(accountId)) {   // throws CapacityExhaustedException when full
 *   String clusterId = emr.runJobFlow(request).jobFlowId();
 *   reservation.createToken(clusterId);
 * }   // if no token was created (the launch failed), closing deletes the reservation
 * }</pre>
 *
 * <p><b>Exactness.</b> The account's capacity is a set of numbered slots, one row each; a reservation is a conditional
 * write that takes a free (absent or expired) slot, so at no instant do more than {@code limit} live rows exist, from
 * any number of processes, without transactions. When an account's limit is lowered below what it holds, nothing is
 * revoked: no new reservation is granted until the account holds fewer than the new limit.
 * Live rows another library wrote into the same table count toward the cap as well, and {@link #release(String)}
 * frees them; grants of this library stay exact among themselves while such rows are present.
 *
 * <p><b>Cost.</b> A granted reservation costs two requests (a consistent query of the account's slots and one
 * conditional write) when no slot is contended, two more (a query and a write) per lost race; one (the write)
 * when this process has just freed a slot of the account and its last query of it is recent and shows only this
 * library's rows. Thread-safe.
 */
public interface NonFungibleLimiter {

  /** The resource this limiter caps. */
  String resourceName();

  /**
   * The non-blocking view of this limiter: the same cap on the same slots as futures, no thread waiting for the
   * store (see {@link AsyncNonFungibleLimiter}). The limiters of {@link RateLimiters} all have one; the default, for
   * a test double, throws.
   *
   * @throws UnsupportedOperationException if this implementation has no asynchronous view
   */
  default AsyncNonFungibleLimiter async() {
    throw new UnsupportedOperationException(getClass().getName() + " has no asynchronous view");
  }

  /** The cap that applies to the account now (the table's row, else the default). */
  long limitFor(String accountId);

  /**
   * Takes a reservation. When the store fails and the limiter's {@link FailureMode} is
   * {@link FailureMode#FAIL_OPEN}, returns a {@link Reservation#degraded() degraded} reservation that holds no slot.
   *
   * @throws CapacityExhaustedException if the account holds its limit of live reservations and tokens
   * @throws IllegalArgumentException if {@code accountId} is blank or too long
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}
   */
  Reservation reserve(String accountId);

  /**
   * Takes a reservation, or returns empty when the account holds its limit; a degraded reservation when the store
   * fails under {@link FailureMode#FAIL_OPEN}.
   *
   * @throws RateLimiterException if the store fails and the failure mode is {@link FailureMode#FAIL_CLOSED}
   */
  Optional<Reservation> tryReserve(String accountId);

  /**
   * Releases the token that carries the resource id, if there is one. Idempotent.
   *
   * @return whether a token was released; false when none carries the id (already released, expired or unknown)
   */
  boolean release(String resourceId);

  /** The account's live reservations and tokens, ordered by slot; expired rows are left out. */
  List<ActiveToken> activeTokens(String accountId);
}
