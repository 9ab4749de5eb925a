package io.github.ratelimiter.store;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

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
 *
 * <p><b>Asynchronously.</b> Each call has a twin ending in {@code Async} that returns a {@link CompletableFuture}
 * for the same step, with the same contract: the limiters' {@code async()} views call only those. The defaults run
 * the blocking method on the calling thread and return its answer completed, which is right for a store that answers
 * in process ({@link InMemoryStore}); a store that sends requests overrides them so that no thread waits for an
 * answer (the DynamoDB store sends them with the SDK's asynchronous client). An overriding store completes its
 * futures exceptionally with what the blocking method would throw, and may complete them on its client's threads:
 * the limiters move user callbacks off those threads themselves.
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
   * {@link #consume(BucketRequest)} without waiting: the same step, its outcome or failure as a future.
   *
   * @param request the bucket, the time and the arithmetic's inputs
   * @return the outcome, or a future completed exceptionally with a {@link io.github.ratelimiter.RateLimiterException}
   */
  default CompletableFuture<BucketResult> consumeAsync(BucketRequest request) {
    return InProcess.call(() -> consume(request));
  }

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

    /**
     * {@link #applyTo(long)} without its result object: the {@code tat} after the step when admitted, else
     * {@link Gcra#DENIED}. For a store that retries a compare-and-set in a loop.
     */
    public long admittedTat(long storedTat) {
      return Gcra.admittedTat(storedTat, nowNanos, costNanos, toleranceNanos);
    }

    /** The largest stored {@code tat} that still admits this request: {@code now + tolerance - cost}. */
    public long maxAdmittedTat() {
      return nowNanos + toleranceNanos - costNanos;
    }
  }

  /**
   * Applies one step to every limit of a quota's bucket at once, all or nothing: the request is admitted exactly when
   * every lane admits its own cost ({@link QuotaRequest#applyTo(long[])}), and then every lane's {@code tat} moves;
   * a denial changes nothing. The first lane is the {@code tat} that {@link #consume(BucketRequest)} steps, so a
   * bucket may be asked as a single limit and as a quota whose first limit is that one.
   *
   * @param request the bucket, the time and each lane's arithmetic
   * @return whether it was admitted, and every lane's {@code tat} after the step (exact, read consistently)
   * @throws UnsupportedOperationException by default: a store that decides quotas of several limits overrides this
   *     (both of this project's stores do, and the contract suite checks it); a limiter asks it only for a quota of
   *     two limits or more
   */
  default QuotaResult consume(QuotaRequest request) {
    throw new UnsupportedOperationException(getClass().getName() + " does not decide quotas of several limits");
  }

  /** {@link #consume(QuotaRequest)} without waiting: the same step, its outcome or failure as a future. */
  default CompletableFuture<QuotaResult> consumeAsync(QuotaRequest request) {
    return InProcess.call(() -> consume(request));
  }

  /**
   * One limit of a quota, as a step sees it.
   *
   * @param name the limit's name; lane 0 is stored as the bucket's {@code tat} whatever its name, the others by name
   * @param costNanos the amount asked of this limit, times its emission interval; 0 charges and checks nothing
   * @param toleranceNanos the limit times its emission interval
   * @param knownTat the last {@code tat} of this lane this process saw, or {@link #UNKNOWN}: a hint, never a fact
   */
  record Lane(String name, long costNanos, long toleranceNanos, long knownTat) {

    /** Checks the name and the numbers. */
    public Lane {
      Objects.requireNonNull(name, "name");
      if (costNanos < 0 || toleranceNanos < 0) {
        throw new IllegalArgumentException("lane '" + name + "': cost and tolerance must not be negative: "
            + costNanos + ", " + toleranceNanos);
      }
    }

    /** The largest stored {@code tat} that still admits this lane's cost: {@code now + tolerance - cost}. */
    public long maxAdmittedTat(long nowNanos) {
      return nowNanos + toleranceNanos - costNanos;
    }
  }

  /**
   * A quota step's inputs.
   *
   * @param resourceName the resource
   * @param accountId the account
   * @param nowNanos now, in epoch nanoseconds
   * @param lanes one per limit of the quota, in the quota's order (at least two; one limit is a
   *     {@link BucketRequest})
   * @param deadline when the decision must be over (see {@link BucketRequest#deadline()})
   */
  record QuotaRequest(String resourceName, String accountId, long nowNanos, List<Lane> lanes, Deadline deadline) {

    /** Copies the lanes and checks the deadline. */
    public QuotaRequest {
      lanes = List.copyOf(lanes);
      Objects.requireNonNull(deadline, "deadline");
      if (lanes.isEmpty()) {
        throw new IllegalArgumentException("a quota step needs at least one lane");
      }
    }

    /**
     * The step applied to the stored {@code tat} of every lane: admitted exactly when every lane with a cost admits
     * it ({@link Gcra#step}), and then each lane's {@code tat} after its own step. A pure function.
     *
     * @param storedTats each lane's stored {@code tat}, or {@link #UNKNOWN} for none
     * @return whether admitted, the {@code tat} of each lane after the step (unchanged when denied), and, when
     *     denied, the lane that denied with the longest wait
     */
    public QuotaResult applyTo(long[] storedTats) {
      long[] after = storedTats.clone();
      int denying = -1;
      long longestWait = -1;
      for (int i = 0; i < lanes.size(); i++) {
        Lane lane = lanes.get(i);
        if (lane.costNanos() == 0) {
          continue;
        }
        BucketResult step = Gcra.step(storedTats[i], nowNanos, lane.costNanos(), lane.toleranceNanos());
        if (step.allowed()) {
          after[i] = step.tat();
        } else {
          long wait = Gcra.retryAfter(storedTats[i], nowNanos, lane.costNanos(), lane.toleranceNanos()).toNanos();
          if (wait > longestWait) {
            longestWait = wait;
            denying = i;
          }
        }
      }
      return denying < 0 ? new QuotaResult(true, after, -1) : new QuotaResult(false, storedTats.clone(), denying);
    }
  }

  /**
   * A quota step's outcome.
   *
   * @param allowed whether every lane admitted
   * @param tats each lane's {@code tat} after the step (as stored when denied; {@link #UNKNOWN} for a lane with no
   *     state and no cost); not to be modified
   * @param denyingLane when denied, the lane whose wait is the longest; -1 when allowed
   */
  record QuotaResult(boolean allowed, long[] tats, int denyingLane) {}

  /**
   * Gives back part of an earlier admission of this bucket (a decision across several keys that another key denied):
   * each lane's {@code tat} moves back by its amount, all lanes or none, and only while every lane's {@code tat} is
   * still at least what that admission left ({@link Refund#atLeastTat()}): a bucket that was since reset or removed
   * is left alone. The amounts are chosen by the limiter so that a refund cannot create credit (see
   * {@link io.github.ratelimiter.RateLimiters#tryAcquireAll(List)}); the store applies them as given.
   *
   * @return whether the refund was applied
   * @throws UnsupportedOperationException by default: a store that supports decisions across several keys
   *     overrides this (both of this project's stores do, and the contract suite checks it)
   */
  default boolean refund(RefundRequest request) {
    throw new UnsupportedOperationException(getClass().getName() + " does not refund");
  }

  /** {@link #refund(RefundRequest)} without waiting: whether it was applied, or its failure, as a future. */
  default CompletableFuture<Boolean> refundAsync(RefundRequest request) {
    return InProcess.call(() -> refund(request));
  }

  /**
   * One lane's refund.
   *
   * @param name the lane's name (lane 0 is the bucket's {@code tat} whatever its name, as in {@link Lane})
   * @param amountNanos how far to move the lane's {@code tat} back, 0 for nothing
   * @param atLeastTat the {@code tat} the admission left: the refund applies only while the lane is at least there
   */
  record Refund(String name, long amountNanos, long atLeastTat) {

    /** Checks the name and the amount. */
    public Refund {
      Objects.requireNonNull(name, "name");
      if (amountNanos < 0) {
        throw new IllegalArgumentException("lane '" + name + "': a refund must not be negative: " + amountNanos);
      }
    }
  }

  /**
   * A refund's inputs.
   *
   * @param resourceName the resource
   * @param accountId the account
   * @param lanes one per lane of the admission, in its order
   * @param deadline when the decision must be over
   */
  record RefundRequest(String resourceName, String accountId, List<Refund> lanes, Deadline deadline) {

    /** Copies the lanes and checks the deadline. */
    public RefundRequest {
      lanes = List.copyOf(lanes);
      Objects.requireNonNull(deadline, "deadline");
    }
  }

  /**
   * One step's outcome.
   *
   * @param allowed whether the permits were granted
   * @param tat the bucket's theoretical arrival time after the step, epoch nanoseconds
   */
  record BucketResult(boolean allowed, long tat) {}

  /**
   * Whether each call is a request to a server (DynamoDB) rather than a step taken in process. Limiters then send
   * together the decisions of one process that find a call in flight on the same bucket: they wait for it and go to
   * the store as one step of their summed cost, each still decided exactly (see the limiter's notes on coalescing).
   * Under contention that turns a write per decision into a write per round trip. The default, false, suits a store
   * in process, where waiting for another thread would cost more than the step itself.
   */
  default boolean remote() {
    return false;
  }

  /** {@link BucketRequest#knownTat()} when this process has not seen the bucket. */
  long UNKNOWN = Long.MIN_VALUE;
}
