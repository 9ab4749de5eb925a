package io.github.ratelimiter;

/**
 * Hears what the limiters decide and what they ask the store: the hook behind metrics (see
 * {@code ratelimiter-micrometer}'s {@code RateLimiterMetrics}), tracing or custom logging. Register one or more with
 * {@link RateLimiters.Builder#listener(RateLimiterListener)}.
 *
 * <p>Every method has an empty default, so an implementation overrides only what it needs. The parameters are
 * primitives, enums and the strings the limiter already holds (its resource name, the caller's account id, an
 * operation name constant): no event object is allocated per call, and nothing at all is called when no listener is
 * registered.
 *
 * <p>Methods are called synchronously, on the thread that made the decision or the request, so they must be quick
 * and thread-safe. They must not throw; an exception a listener throws is caught, logged (at most once a minute) and
 * otherwise ignored, so a faulty listener never changes a decision.
 */
public interface RateLimiterListener {

  /** The listener that ignores everything. */
  RateLimiterListener NONE = new RateLimiterListener() {};

  /** Which kind of limiter decided. */
  enum LimiterKind {
    /** A {@link FungibleLimiter} (token bucket). */
    FUNGIBLE,
    /** A {@link NonFungibleLimiter} (cap on live reservations and tokens). */
    NON_FUNGIBLE
  }

  /** What a decision was. */
  enum DecisionOutcome {
    /** Granted: permits taken, or a reservation holding a slot. */
    ALLOWED,
    /** Refused: the account is at its limit (or its limit is 0). */
    DENIED,
    /**
     * Granted without the store, because the store failed and the limiter's {@link FailureMode} is
     * {@link FailureMode#FAIL_OPEN}: nothing was counted against the limit.
     */
    DEGRADED,
    /** The store failed and the failure was thrown as a {@link RateLimiterException} ({@link FailureMode#FAIL_CLOSED}). */
    ERROR
  }

  /** How one request to the store ended. */
  enum StoreOutcome {
    /** Answered and applied. */
    OK,
    /** A conditional write whose condition did not hold: an answer (someone else took the permit or the slot). */
    CONDITION_FAILED,
    /** Refused for load by the store (on DynamoDB: provisioned throughput exceeded, request limit, throttling). */
    THROTTLED,
    /** Any other failure: a network error, a timeout, a missing table, a 500. */
    ERROR
  }

  /** What moved an account's bucket, for {@link #onCost}. */
  enum CostKind {
    /** A {@link Charge}'s estimate, admitted by {@link FungibleLimiter#tryReserve(String, Cost)}. */
    RESERVE,
    /** The extra of a {@link Charge#settle(Cost) settle} above its estimate, charged even past the limit. */
    SETTLE,
    /**
     * Given back: by a settle below its estimate, a cancel, or a decision across keys that another key denied.
     */
    REFUND,
    /** A post-paid {@link FungibleLimiter#charge(String, Cost) charge}. */
    CHARGE
  }

  /**
   * A reserve, settle, cancel or post-paid charge moved the bucket of one limit (not called for plain
   * {@code tryAcquire} decisions, which {@link #onDecision} hears).
   *
   * @param resourceName the limiter's resource
   * @param limitName the limit's name in its quota
   * @param kind what moved it
   * @param amount in the limit's units; for a refund, what went back (the part of it already passed is forfeited)
   * @param debt of a settle or charge, how much of {@code amount} went past the limit (0 otherwise)
   */
  default void onCost(String resourceName, String limitName, CostKind kind, long amount, long debt) {}

  /**
   * Part of a settle, cancel or post-paid charge did not reach the bucket: beyond the limiter's
   * {@link LimiterOptions#maxDebt()} (not charged), or lost with a store write that failed after its retries. A lost
   * {@link CostKind#REFUND} leaves the bucket charged more than it should be (it under-admits, never over-admits);
   * a lost {@link CostKind#SETTLE} or {@link CostKind#CHARGE} is usage that was not counted.
   *
   * @param resourceName the limiter's resource
   * @param accountId the account (a high-cardinality value: do not tag every metric with it)
   * @param limitName the limit's name in its quota
   * @param kind what was lost
   * @param amount in the limit's units
   * @param storeFailed true when the store failed, false when the amount was beyond the maximum debt
   */
  default void onCostLost(String resourceName, String accountId, String limitName, CostKind kind, long amount,
      boolean storeFailed) {}

  /**
   * A fungible acquire or a non-fungible reservation was decided.
   *
   * @param resourceName the limiter's resource
   * @param accountId the account that asked (a high-cardinality value: do not tag every metric with it)
   * @param kind which kind of limiter
   * @param outcome what was decided
   * @param permits the permits asked for (1 for a reservation)
   * @param storeAsked whether the decision sent anything to the store; false for a denial answered from what this
   *     process last saw of the bucket, or for an account whose limit is 0
   */
  default void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
      long permits, boolean storeAsked) {}

  /**
   * A fungible decision was denied by the limit named {@code limitName} of the account's quota (a single limit's
   * name is its window, e.g. {@code "1s"}); heard right after its {@link #onDecision}.
   *
   * @param resourceName the limiter's resource
   * @param accountId the account that asked (high-cardinality, as in {@link #onDecision})
   * @param limitName the denying limit's name (a constant per quota: cheap as a tag)
   */
  default void onDenied(String resourceName, String accountId, String limitName) {}

  /**
   * One request to the store ended: for DynamoDB, one HTTP attempt, so that every retried throttled attempt is
   * heard, as DynamoDB bills it. The in-memory store sends none.
   *
   * @param operation the store's operation name, e.g. {@code UpdateItem}, {@code Query} (a constant: cheap as a tag)
   * @param outcome how it ended
   * @param latencyNanos how long it took, in nanoseconds (a {@code long}, so that nothing is allocated per request)
   */
  default void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {}

  /**
   * The limit cache read a resource's limit rows from the store (when first needed, and ahead of expiry after that).
   *
   * @param resourceName the resource whose rows were read
   * @param succeeded false when the read failed: the cached rows, if any, keep serving until they expire
   */
  default void onLimitRefresh(String resourceName, boolean succeeded) {}

  /**
   * How many reservations and tokens an account holds live on a non-fungible resource, as this process sees it:
   * the count of each read of the account's slots (every reservation and listing reads them), then one more or one
   * less for each slot this process takes or frees until the next read. A gauge of live tokens per resource sums
   * the last value per account; other processes' grants show at this process's next read.
   *
   * @param resourceName the resource
   * @param accountId the account
   * @param live live reservations and tokens of the account
   */
  default void onLiveSlots(String resourceName, String accountId, int live) {}
}
