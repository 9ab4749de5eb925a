package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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

  /** Hot from 200 per second: five asks at one instant (50 per second over an interval) are not. */
  private static final Leasing LEASING_200 =
      Leasing.builder().refreshInterval(Duration.ofMillis(100)).hotThreshold(200).build();

  private final TestClock clock = new TestClock(START);
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
    return ask(limiter, "acct", millis, gapMillis);
  }

  /** As above, for {@code account}. */
  private long ask(DefaultFungibleLimiter limiter, String account, long millis, double gapMillis) {
    long admitted = 0;
    long end = clock.nanos() + millis * MS;
    while (clock.nanos() < end) {
      if (limiter.tryAcquire(account).allowed()) {
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
    long start = clock.nanos();
    long admitted = ask(dying, 300, 1) + ask(survivor, 300, 1);
    // The dying process stops for good holding up to one chunk (100 permits); the survivor asks for 4x the limit.
    for (int ms = 0; ms < 2_000; ms++) {
      for (int i = 0; i < 4; i++) {
        admitted += survivor.tryAcquire("acct").allowed() ? 1 : 0;
      }
      clock.advance(MS);
    }
    long bound = LIMIT.limit() + (clock.nanos() - MS - start) / MS;
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

  @Test
  void aLimitRowSwitchesLeasingOnForItsAccountOnlyWhenTheLimiterDoesNotLeaseEveryKey() {
    store.limits().put(new LimitRecord("api", "big", LIMIT.limit(), LIMIT.window(), null, true));
    DefaultFungibleLimiter limiter = limiter(null);
    assertThat(ask(limiter, "big", 1_000, 2)).isEqualTo(500); // 500 per second, hot
    long leased = writes.get();
    assertThat(leased).as("writes for 500 decisions of the account whose row leases").isLessThan(80);
    assertThat(ask(limiter, "other", 1_000, 2)).isEqualTo(500);
    assertThat(writes.get() - leased).as("writes for 500 decisions of an account without").isEqualTo(500);
  }

  @Test
  void directDecisionsQueuedOnOneKeyMakeItHotWhateverTheRate() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    List<Long> costs = new CopyOnWriteArrayList<>();
    BucketStore slow = request -> {
      costs.add(request.costNanos());
      if (calls.incrementAndGet() <= LeasedBuckets.HOT_IN_FLIGHT) {
        await(release); // a slow store: these direct decisions stay in flight
      }
      return store.buckets().consume(request);
    };
    DefaultFungibleLimiter limiter = new DefaultFungibleLimiter("api", LIMIT, slow,
        new LimitResolver(store.limits(), clock, Duration.ofSeconds(30)), clock, Duration.ofSeconds(30),
        FailureMode.FAIL_CLOSED, Sleeper.SYSTEM, LEASING_200);
    List<Thread> queued = new ArrayList<>();
    for (int i = 0; i < LeasedBuckets.HOT_IN_FLIGHT; i++) {
      Thread thread = new Thread(() -> limiter.tryAcquire("acct"));
      thread.start();
      queued.add(thread);
    }
    while (calls.get() < LeasedBuckets.HOT_IN_FLIGHT) {
      Thread.onSpinWait(); // until all of them are in the store
    }
    // 5 asked at one instant: 50/s spread over a refresh interval, under the threshold of 200 by rate alone
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    release.countDown();
    for (Thread thread : queued) {
      thread.join();
    }
    long interval = LIMIT.window().toNanos() / LIMIT.limit();
    assertThat(costs.subList(0, LeasedBuckets.HOT_IN_FLIGHT)).as("the queued direct decisions").containsOnly(interval);
    assertThat(costs.get(LeasedBuckets.HOT_IN_FLIGHT)).as("the next one took a lease").isGreaterThan(interval);
  }

  @Test
  void aKeyTheStoreThrottledIsLeasedForTenRefreshIntervals() {
    AtomicBoolean throttle = new AtomicBoolean(true);
    List<Long> costs = new CopyOnWriteArrayList<>();
    BucketStore throttling = request -> {
      costs.add(request.costNanos());
      if (throttle.getAndSet(false)) {
        throw new ThrottlingException("DynamoDB throttled UpdateItem", null);
      }
      return store.buckets().consume(request);
    };
    DefaultFungibleLimiter limiter = new DefaultFungibleLimiter("api", LIMIT, throttling,
        new LimitResolver(store.limits(), clock, Duration.ofSeconds(30)), clock, Duration.ofSeconds(30),
        FailureMode.FAIL_CLOSED, Sleeper.SYSTEM, LEASING);
    assertThatThrownBy(() -> limiter.tryAcquire("acct")).isInstanceOf(ThrottlingException.class);
    long interval = LIMIT.window().toNanos() / LIMIT.limit();
    clock.advance(10 * MS);
    ask(limiter, 900, 50); // 20 per second: cold by rate, hot for having been throttled
    assertThat(costs.subList(1, costs.size())).as("lease writes while hot").allMatch(cost -> cost > interval);
    clock.advance(200 * MS); // ten refresh intervals after the throttle
    int before = costs.size();
    ask(limiter, 1_000, 50);
    assertThat(costs.subList(before, costs.size())).as("direct again").hasSize(20).containsOnly(interval);
  }

  @Test
  void aLeaseWriteSlowerThanTheRefreshIntervalDoesNotMakeAHotKeyLookCold() {
    AtomicBoolean slowNext = new AtomicBoolean();
    AtomicInteger slowWrites = new AtomicInteger();
    BucketStore slow = request -> {
      writes.incrementAndGet();
      if (request.costNanos() > LIMIT.window().toNanos() / LIMIT.limit() && slowNext.getAndSet(false)) {
        slowWrites.incrementAndGet();
        clock.advance(300 * MS); // a lease write that takes three refresh intervals: nobody asks meanwhile
      }
      return store.buckets().consume(request);
    };
    DefaultFungibleLimiter limiter = new DefaultFungibleLimiter("api", LIMIT, slow,
        new LimitResolver(store.limits(), clock, Duration.ofSeconds(30)), clock, Duration.ofSeconds(30),
        FailureMode.FAIL_CLOSED, Sleeper.SYSTEM, LEASING_200);
    ask(limiter, 300, 2); // 500 per second: hot, leased
    slowNext.set(true);
    ask(limiter, 200, 2); // its next lease write is the slow one
    assertThat(slowWrites.get()).isEqualTo(1);
    long before = writes.get();
    ask(limiter, 200, 2); // 500 per second again: 100 decisions
    // Counted as time, the wait would spread the interval's few asks over 300 ms (under 200 per second): the key
    // would look cold and the next interval would write once per decision.
    assertThat(writes.get() - before).as("writes for 100 decisions after the slow one").isLessThan(10);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
