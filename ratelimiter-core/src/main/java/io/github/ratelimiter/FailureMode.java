package io.github.ratelimiter;

/**
 * What a limiter answers when the shared store cannot be reached or refuses a request (a network error, a missing
 * table, throttling after the client's retries).
 *
 * <p>Neither answer is right for everyone: a limiter that protects a fragile downstream system should fail closed; a
 * limiter that only enforces fairness between tenants may prefer to fail open rather than turn a store outage into
 * an outage of its own service.
 */
public enum FailureMode {
  /** The store's failure is thrown as a {@link RateLimiterException}. The default. */
  FAIL_CLOSED,
  /**
   * The request is admitted, a warning is logged, and the returned {@link Decision} says
   * {@link Decision#degraded() degraded}. Bad arguments and limits that can never be met still throw.
   */
  FAIL_OPEN
}
