package io.github.ratelimiter.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Gcra;
import java.time.Duration;

/**
 * A limit with its GCRA arithmetic worked out once: the emission interval {@code T} and the tolerance {@code L*T}
 * (see {@link Gcra}). The one value a decision carries for its rate, instead of the limit, interval and tolerance
 * as loose numbers. A blocking limit (0) has interval and tolerance 0 and grants nothing. Immutable.
 *
 * @param limit the limit
 * @param interval the emission interval {@code T} in nanoseconds, 0 when the limit blocks
 * @param tolerance {@code L*T} in nanoseconds: how far {@code tat} may run ahead of now
 * @param name the limit's name in its quota, for the decisions
 */
record Rate(Limit limit, long interval, long tolerance, String name) {

  /** A limit named by its window, as a quota of one names it. */
  static Rate of(Limit limit) {
    return of(Quota.of(limit).names().get(0), limit);
  }

  static Rate of(String name, Limit limit) {
    if (limit.blocks()) {
      return new Rate(limit, 0, 0, name);
    }
    long interval = Gcra.intervalNanos(limit);
    return new Rate(limit, interval, Gcra.toleranceNanos(interval, limit.limit()), name);
  }

  boolean blocks() {
    return limit.blocks();
  }

  /** The cost of {@code permits} permits: {@code permits * T}. */
  long cost(long permits) {
    return Gcra.costNanos(interval, permits);
  }

  /** Whether a request of {@code cost} is certainly denied, given a {@code tat} the bucket has at least. */
  boolean certainlyDenied(long seenTat, long now, long cost) {
    return Gcra.certainlyDenied(seenTat, now, cost, tolerance);
  }

  /**
   * Whether the last seen state leaves room for this request but not for another like it: the bucket is at its
   * limit, and every thread of this process that asks now would race for the same permit.
   */
  boolean nearlyExhausted(long seenTat, long now, long cost) {
    return seenTat != BucketStore.UNKNOWN && Math.max(seenTat, now) + 2 * cost - now > tolerance;
  }

  /** How many single permits a bucket at {@code tat} holds at {@code now}. */
  long remaining(long tat, long now) {
    return Gcra.remaining(tat, now, interval, tolerance);
  }

  /** How long until a request of {@code cost} fits a bucket at {@code tat}. */
  Duration retryAfter(long tat, long now, long cost) {
    return Gcra.retryAfter(tat, now, cost, tolerance);
  }

  /** An admission that left the bucket at {@code tat}. */
  Decision allowed(long tat, long now) {
    return new Decision(true, remaining(tat, now), Duration.ZERO, limit, name, false);
  }

  /** A denial of {@code cost} by a bucket at {@code tat}. */
  Decision denied(long tat, long now, long cost) {
    return new Decision(false, remaining(tat, now), retryAfter(tat, now, cost), limit, name, false);
  }
}
