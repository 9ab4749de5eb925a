package io.github.ratelimiter.internal;

import io.github.ratelimiter.store.Gcra;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.store.InMemoryStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The lease invariants, over random limits, refresh intervals and schedules: the pure steps keep every granted slot
 * inside {@code [now, now + L*T]} and inside the chunk, and several processes that lease, processes that do not,
 * processes that die holding a chunk and processes that go quiet never admit more, over any interval, than the
 * bucket's bound.
 */
class LeasesPropertiesTest {

  private static final long START = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z in epoch nanoseconds

  @Property
  void aGrantTakesSlotsInsideTheChunkAndInsideNowPlusTolerance(
      @ForAll @LongRange(min = 0, max = 10_000_000) long cursorOffset,
      @ForAll @LongRange(min = 0, max = 10_000_000) long length,
      @ForAll @LongRange(min = 0, max = 20_000_000) long nowOffset,
      @ForAll @LongRange(min = 1, max = 1_000_000) long cost,
      @ForAll @LongRange(min = 1, max = 5_000_000) long tolerance) {
    long cursor = START + cursorOffset;
    long end = cursor + length;
    long now = START + nowOffset;
    long next = Leases.grant(cursor, end, now, cost, tolerance);
    long start = Math.max(cursor, now);
    boolean fits = start + cost <= end && start + cost <= now + tolerance;
    assertThat(next != Leases.NONE).isEqualTo(fits);
    if (fits) {
      assertThat(next - cost).isGreaterThanOrEqualTo(now).isGreaterThanOrEqualTo(cursor);
      assertThat(next).isLessThanOrEqualTo(end).isLessThanOrEqualTo(now + tolerance);
    }
  }

  @Property
  void leaseSizesStayWithinTheirBounds(@ForAll @LongRange(min = 1, max = 1_000_000_000) long limit,
      @ForAll @LongRange(min = 1, max = 3_600_000) long windowMillis,
      @ForAll @LongRange(min = 1, max = 60_000) long refreshMillis,
      @ForAll @LongRange(min = 0, max = 10_000_000_000L) long demand,
      @ForAll @LongRange(min = 1, max = 1_000) long permitsSeed,
      @ForAll @LongRange(min = 0, max = 2_000_000_000) long fit, @ForAll boolean idle) {
    long permits = 1 + (permitsSeed - 1) % limit;
    long maxLease = Leases.maxLease(limit, windowMillis * 1_000_000, refreshMillis * 1_000_000);
    assertThat(maxLease).isBetween(1L, Math.max(1, limit / 4));
    long wanted = Leases.wanted(demand, refreshMillis * 1_000_000, permits, maxLease, idle);
    assertThat(wanted).isBetween(permits, Math.max(permits, maxLease));
    long least = Leases.least(wanted, maxLease, permits);
    assertThat(least).isBetween(permits, wanted);
    long lease = Leases.lease(wanted, least, fit);
    if (fit >= least) {
      assertThat(lease).isBetween(least, Math.min(wanted, fit));
    } else {
      assertThat(lease).isZero();
    }
  }

  /** One step of a schedule: which process asks (or dies), after how long, for how many permits. */
  record Step(int process, long gapNanos, int permitsSeed, int burst, boolean kill) {}

  @Provide
  Arbitrary<List<Step>> schedules() {
    Arbitrary<Long> gaps = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, Arbitraries.just(0L)),
        net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(0, 2_000_000L)),
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(0, 200_000_000L)),
        net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 3_000_000_000L)));
    Arbitrary<Integer> bursts = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.just(1)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(1, 300)));
    return Combinators.combine(Arbitraries.integers().between(0, 3), gaps, Arbitraries.integers().between(0, 1000),
            bursts, Arbitraries.integers().between(0, 60).map(i -> i == 0))
        .as(Step::new).list().ofMaxSize(250);
  }

  /**
   * Four processes on one bucket of an in-memory store: three lease (hot from 1 permit per second, so they lease
   * almost at once), one never does; processes die holding their chunk; demand comes in bursts and pauses. Every
   * admission is logged with the time its decision used, and the merged log must obey
   * {@code count <= L + floor(t / T)} over every interval, which implies the bound {@code L + floor(t * L / W)}.
   */
  @Property(tries = 200)
  void processesThatLeaseDieOrDoNotNeverAdmitMoreThanTheBoundOverAnyInterval(
      @ForAll @IntRange(min = 1, max = 400) int limitCount,
      @ForAll @LongRange(min = 1, max = 5_000) long windowMillis,
      @ForAll @LongRange(min = 1, max = 2_000) long refreshMillis,
      @ForAll("schedules") List<Step> schedule) {
    Limit limit = Limit.of(limitCount, Duration.ofMillis(windowMillis));
    long interval = Gcra.intervalNanos(limit);
    TestClock clock = new TestClock(START);
    InMemoryStore store = InMemoryStore.create();
    Leasing leasing = Leasing.builder().refreshInterval(Duration.ofMillis(refreshMillis)).hotThreshold(1).build();
    DefaultFungibleLimiter[] processes = new DefaultFungibleLimiter[4];
    for (int p = 0; p < processes.length; p++) {
      processes[p] = limiter(store, clock, p == 3 ? null : leasing, limit);
    }
    List<Long> admittedAt = new ArrayList<>();
    for (Step step : schedule) {
      clock.advance(step.gapNanos());
      if (step.kill()) {
        // The process dies with whatever chunk it holds; a fresh one (nothing leased yet) takes its place.
        processes[step.process()] = limiter(store, clock, step.process() == 3 ? null : leasing, limit);
        continue;
      }
      long permits = 1 + step.permitsSeed() % Math.min(limitCount, 8);
      for (int i = 0; i < step.burst(); i++) {
        Decision decision = processes[step.process()].tryAcquire("acct", permits);
        if (decision.allowed()) {
          for (int k = 0; k < permits; k++) {
            admittedAt.add(clock.nanos());
          }
        }
        clock.advance(step.gapNanos() % 97);
      }
    }
    assertWithinBoundOverEveryInterval(admittedAt, limitCount, interval);
  }

  /**
   * Checks {@code j - i + 1 <= L + floor((g_j - g_i) / T)} for every pair {@code i <= j} of admissions sorted by
   * time, in one pass: it is {@code g_i - i*T <= g_j - (j + 1 - L)*T}, so a running maximum of the left side does.
   */
  static void assertWithinBoundOverEveryInterval(List<Long> admittedAt, long limit, long interval) {
    long[] times = admittedAt.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(times);
    long maxLeft = Long.MIN_VALUE;
    for (int j = 0; j < times.length; j++) {
      long g = times[j] - START;
      maxLeft = Math.max(maxLeft, g - j * interval);
      long right = g - (j + 1 - limit) * interval;
      assertThat(maxLeft).as("admission %d of %d at +%d ns", j, times.length, g).isLessThanOrEqualTo(right);
    }
  }

  private static DefaultFungibleLimiter limiter(InMemoryStore store, Clock clock, Leasing leasing, Limit limit) {
    return new DefaultFungibleLimiter("hot", limit, store.buckets(),
        new LimitResolver(store.limits(), clock, Duration.ofSeconds(30)), clock, Duration.ofSeconds(30),
        FailureMode.FAIL_CLOSED, Sleeper.SYSTEM, leasing);
  }
}
