package io.github.ratelimiter.store;

import java.util.Objects;

/**
 * The fungible token buckets, each stored as one theoretical arrival time ({@code tat}, epoch nanoseconds).
 *
 * <p>An implementation applies one step of the generic cell rate algorithm atomically per call: with
 * {@code start = max(tat, now)} (a missing bucket counting as {@code now}), the request is admitted exactly when
 * {@code start + cost <= now + tolerance}, and then {@code tat} becomes {@code start + cost}; a denied request
 * changes nothing. {@link BucketRequest#applyTo(long)} is that step, for a store that holds the {@code tat} itself
 * (in memory) or learns it from a failed conditional write (DynamoDB), so no store restates the rule.
 *
 * <p>The same step serves leases for hot keys ({@link io.github.ratelimiter.Leasing}): a process takes a chunk of
 * {@code m} permits with a step of cost {@code m * T} and owns the slots {@code [tat - cost, tat)} of the returned
 * {@code tat}. So a store needs nothing beyond this one atomic step for leasing, but it must apply it atomically for
 * any cost up to the tolerance, and return the exact {@code tat} it stored; the contract suite checks that chunks taken
 * concurrently through separate store instances never overlap.
 */
public interface BucketStore {

  /**
   * Applies one step to the bucket of (resource, account).
   *
   * @param request the bucket, the time and the arithmetic's inputs
   * @return whether it was admitted, and the bucket's {@code tat} after the step (exact, read consistently)
   */
  BucketResult consume(BucketRequest request);

  /**
   * One step's inputs.
   *
   * @param resourceName the resource
   * @param accountId the account
   * @param nowNanos now, in epoch nanoseconds
   * @param costNanos the permits asked for, times the emission interval
   * @param toleranceNanos the limit times the emission interval: how far {@code tat} may run ahead of now
   * @param knownTat the last {@code tat} this process saw for the bucket, or {@link #UNKNOWN}: a hint a store may use
   *     to choose its first attempt, never a fact
   * @param deadline when the decision must be over: a store that sends requests bounds each of them (all its
   *     attempts for this step) by the time left, and fails with {@link Deadline#passed} rather than send one after
   *     it
   */
  record BucketRequest(String resourceName, String accountId, long nowNanos, long costNanos, long toleranceNanos,
      long knownTat, Deadline deadline) {

    /** Checks that the deadline is there ({@link Deadline#none()} for none). */
    public BucketRequest {
      Objects.requireNonNull(deadline, "deadline");
    }

    /**
     * The step applied to a stored {@code tat}: admitted exactly when {@code max(tat, now) + cost <= now + tolerance},
     * and the {@code tat} to store then. A pure function: it reads no clock and changes nothing.
     *
     * @param storedTat the bucket's {@code tat}, or {@link #UNKNOWN} when it has no row
     * @return whether admitted, and {@code tat} after the step (unchanged when denied)
     */
    public BucketResult applyTo(long storedTat) {
      return Gcra.step(storedTat, nowNanos, costNanos, toleranceNanos);
    }

    /** The largest stored {@code tat} that still admits this request: {@code now + tolerance - cost}. */
    public long maxAdmittedTat() {
      return nowNanos + toleranceNanos - costNanos;
    }
  }

  /**
   * One step's outcome.
   *
   * @param allowed whether the permits were granted
   * @param tat the bucket's theoretical arrival time after the step, epoch nanoseconds
   */
  record BucketResult(boolean allowed, long tat) {}

  /** {@link BucketRequest#knownTat()} when this process has not seen the bucket. */
  long UNKNOWN = Long.MIN_VALUE;
}
