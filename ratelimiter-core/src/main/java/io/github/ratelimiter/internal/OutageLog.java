package io.github.ratelimiter.internal;

import io.github.ratelimiter.FailureMode;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a limiter's store failures as one warning per interval with a count, not one per decision: during an outage
 * every decision fails, and a warning each would flood the log of the service the limiter protects. The first
 * failure after a quiet interval is logged at once; the ones after it are counted and reported with the next
 * warning. Thread-safe and lock-free.
 */
final class OutageLog {

  /** At most one warning per limiter in this time. */
  static final long INTERVAL_MILLIS = 10_000;

  private final Logger log;
  private final String what;
  private final Clock clock;
  private final AtomicLong nextWarningMillis = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong unreported = new AtomicLong();

  /** A log of the failures of {@code what}, e.g. {@code "'api' (fail open: admitted, degraded)"}. */
  OutageLog(Logger log, String what, Clock clock) {
    this.log = log;
    this.what = what;
    this.clock = clock;
  }

  /** The log of a limiter on {@code resourceName} with the failure mode {@code mode}. */
  static OutageLog of(Logger log, String resourceName, FailureMode mode, Clock clock) {
    return new OutageLog(log, "'" + resourceName + "' (" + (mode == FailureMode.FAIL_OPEN
        ? "fail open: admitted, degraded"
        : "fail closed: thrown") + ")", clock);
  }

  /** Counts a failure of the store, warning when the interval since the last warning has passed. */
  void failed(RuntimeException e) {
    unreported.incrementAndGet();
    long now = clock.millis();
    long next = nextWarningMillis.get();
    if (now < next || !nextWarningMillis.compareAndSet(next, now + INTERVAL_MILLIS)) {
      return;
    }
    long count = unreported.getAndSet(0);
    log.warn("the store failed {} time{} on {} since the last warning (at most one warning per {} s); last: {}",
        count, count == 1 ? "" : "s", what, INTERVAL_MILLIS / 1000, e.toString());
  }
}
