package io.github.ratelimiter;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to one request for permits. Immutable and thread-safe.
 *
 * @param allowed whether the permits were granted
 * @param remaining how many single permits the bucket could still grant right now, after this decision; of a
 *     {@link Quota}, the smallest over its limits
 * @param retryAfter zero when allowed; otherwise how long until the same request would be granted, exact as long as
 *     nobody else takes permits meanwhile. For an account whose limit is 0 it is the limit cache's time to live: the
 *     earliest time a changed limit can take effect
 * @param limit the limit that applied: of a {@link Quota}, the one that denied (with the longest wait), or for an
 *     admission the one nearest to stopping requests like this one (the fewest more of them fit, among the limits
 *     the request charges)
 * @param limitName that limit's name in its quota (for a single limit, its window: {@code "1s"})
 * @param degraded true when the store failed and {@link FailureMode#FAIL_OPEN} admitted the request anyway
 */
public record Decision(boolean allowed, long remaining, Duration retryAfter, Limit limit, String limitName,
    boolean degraded) {

  /** Validates the fields. */
  public Decision {
    Objects.requireNonNull(retryAfter, "retryAfter");
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(limitName, "limitName");
    if (remaining < 0) {
      throw new IllegalArgumentException("remaining must not be negative: " + remaining);
    }
    if (allowed && !retryAfter.isZero()) {
      throw new IllegalArgumentException("an allowed decision has no retryAfter: " + retryAfter);
    }
  }

  /** A decision of a single limit, named by its window (as {@link Quota#of(Limit, Limit...)} names it). */
  public Decision(boolean allowed, long remaining, Duration retryAfter, Limit limit, boolean degraded) {
    this(allowed, remaining, retryAfter, limit, Limit.windowText(Objects.requireNonNull(limit, "limit").window()),
        degraded);
  }

  /** Whether the permits were denied. */
  public boolean denied() {
    return !allowed;
  }
}
