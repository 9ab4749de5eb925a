package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Any clock is read exactly, on every call; only the JDK's system clock is read through nanoTime plus an offset. */
class EpochNanosTest {

  /** A clock the caller made, counting its reads; it moves by one nanosecond per read. */
  private static final class CountingClock extends Clock {
    final AtomicInteger reads = new AtomicInteger();
    Instant next = Instant.parse("2026-01-01T00:00:00.000000001Z");

    @Override
    public Instant instant() {
      reads.incrementAndGet();
      Instant now = next;
      next = next.plusNanos(1);
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void aSuppliedClockIsReadExactlyOnEveryCall() {
    CountingClock clock = new CountingClock();
    EpochNanos time = EpochNanos.of(clock);
    long first = EpochNanos.fromInstant(Instant.parse("2026-01-01T00:00:00.000000001Z"));
    for (int i = 0; i < 5; i++) {
      assertThat(time.now()).isEqualTo(first + i);
    }
    assertThat(clock.reads).hasValue(5);
  }

  @Test
  void clocksDerivedFromTheSystemClockAreReadExactlyToo() {
    Instant fixed = Instant.parse("2026-06-01T12:00:00.123456789Z");
    assertThat(EpochNanos.of(Clock.fixed(fixed, ZoneOffset.UTC)).now()).isEqualTo(EpochNanos.fromInstant(fixed));
    Clock offset = Clock.offset(Clock.systemUTC(), Duration.ofDays(-365));
    assertThat(EpochNanos.of(offset)).isNotInstanceOf(EpochNanos.SystemTime.class);
    long yearAgo = EpochNanos.fromInstant(Instant.now().minus(Duration.ofDays(365)));
    assertThat(EpochNanos.of(offset).now()).isBetween(yearAgo, yearAgo + Duration.ofMinutes(1).toNanos());
    assertThat(EpochNanos.of(Clock.tickSeconds(ZoneOffset.UTC)).now() % 1_000_000_000L).isZero();
  }

  @Test
  void theSystemClockInAnyZoneIsReadAsNanoTimePlusAnOffsetThatAgreesWithIt() {
    assertThat(EpochNanos.of(Clock.systemUTC())).isSameAs(EpochNanos.SystemTime.INSTANCE);
    assertThat(EpochNanos.of(Clock.systemDefaultZone())).isSameAs(EpochNanos.SystemTime.INSTANCE);
    assertThat(EpochNanos.of(Clock.system(ZoneId.of("Asia/Tokyo")))).isSameAs(EpochNanos.SystemTime.INSTANCE);
    EpochNanos time = EpochNanos.of(Clock.systemUTC());
    // Bracketed by two readings of the system clock itself: the offset is taken between nanoTime readings at most
    // MAX_SYNC_GAP_NANOS apart, so a reading is off by at most half that (unless the wall clock is stepped
    // meanwhile, which this machine's clock is not expected to be in a test's few milliseconds).
    long slack = EpochNanos.MAX_SYNC_GAP_NANOS / 2;
    for (int i = 0; i < 10_000; i++) {
      long before = EpochNanos.fromInstant(Instant.now());
      long read = time.now();
      long after = EpochNanos.fromInstant(Instant.now());
      assertThat(read).isBetween(before - slack, after + slack);
    }
  }
}
