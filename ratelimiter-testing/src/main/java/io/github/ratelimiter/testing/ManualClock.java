package io.github.ratelimiter.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when told to. Thread-safe: many threads may read it while one advances it.
 *
 * <pre>{@code
 * ManualClock clock = ManualClock.at(Instant.parse("2026-01-01T00:00:00Z"));
 * RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).sleeper(clock::advance).build();
 * clock.advance(Duration.ofMillis(100));
 * }</pre>
 */
public final class ManualClock extends Clock {

  private final AtomicReference<Instant> now;

  private ManualClock(Instant start) {
    this.now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
  }

  /** A clock that reads {@code start} until advanced. */
  public static ManualClock at(Instant start) {
    return new ManualClock(start);
  }

  /** A clock that starts at a fixed, whole-second instant of 2026. */
  public static ManualClock create() {
    return at(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /** Moves the clock forward. */
  public void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative: " + duration);
    }
    now.updateAndGet(instant -> instant.plus(duration));
  }

  /** Sets the clock; it may move backwards, as a skewed host's clock would. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a ManualClock is always UTC");
  }
}
