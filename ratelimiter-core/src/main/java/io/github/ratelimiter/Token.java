package io.github.ratelimiter;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A slot of an account's capacity held by a live resource. Immutable; {@link #renew(Duration)} returns the renewed
 * token. Thread-safe.
 */
public interface Token {

  /** The resource that holds the slot, e.g. an EMR cluster id. */
  String resourceId();

  /** The account. */
  String accountId();

  /** The id of the reservation the token was created from: its slot number, as the table's {@code reservationId}. */
  String reservationId();

  /** When the token expires, to the second. */
  Instant expiresAt();

  /**
   * Extends the token to live {@code ttl} from now.
   *
   * @return the renewed token
   * @throws ReservationNotFoundException if the token expired, or was released
   */
  Token renew(Duration ttl);

  /**
   * Releases the token, freeing its slot. Idempotent.
   *
   * @return whether this call released it; false when it was already gone
   */
  boolean release();

  /**
   * {@link #renew(Duration)} without waiting: the renewed token, or a future completed exceptionally with
   * {@link ReservationNotFoundException} when the token expired or was released.
   *
   * @throws IllegalArgumentException at once if {@code ttl} is under a second
   */
  CompletableFuture<Token> renewAsync(Duration ttl);

  /** {@link #release()} without waiting: whether this call released it. */
  CompletableFuture<Boolean> releaseAsync();

  /**
   * Whether this token comes from a {@link Reservation#degraded() degraded} reservation: it holds no slot, its
   * resource is not counted against the cap, {@link #renew(Duration)} only moves its expiry, and {@link #release()}
   * writes nothing and returns false.
   */
  default boolean degraded() {
    return false;
  }
}
