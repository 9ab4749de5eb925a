package io.github.ratelimiter.internal;

import java.time.Clock;
import java.time.Instant;

/**
 * A clock read as epoch nanoseconds, the time every decision works in ({@link io.github.ratelimiter.store.Gcra}).
 *
 * <p>{@link #of(Clock)} reads any clock exactly as {@code fromInstant(clock.instant())}, with one exception: the
 * JDK's system clock ({@link Clock#systemUTC()}, in any zone), whose {@code instant()} is a native call that costs
 * about as much as the rest of an in-memory decision. That clock is read instead as {@link System#nanoTime()} plus
 * an offset taken from {@code Instant.now()}, taken again at least every {@link #RESYNC_NANOS}.
 *
 * <h2>Why that is the same clock</h2>
 *
 * <p>On Linux both come from one clock: {@code nanoTime()} is {@code CLOCK_MONOTONIC} and {@code Instant.now()} is
 * {@code CLOCK_REALTIME}, which differ by an offset that changes only when the wall clock is stepped (NTP slewing
 * adjusts the rate of both alike). An offset is taken between two {@code nanoTime()} readings at most
 * {@link #MAX_SYNC_GAP_NANOS} apart, so it is off by at most half that (in practice a few tens of nanoseconds), and
 * a step of the wall clock is followed within {@link #RESYNC_NANOS}. Where the OS slews the wall clock apart from
 * {@code nanoTime()}'s, add at most the slew rate over {@link #RESYNC_NANOS} (0.5 us at NTP's 500 ppm). Within
 * those bounds this is the system clock: the difference is of the same kind as, and far smaller than, the clock skew
 * between hosts that {@link Gcra} already allows for; readings may step back by as much when the offset is taken
 * again, as the wall clock itself may. A clock the caller supplies in any other form ({@code Clock.offset},
 * {@code Clock.tick}, a test clock, their own) is read exactly, on every call.
 */
public interface EpochNanos {

  /** How often the system clock's offset is taken again: a stepped wall clock is followed within this. */
  long RESYNC_NANOS = 1_000_000L;

  /** The widest bracket of {@code nanoTime()} readings around {@code Instant.now()} an offset is taken from. */
  long MAX_SYNC_GAP_NANOS = 20_000L;

  /** The clock's time now, in nanoseconds since the epoch. */
  long now();

  /** Epoch nanoseconds of an instant, exact until the year 2262: the one conversion the limiters use. */
  static long fromInstant(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
  }

  /** {@code clock} read as epoch nanoseconds (see the class description). */
  static EpochNanos of(Clock clock) {
    if (clock.getClass() == SystemTime.SYSTEM_CLOCK_CLASS) {
      return SystemTime.INSTANCE;
    }
    return () -> fromInstant(clock.instant());
  }

  /** The system clock as {@code nanoTime()} plus an offset; one for the JVM, so every limiter shares its offset. */
  final class SystemTime implements EpochNanos {

    static final Class<?> SYSTEM_CLOCK_CLASS = Clock.systemUTC().getClass();
    static final SystemTime INSTANCE = new SystemTime();

    /** {@code epochNanos - nanoTime}, taken at {@code syncedAt} ({@code nanoTime}). Immutable: safe to publish. */
    private record Offset(long offset, long syncedAt) {}

    /**
     * The last offset taken, or null before the first; a plain field: a thread that reads an older one uses an
     * offset that was true when taken, within {@link #RESYNC_NANOS}, or takes it again.
     */
    private Offset current;

    private SystemTime() {
      sync();
    }

    @Override
    public long now() {
      long mono = System.nanoTime();
      Offset o = current;
      if (o != null && mono - o.syncedAt() < RESYNC_NANOS) {
        return mono + o.offset();
      }
      return sync();
    }

    /** Takes the offset again (a few tries when this thread is preempted mid-way); returns the time read. */
    long sync() {
      long wall = 0;
      for (int attempt = 0; attempt < 3; attempt++) {
        long before = System.nanoTime();
        wall = fromInstant(Instant.now());
        long after = System.nanoTime();
        if (after - before <= MAX_SYNC_GAP_NANOS) {
          long mid = before + (after - before) / 2;
          current = new Offset(wall - mid, mid);
          return wall;
        }
      }
      return wall; // no tight bracket this time: the exact reading, and the next call tries again
    }
  }
}
