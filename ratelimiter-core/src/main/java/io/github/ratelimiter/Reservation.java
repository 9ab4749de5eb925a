package io.github.ratelimiter;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A held slot of an account's capacity, waiting for its resource to be created. Expires after the reservation time
 * to live (default 300 s) unless turned into a token.
 *
 * <p>Use it with try-with-resources: {@link #close()} deletes the reservation unless a token was created from it,
 * so a failed launch never leaves capacity stuck. On the non-blocking path ({@link AsyncNonFungibleLimiter}) use the
 * {@code Async} twins, which send the same writes without waiting: {@link #createTokenAsync(String)} and
 * {@link #deleteAsync()}. Thread-safe.
 */
public interface Reservation extends AutoCloseable {

  /** The reservation's id: the number of the slot it holds, as the table's {@code reservationId} stores it. */
  String reservationId();

  /** The account that holds it. */
  String accountId();

  /** When it expires, to the second. */
  Instant expiresAt();

  /**
   * Turns the reservation into a token for the resource, living the default token time (8 h).
   *
   * @throws ReservationNotFoundException if the reservation expired and lost its slot, or was deleted
   * @throws IllegalStateException if a token was already created from it
   * @throws IllegalArgumentException if {@code resourceId} is blank or too long
   */
  Token createToken(String resourceId);

  /**
   * Turns the reservation into a token for the resource, living {@code ttl}.
   *
   * @throws ReservationNotFoundException if the reservation expired and lost its slot, or was deleted
   * @throws IllegalStateException if a token was already created from it
   * @throws IllegalArgumentException if {@code resourceId} is blank or too long, or {@code ttl} under a second
   */
  Token createToken(String resourceId, Duration ttl);

  /**
   * {@link #createToken(String)} without waiting: the token, or a future completed exceptionally with
   * {@link ReservationNotFoundException} or {@link IllegalStateException} as that method would throw.
   *
   * @throws IllegalArgumentException at once if {@code resourceId} is blank or too long
   */
  CompletableFuture<Token> createTokenAsync(String resourceId);

  /**
   * {@link #createToken(String, Duration)} without waiting.
   *
   * @throws IllegalArgumentException at once if {@code resourceId} is blank or too long, or {@code ttl} under a
   *     second
   */
  CompletableFuture<Token> createTokenAsync(String resourceId, Duration ttl);

  /** Deletes the reservation, freeing its slot, unless a token was created from it. Idempotent. */
  void delete();

  /** {@link #delete()} without waiting; the future completes once the slot is freed (or nothing was to free). */
  CompletableFuture<Void> deleteAsync();

  /** Same as {@link #delete()}. */
  @Override
  void close();

  /**
   * Whether the store failed and the limiter's {@link FailureMode#FAIL_OPEN} granted this reservation without it.
   * A degraded reservation holds no slot and counts against nothing; its {@link #reservationId()} is
   * {@code "degraded"}, its {@link #createToken(String)} gives a degraded token without writing anything, and deleting
   * it does nothing.
   */
  default boolean degraded() {
    return false;
  }
}
