package io.github.ratelimiter;

/**
 * What a limiter answers when the shared store cannot be reached or refuses a request (a network error, a missing
 * table, throttling after the client's retries). Set for every limiter with
 * {@link RateLimiters.Builder#failureMode(FailureMode)}, per limiter with {@link LimiterOptions}. Either way the
 * failure is heard by the {@link RateLimiterListener} (outcome {@code ERROR} or {@code DEGRADED}) and logged at most
 * once per 10 s per limiter, with a count.
 *
 * <p>Neither answer is right for everyone: a limiter that protects a fragile downstream system should fail closed; a
 * limiter that only enforces fairness between tenants may prefer to fail open rather than turn a store outage into
 * an outage of its own service.
 */
public enum FailureMode {
  /**
   * The store's failure is thrown as a {@link RateLimiterException} ({@link ThrottlingException} for throttling),
   * the store's own exception as its cause. The default.
   */
  FAIL_CLOSED,
  /**
   * The request is admitted without the store: a fungible {@link Decision} says {@link Decision#degraded()
   * degraded} and takes nothing from the bucket; a non-fungible reservation is {@link Reservation#degraded()
   * degraded}, holds no slot, and its token writes nothing. Only decisions fail open: turning a held reservation
   * into a token, renewing and releasing still throw. Bad arguments and limits that can never be met still throw.
   */
  FAIL_OPEN
}
