package io.github.ratelimiter;

/**
 * The store itself refused the request for load after the client's own retries: on DynamoDB,
 * {@code ProvisionedThroughputExceededException}, {@code RequestLimitExceeded} or {@code ThrottlingException}.
 *
 * <p>This says nothing about the caller's limit: the shared state could not be read or written. Whether the
 * limiter then admits or denies is chosen by {@link FailureMode}.
 */
public final class ThrottlingException extends RateLimiterException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the store's exception as its cause. */
  public ThrottlingException(String message, Throwable cause) {
    super(message, cause);
  }
}
