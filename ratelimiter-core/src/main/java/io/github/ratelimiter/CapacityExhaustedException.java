package io.github.ratelimiter;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Thrown by the throwing methods ({@link FungibleLimiter#acquire(String)}, {@link NonFungibleLimiter#reserve(String)})
 * when the account has no capacity left on the resource.
 *
 * <p>{@link #retryAfter()} says how long to wait before the same request would be admitted, when that is known: a
 * fungible limiter always knows it exactly; a non-fungible limiter cannot know when a holder will release its token,
 * and an account whose limit is 0 is blocked until its limit changes, so both return empty.
 *
 * <p>The exception is thrown on the hot path of a rejection, so it does not capture a stack trace.
 */
public final class CapacityExhaustedException extends RateLimiterException {
  private static final long serialVersionUID = 1L;

  private final String resourceName;
  private final String accountId;
  private final transient Duration retryAfter;

  /**
   * Creates the exception.
   *
   * @param message a message for people
   * @param resourceName the limited resource
   * @param accountId the account that was denied
   * @param retryAfter how long to wait before retrying, or {@code null} when unknown
   */
  public CapacityExhaustedException(String message, String resourceName, String accountId, Duration retryAfter) {
    super(message, false);
    this.resourceName = Objects.requireNonNull(resourceName, "resourceName");
    this.accountId = Objects.requireNonNull(accountId, "accountId");
    this.retryAfter = retryAfter;
  }

  /** The resource whose capacity is exhausted. */
  public String resourceName() {
    return resourceName;
  }

  /** The account that was denied. */
  public String accountId() {
    return accountId;
  }

  /** How long to wait before the same request would be admitted; empty when it cannot be known. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
