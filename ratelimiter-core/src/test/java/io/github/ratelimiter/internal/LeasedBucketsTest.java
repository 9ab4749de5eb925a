package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.internal.LeasesPropertiesTest.SteppedClock;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The leased path of the fungible limiter on the in-memory store, step by step on a stepped clock. */
class LeasedBucketsTest {

  private static final long START = 1_767_225_600_000_000_000L;
  private static final long MS = 1_000_000L;
  /** 1,000 per second: T = 1 ms; with a 100 ms refresh interval a lease is at most 100 permits. */
  private static final Limit LIMIT = Limit.of(1_000, Duration.ofSeconds(1));
  private static final Leasing LEASING =
      Leasing.builder().refreshInterval(Duration.ofMillis(100)).hotThreshold(50).build();

  private final SteppedClock clock = new SteppedClock(START);
  private final InMemoryStore store = InMemoryStore.create();
  private final AtomicLong writes = new AtomicLong();
  private final BucketStore counted = request -> {
    writes.incrementAndGet();
    return store.buckets().consume(request);
  };

  private DefaultFungibleLimiter limiter(Leasing leasing) {
    return new DefaultFungibleLimiter("api", LIMIT, counted,
        new LimitResolver(store.limits(), clock, Duration.ofSeconds(30)), clock, Duration.ofSeconds(30),
        FailureMode.FAIL_CLOSED, Sleeper.SYSTEM, leasing);
  }

  /** Asks one permit every {@code gapMillis} for {@code millis}; returns the admissions. */
  private long ask(DefaultFungibleLimiter limiter, long millis, double gapMillis) {
    long admitted = 0;
    long end = clock.nanos + millis * MS;
    while (clock.nanos < end) {
      if (limiter.tryAcquire("acct").allowed()) {
        admitted++;
      }
      clock.advance((long) (gapMillis * MS));
    }
    return admitted;
  }

  private long burst(DefaultFungibleLimiter limiter) {
    long admitted = 0;
    while (limiter.tryAcquire("acct").allowed()) {
      admitted++;
    }
    return admitted;
  }

  @Test
  void aColdKeyWritesOncePerDecisionAsWithoutLeasing() {
    DefaultFungibleLimiter limiter = limiter(LEASING);
    assertThat(ask(limiter, 2_000, 50)).isEqualTo(40); // 20 per second, under the hot threshold of 50
    assertThat(writes.get()).isEqualTo(40);
  }

  @Test
  void aHotKeyIsWrittenAboutOncePerRefreshInterval() {
    DefaultFungibleLimiter limiter = limiter(LEASING);
    assertThat(ask(limiter, 200, 2)).as("first refresh interval direct, then leased").isEqualTo(100);
    long before = writes.get();
    assertThat(ask(limiter, 10_000, 2)).isEqualTo(5_000); // 500 per second
    assertThat(writes.get() - before).as("writes for 5,000 decisions").isBetween(100L, 130L);
  }

  /**
   * The stale-chunk case: a process takes a chunk, goes idle for a whole window, then bursts. Handing out the old
   * chunk on top of a refilled bucket would admit the limit plus the chunk at one instant; its slots have passed, so
   * they are forfeited and the burst gets exactly the limit.
   */
  @Test
  void aChunkLeftIdleForAWindowIsForfeitedNotGrantedOnTopOfAFullBucket() {
    DefaultFungibleLimiter limiter = limiter(LEASING);
    ask(limiter, 300, 1); // hot: 1,000 asked per second; holds a chunk now
    clock.advance(LIMIT.window().toNanos() + 5 * MS);
    long admitted = burst(limiter);
    // At most the limit; a leasing burst may stop short by less than the smallest lease (25 here).
    assertThat(admitted).isBetween(LIMIT.limit() - 24, LIMIT.limit());
  }

  @Test
  void aKilledProcesssChunkIsLostButTheOthersTakeTheRestAtOnce() {
    DefaultFungibleLimiter dying = limiter(LEASING);
    DefaultFungibleLimiter survivor = limiter(LEASING);
    long start = clock.nanos;
    long admitted = ask(dying, 300, 1) + ask(survivor, 300, 1);
    // The dying process stops for good holding up to one chunk (100 permits); the survivor asks for 4x the limit.
    for (int ms = 0; ms < 2_000; ms++) {
      for (int i = 0; i < 4; i++) {
        admitted += survivor.tryAcquire("acct").allowed() ? 1 : 0;
      }
      clock.advance(MS);
    }
    long bound = LIMIT.limit() + (clock.nanos - MS - start) / MS;
    assertThat(admitted).isLessThanOrEqualTo(bound).isGreaterThanOrEqualTo(bound - 2 * 100);
  }

  @Test
  void aDirectProcessAndALeasingProcessShareOneBucketExactly() {
    DefaultFungibleLimiter direct = limiter(null);
    DefaultFungibleLimiter leasing = limiter(LEASING);
    long admitted = 0;
    for (int ms = 0; ms < 3_000; ms++) {
      for (int i = 0; i < 2; i++) {
        admitted += direct.tryAcquire("acct").allowed() ? 1 : 0;
        admitted += leasing.tryAcquire("acct").allowed() ? 1 : 0;
      }
      clock.advance(MS);
    }
    assertThat(admitted).isLessThanOrEqualTo(1_000 + 3_000).isGreaterThan(3_700);
  }

  @Test
  void aKeyThatCoolsDownGoesBackToOneWritePerDecision() {
    DefaultFungibleLimiter limiter = limiter(LEASING);
    ask(limiter, 1_000, 1);
    clock.advance(2 * LIMIT.window().toNanos());
    ask(limiter, 300, 50); // measured cold after one refresh interval
    long before = writes.get();
    assertThat(ask(limiter, 1_000, 50)).isEqualTo(20);
    assertThat(writes.get() - before).isEqualTo(20);
  }

  @Test
  void aDecisionOnALeasedKeyReportsWhatThisProcessHoldsPlusWhatTheBucketHeld() {
    DefaultFungibleLimiter limiter = limiter(LEASING);
    ask(limiter, 200, 1);
    Decision decision = limiter.tryAcquire("acct");
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.remaining()).isBetween(0L, LIMIT.limit());
  }
}
