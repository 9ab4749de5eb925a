package io.github.ratelimiter;

/**
 * The root of every exception this library throws on purpose, other than {@link IllegalArgumentException} and
 * {@link NullPointerException} for bad arguments.
 *
 * <p>Store failures (a missing table, a network error, an unexpected answer from DynamoDB) arrive as a plain
 * {@code RateLimiterException} whose {@linkplain #getCause() cause} is the store's own exception; no AWS SDK type
 * is ever declared by the public API. The subclasses carry structured fields for the cases callers act on:
 * {@link CapacityExhaustedException}, {@link ThrottlingException} and {@link ReservationNotFoundException}.
 */
public class RateLimiterException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message for people. */
  public RateLimiterException(String message) {
    super(message);
  }

  /** Creates an exception with a message for people and the store's exception as its cause. */
  public RateLimiterException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * For hot-path rejections: no stack trace is captured, since a denial is an answer, not a bug.
   */
  protected RateLimiterException(String message, boolean writableStackTrace) {
    super(message, null, false, writableStackTrace);
  }
}
