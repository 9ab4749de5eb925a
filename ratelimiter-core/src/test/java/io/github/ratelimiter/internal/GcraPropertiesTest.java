package io.github.ratelimiter.internal;

import io.github.ratelimiter.store.Gcra;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Invariants of the pure algorithm, over random limits and random arrival sequences. */
class GcraPropertiesTest {

  private static final long START = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z in epoch nanoseconds

  /** One arrival: time since the previous one, and permits asked (scaled into 1..limit). */
  record Arrival(long gapNanos, int permitsSeed) {}

  @Provide
  Arbitrary<List<Arrival>> arrivals() {
    Arbitrary<Long> gaps = Arbitraries.oneOf(
        Arbitraries.just(0L),
        Arbitraries.longs().between(0, 1_000_000L),
        Arbitraries.longs().between(0, 3_000_000_000L));
    return Combinators.combine(gaps, Arbitraries.integers().between(0, 1_000_000))
        .as(Arrival::new).list().ofMaxSize(200);
  }

  private static long permits(Arrival arrival, Limit limit) {
    return 1 + arrival.permitsSeed() % limit.limit();
  }

  /**
   * The reference: a token bucket kept as credit in nanoseconds, refilled one nanosecond per nanosecond up to
   * {@code L*T}, spending {@code n*T} per admission. A different representation of the same bucket.
   */
  @Property
  void agreesWithACreditTokenBucket(@ForAll @IntRange(min = 1, max = 50) int limitCount,
      @ForAll @LongRange(min = 1, max = 10_000) long windowMillis, @ForAll("arrivals") List<Arrival> arrivals) {
    Limit limit = Limit.of(limitCount, Duration.ofMillis(windowMillis));
    long interval = Gcra.intervalNanos(limit);
    long tolerance = Gcra.toleranceNanos(limit);
    long tat = BucketStore.UNKNOWN;
    long credit = tolerance;
    long now = START;
    long last = START;
    for (Arrival arrival : arrivals) {
      now += arrival.gapNanos();
      credit = Math.min(tolerance, credit + (now - last));
      last = now;
      long cost = permits(arrival, limit) * interval;
      BucketResult result = Gcra.step(tat, now, cost, tolerance);
      boolean modelAdmits = credit >= cost;
      assertThat(result.allowed()).isEqualTo(modelAdmits);
      if (modelAdmits) {
        credit -= cost;
        tat = result.tat();
      }
      assertThat(Gcra.remaining(tat == BucketStore.UNKNOWN ? now : tat, now, interval, tolerance))
          .isEqualTo(credit / interval);
    }
  }

  /** From a full bucket, at most {@code L + floor(t * L / W)} permits in any prefix of length {@code t}. */
  @Property
  void neverGrantsMoreThanCapacityPlusRefill(@ForAll @IntRange(min = 1, max = 50) int limitCount,
      @ForAll @LongRange(min = 1, max = 10_000) long windowMillis, @ForAll("arrivals") List<Arrival> arrivals) {
    Limit limit = Limit.of(limitCount, Duration.ofMillis(windowMillis));
    long windowNanos = limit.window().toNanos();
    long tolerance = Gcra.toleranceNanos(limit);
    long tat = BucketStore.UNKNOWN;
    long now = START;
    long granted = 0;
    for (Arrival arrival : arrivals) {
      now += arrival.gapNanos();
      long permits = permits(arrival, limit);
      BucketResult result = Gcra.step(tat, now, Gcra.costNanos(limit, permits), tolerance);
      if (result.allowed()) {
        granted += permits;
        tat = result.tat();
      }
      long elapsed = now - START;
      long bound = limitCount + java.math.BigInteger.valueOf(elapsed).multiply(java.math.BigInteger.valueOf(limitCount))
          .divide(java.math.BigInteger.valueOf(windowNanos)).longValueExact();
      assertThat(granted).isLessThanOrEqualTo(bound);
    }
  }

  /** n single requests at one instant are granted exactly when one request for n is, and leave the same state. */
  @Property
  void nSingleAcquiresEqualOneAcquireOfN(@ForAll @IntRange(min = 1, max = 50) int limitCount,
      @ForAll @LongRange(min = 1, max = 10_000) long windowMillis,
      @ForAll @LongRange(min = 0, max = 20_000_000_000L) long tatOffset, @ForAll @IntRange(min = 1, max = 50) int n) {
    Limit limit = Limit.of(limitCount, Duration.ofMillis(windowMillis));
    long interval = Gcra.intervalNanos(limit);
    long tolerance = Gcra.toleranceNanos(limit);
    long now = START;
    long tat = START - 10_000_000_000L + tatOffset;
    long permits = Math.min(n, limitCount);
    BucketResult once = Gcra.step(tat, now, permits * interval, tolerance);
    long singleTat = tat;
    boolean allSingles = true;
    for (int i = 0; i < permits; i++) {
      BucketResult single = Gcra.step(singleTat, now, interval, tolerance);
      allSingles &= single.allowed();
      singleTat = single.allowed() ? single.tat() : singleTat;
    }
    assertThat(allSingles).isEqualTo(once.allowed());
    if (once.allowed()) {
      assertThat(singleTat).isEqualTo(once.tat());
    }
  }

  /** Waiting exactly the retry-after admits the request; one nanosecond less does not. */
  @Property
  void retryAfterIsExact(@ForAll @IntRange(min = 1, max = 50) int limitCount,
      @ForAll @LongRange(min = 1, max = 10_000) long windowMillis,
      @ForAll @LongRange(min = 0, max = 20_000_000_000L) long tatOffset, @ForAll @IntRange(min = 1, max = 50) int n) {
    Limit limit = Limit.of(limitCount, Duration.ofMillis(windowMillis));
    long tolerance = Gcra.toleranceNanos(limit);
    long cost = Gcra.costNanos(limit, Math.min(n, limitCount));
    long tat = START + tatOffset;
    BucketResult denied = Gcra.step(tat, START, cost, tolerance);
    if (denied.allowed()) {
      return;
    }
    long wait = Gcra.retryAfter(tat, START, cost, tolerance).toNanos();
    assertThat(wait).isPositive();
    assertThat(Gcra.step(tat, START + wait, cost, tolerance).allowed()).isTrue();
    assertThat(Gcra.step(tat, START + wait - 1, cost, tolerance).allowed()).isFalse();
    assertThat(Gcra.certainlyDenied(tat, START + wait - 1, cost, tolerance)).isTrue();
  }
}
