package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every store must give fungible limiters. A store's test extends this and says how to open the store
 * under test; every test here runs on a {@link ManualClock}, so none sleeps.
 */
public abstract class FungibleLimiterContract extends StoreContract {

  /** For a store implementation's test class. */
  protected FungibleLimiterContract() {}

  /** Ten per second: an emission interval of exactly 100 ms. */
  protected static final Limit TEN_PER_SECOND = Limit.of(10, Duration.ofSeconds(1));

  @Test
  void aFullBucketGrantsItsLimitThenDeniesWithAnExactRetryAfter() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    for (int i = 0; i < 10; i++) {
      Decision decision = limiter.tryAcquire("acct");
      assertThat(decision.allowed()).as("request %d", i).isTrue();
      assertThat(decision.remaining()).isEqualTo(9 - i);
    }
    Decision denied = limiter.tryAcquire("acct");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.remaining()).isZero();
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void waitingExactlyRetryAfterIsAdmittedAndOneNanosecondLessIsNot() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    for (int i = 0; i < 10; i++) {
      limiter.acquire("acct");
    }
    clock.advance(Duration.ofMillis(30));
    Decision denied = limiter.tryAcquire("acct");
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(70));
    clock.advance(denied.retryAfter().minusNanos(1));
    assertThat(limiter.tryAcquire("acct").allowed()).isFalse();
    clock.advance(Duration.ofNanos(1));
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    assertThat(limiter.tryAcquire("acct").allowed()).isFalse();
  }

  @Test
  void manyPermitsAreAllOrNothing() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    assertThat(limiter.tryAcquire("acct", 7).remaining()).isEqualTo(3);
    Decision denied = limiter.tryAcquire("acct", 4);
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.remaining()).isEqualTo(3);
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(100));
    assertThat(limiter.tryAcquire("acct", 3).allowed()).isTrue();
    assertThat(limiter.tryAcquire("acct").allowed()).isFalse();
  }

  @Test
  void anIdleBucketRefillsOnlyToItsLimit() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    limiter.acquire("acct", 10);
    clock.advance(Duration.ofHours(1));
    assertThat(limiter.tryAcquire("acct").remaining()).isEqualTo(9);
    assertThat(limiter.tryAcquire("acct", 9).allowed()).isTrue();
    assertThat(limiter.tryAcquire("acct").allowed()).isFalse();
  }

  @Test
  void aWindowThatIsNoWholeNumberOfNanosecondsNeverOverAdmits() {
    Limit threePerTenSeconds = Limit.of(3, Duration.ofSeconds(10));
    FungibleLimiter limiter = limiters().fungible("api", threePerTenSeconds);
    long admitted = 0;
    for (int second = 0; second <= 100; second++) {
      while (limiter.tryAcquire("acct").allowed()) {
        admitted++;
      }
      long bound = 3 + (long) second * 3 / 10;
      assertThat(admitted).as("after %d s", second).isLessThanOrEqualTo(bound).isGreaterThanOrEqualTo(bound - 1);
      clock.advance(Duration.ofSeconds(1));
    }
  }

  @Test
  void permitsAboveTheLimitAreRejectedAsNeverGrantable() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    assertThatThrownBy(() -> limiter.tryAcquire("acct", 11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("permits 11")
        .hasMessageContaining("never");
    assertThat(limiter.tryAcquire("acct", 10).allowed()).isTrue();
  }

  @Test
  void accountsAndResourcesHaveSeparateBuckets() {
    RateLimiters limiters = limiters();
    FungibleLimiter a = limiters.fungible("a", Limit.of(1, Duration.ofSeconds(1)));
    FungibleLimiter b = limiters.fungible("b", Limit.of(1, Duration.ofSeconds(1)));
    assertThat(a.tryAcquire("x").allowed()).isTrue();
    assertThat(a.tryAcquire("y").allowed()).isTrue();
    assertThat(b.tryAcquire("x").allowed()).isTrue();
    assertThat(a.tryAcquire("x").allowed()).isFalse();
  }

  @Test
  void aLimitRowOverridesTheDefaultForItsAccountOnly() {
    RateLimiters limiters = limiters();
    limiters.store().limits().put(new LimitRecord("api", "small", 2, Duration.ofSeconds(1), "svc"));
    FungibleLimiter limiter = limiters.fungible("api", TEN_PER_SECOND);
    assertThat(limiter.limitFor("small")).isEqualTo(Limit.of(2, Duration.ofSeconds(1)));
    assertThat(limiter.tryAcquire("small", 2).allowed()).isTrue();
    assertThat(limiter.tryAcquire("small").allowed()).isFalse();
    assertThat(limiter.tryAcquire("other", 10).allowed()).isTrue();
  }

  /**
   * A row without a window (the Python loader stores {@code windowSec} 0 for an entry without one): its limit
   * applies on the default limit's window, rather than the row being ignored or dividing by zero.
   */
  @Test
  void aRowWithoutAWindowAppliesItsLimitOnTheDefaultWindow() {
    RateLimiters limiters = limiters();
    limiters.store().limits().put(new LimitRecord("api", "acct", 2, null, "svc"));
    FungibleLimiter limiter = limiters.fungible("api", TEN_PER_SECOND);
    assertThat(limiter.limitFor("acct")).isEqualTo(Limit.of(2, Duration.ofSeconds(1)));
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    Decision denied = limiter.tryAcquire("acct");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(500));
    assertThat(limiter.limitFor("other")).isEqualTo(TEN_PER_SECOND);
  }

  @Test
  void aResourcesRowsAreListedWholeOnlyWhenThereAreFewEnough() {
    LimitStore limits = limiters().store().limits();
    for (String account : List.of("c", "a", "b")) {
      limits.put(new LimitRecord("api", account, 2, Duration.ofSeconds(1), null));
    }
    limits.put(new LimitRecord("other", "a", 2, Duration.ofSeconds(1), null));
    assertThat(limits.listByResource("api", 3, Deadline.none())).hasValueSatisfying(rows ->
        assertThat(rows).extracting(LimitRecord::accountId).containsExactlyInAnyOrder("a", "b", "c"));
    assertThat(limits.listByResource("api", 2, Deadline.none())).isEmpty();
    assertThat(limits.listByResource("none", 2, Deadline.none()))
        .hasValueSatisfying(rows -> assertThat(rows).isEmpty());
  }

  @Test
  void aChangedLimitRowTakesEffectWithinTheCacheTimeToLive() {
    RateLimiters limiters = limiters();
    FungibleLimiter limiter = limiters.fungible("api", TEN_PER_SECOND);
    assertThat(limiter.limitFor("acct")).isEqualTo(TEN_PER_SECOND);
    limiters.store().limits().put(new LimitRecord("api", "acct", 2, Duration.ofSeconds(1), null));
    clock.advance(Duration.ofSeconds(20));
    assertThat(limiter.limitFor("acct")).as("cached").isEqualTo(TEN_PER_SECOND);
    clock.advance(Duration.ofSeconds(10));
    assertThat(limiter.limitFor("acct")).isEqualTo(Limit.of(2, Duration.ofSeconds(1)));
  }

  @Test
  void aLimitOfZeroBlocksTheAccount() {
    RateLimiters limiters = limiters();
    limiters.store().limits().put(new LimitRecord("api", "banned", 0, Duration.ofSeconds(1), null));
    FungibleLimiter limiter = limiters.fungible("api", TEN_PER_SECOND);
    assertThat(limiter.tryAcquire("banned").allowed()).isFalse();
    assertThatThrownBy(() -> limiter.acquire("banned"))
        .isInstanceOfSatisfying(CapacityExhaustedException.class, e -> {
          assertThat(e.retryAfter()).isEmpty();
          assertThat(e.accountId()).isEqualTo("banned");
          assertThat(e.resourceName()).isEqualTo("api");
        })
        .hasMessageContaining("no capacity");
  }

  @Test
  void acquireThrowsWithTheRetryAfterWhenDenied() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    limiter.acquire("acct", 10);
    assertThatThrownBy(() -> limiter.acquire("acct"))
        .isInstanceOfSatisfying(CapacityExhaustedException.class,
            e -> assertThat(e.retryAfter()).contains(Duration.ofMillis(100)));
  }

  @Test
  void acquireWithMaxWaitWaitsExactlyAsLongAsNeeded() {
    FungibleLimiter limiter = limiters().fungible("api", TEN_PER_SECOND);
    limiter.acquire("acct", 10);
    var start = clock.instant();
    assertThat(limiter.acquire("acct", 3, Duration.ofSeconds(1)).allowed()).isTrue();
    assertThat(Duration.between(start, clock.instant())).isEqualTo(Duration.ofMillis(300));
    assertThatThrownBy(() -> limiter.acquire("acct", 5, Duration.ofMillis(499)))
        .isInstanceOf(CapacityExhaustedException.class);
    assertThat(limiter.acquire("acct", 5, Duration.ofMillis(500)).allowed()).isTrue();
  }

  @Test
  void badArgumentsAreRejectedBeforeAnythingIsWritten() {
    RateLimiters limiters = limiters();
    FungibleLimiter limiter = limiters.fungible("api", TEN_PER_SECOND);
    assertThatThrownBy(() -> limiter.tryAcquire(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accountId");
    assertThatThrownBy(() -> limiter.tryAcquire(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accountId must not be blank: ' '");
    assertThatThrownBy(() -> limiter.tryAcquire("x".repeat(1025))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1025");
    assertThatThrownBy(() -> limiter.tryAcquire("acct", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("permits must be at least 1: 0");
    assertThatThrownBy(() -> limiters.fungible("", TEN_PER_SECOND)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resourceName");
    assertThat(limiter.tryAcquire("acct", 10).allowed()).isTrue();
  }

  @Test
  void idsAtTheKeySizeLimitWork() {
    FungibleLimiter limiter = limiters().fungible("r".repeat(1024), TEN_PER_SECOND);
    assertThat(limiter.tryAcquire("é".repeat(512)).allowed()).isTrue();
  }

  /**
   * Two limiter instances over separately opened stores, 8 threads each, hammer one bucket while the clock moves
   * in steps. After the clock has moved by {@code t}, exactly {@code limit + t * limit / window} permits must have
   * been granted: never more at any step, and all of them once the threads catch up.
   */
  @Test
  void concurrentCallersFromTwoInstancesAreAdmittedExactlyTheBound() throws Exception {
    Limit limit = Limit.of(20, Duration.ofSeconds(1)); // one permit per 50 ms
    List<FungibleLimiter> instances = List.of(limiters().fungible("hot", limit), limiters().fungible("hot", limit));
    int threadsPerInstance = 8;
    int steps = 40; // 40 steps of 100 ms: 4 simulated seconds
    AtomicLong admitted = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threadsPerInstance * instances.size());
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (FungibleLimiter instance : instances) {
        for (int t = 0; t < threadsPerInstance; t++) {
          workers.add(pool.submit(() -> {
            gate.await();
            while (running.get()) {
              if (instance.tryAcquire("tenant").allowed()) {
                admitted.incrementAndGet();
              } else {
                // Back off briefly so 16 denied threads leave the CPU to the store's server on a small machine.
                LockSupport.parkNanos(100_000);
              }
            }
            return null;
          }));
        }
      }
      gate.countDown();
      for (int step = 0; step <= steps; step++) {
        long bound = 20 + step * 2L;
        // Wait (20 s at most) for the workers to take what this instant allows; the assertion then says how many.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (admitted.get() < bound && System.nanoTime() - deadline < 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        assertThat(admitted.get()).as("admitted after %d ms", step * 100).isEqualTo(bound);
        if (step < steps) {
          clock.advance(Duration.ofMillis(100));
        }
      }
      // Let every thread make more attempts at the final instant: none may be admitted.
      for (FungibleLimiter instance : instances) {
        for (int i = 0; i < 50; i++) {
          if (instance.tryAcquire("tenant").allowed()) {
            admitted.incrementAndGet();
          }
        }
      }
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get(30, TimeUnit.SECONDS);
      }
      assertThat(admitted.get()).isEqualTo(20 + steps * 2L);
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
  }
}
