package io.github.ratelimiter.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock the test moves by hand, to the nanosecond. Only the test's thread moves it; other threads may read it
 * meanwhile (the time is a volatile field). The core's tests cannot use {@code ratelimiter-testing}'s
 * {@code ManualClock}: that module depends on this one.
 */
final class TestClock extends Clock {
  private volatile long nanos;

  /** A clock at {@code startNanos} nanoseconds after the epoch. */
  TestClock(long startNanos) {
    this.nanos = startNanos;
  }

  /** A clock at {@code start}. */
  TestClock(Instant start) {
    this(EpochNanos.fromInstant(start));
  }

  /** Now, in nanoseconds since the epoch. */
  long nanos() {
    return nanos;
  }

  /** Moves the clock {@code byNanos} forward. */
  void advance(long byNanos) {
    nanos += byNanos;
  }

  /** Moves the clock {@code by} forward. */
  void advance(Duration by) {
    advance(by.toNanos());
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(0, nanos);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
