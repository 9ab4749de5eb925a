package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterListener.CostKind;
import io.github.ratelimiter.RateLimiters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * The behaviour every store must give reservations settled later ({@link FungibleLimiter#tryReserve},
 * {@link Charge}) and post-paid charges ({@link FungibleLimiter#charge}): a reserve decided as a {@code tryAcquire}
 * is, a settle below the estimate giving back the difference and never credit, a settle above it going into debt
 * paid off at exactly the refill rate and at most the maximum debt, cancel and close, and the bound under
 * contention. A store's test extends this and says how to open the store; every test runs on a {@link ManualClock}.
 */
public abstract class SettleContract extends StoreContract {

  /** For a store implementation's test class. */
  protected SettleContract() {}

  /** 10 per second: T = 100 ms, tolerance 1 s. */
  private static final Limit TEN = Limit.of(10, Duration.ofSeconds(1));

  /** An LLM key: 5 requests and 100 tokens per minute. */
  private static final Quota REQUESTS_AND_TOKENS = Quota.builder()
      .limit("requests", Limit.of(5, Duration.ofMinutes(1)))
      .limit("tokens", Limit.of(100, Duration.ofMinutes(1)))
      .build();

  /** How long a request of {@code permits} waits, asked of the store by a limiter that has seen nothing. */
  private Duration waitFor(String resource, Limit limit, String account, long permits) {
    return limiters().fungible(resource, limit).tryAcquire(account, permits).retryAfter();
  }

  @Test
  void aReserveIsDecidedAsTryAcquireIs() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    Charge first = api.tryReserve("a", Cost.permits(6));
    assertThat(first.decision().allowed()).isTrue();
    assertThat(first.decision().remaining()).isEqualTo(4);
    Charge second = api.tryReserve("a", Cost.permits(5));
    assertThat(second.decision().denied()).isTrue();
    assertThat(second.decision()).isEqualTo(api.tryAcquire("a", 5));
    assertThat(second.decision().retryAfter()).isEqualTo(Duration.ofMillis(100));
    assertThatThrownBy(() -> second.settle(Cost.permits(5))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("denied");
    second.cancel();
    second.close();
    assertThatThrownBy(() -> api.tryReserve("a", Cost.permits(11))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> api.tryReserve("a", Cost.of("tokens", 1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'tokens'");
    assertThat(api.tryAcquire("a", 4).allowed()).as("the denied reserve charged nothing").isTrue();
  }

  @Test
  void aSettleBelowTheEstimateGivesBackTheDifference() {
    RecordingListener heard = new RecordingListener();
    FungibleLimiter api = limiters(heard).fungible("api", TEN);
    try (Charge charge = api.tryReserve("a", Cost.permits(6))) {
      charge.settle(Cost.permits(2));
    }
    assertThat(api.tryAcquire("a", 8).allowed()).isTrue();
    Decision next = api.tryAcquire("a");
    assertThat(next.denied()).isTrue();
    assertThat(next.retryAfter()).isEqualTo(Duration.ofMillis(100));
    assertThat(heard.cost("api", "1s", CostKind.RESERVE)).isEqualTo(6);
    assertThat(heard.cost("api", "1s", CostKind.REFUND)).isEqualTo(4);
  }

  @Test
  void aSettleAboveTheEstimateGoesIntoDebtPaidOffAtExactlyTheRefillRate() {
    RecordingListener heard = new RecordingListener();
    FungibleLimiter api = limiters(heard).fungible("api", TEN);
    Charge charge = api.tryReserve("a", Cost.permits(10));
    charge.settle(Cost.permits(15)); // 5 past the limit: tat = now + 1.5 s
    assertThat(heard.cost("api", "1s", CostKind.SETTLE)).isEqualTo(5);
    assertThat(heard.debt("api", "1s")).isEqualTo(5);
    Duration wait = waitFor("api", TEN, "a", 1);
    assertThat(wait).as("a debt of 5 permits and the one asked").isEqualTo(Duration.ofMillis(600));
    for (int permit = 1; permit <= 3; permit++) {
      clock.advance(wait.minusNanos(1));
      assertThat(limiters().fungible("api", TEN).tryAcquire("a").allowed()).as("permit %d", permit).isFalse();
      clock.advance(Duration.ofNanos(1));
      assertThat(api.tryAcquire("a").allowed()).as("permit %d", permit).isTrue();
      wait = waitFor("api", TEN, "a", 1);
      assertThat(wait).as("then one permit per interval").isEqualTo(Duration.ofMillis(100));
    }
    assertThat(heard.lost("api", "1s", CostKind.SETTLE, false)).isZero();
  }

  @Test
  void beyondTheMaximumDebtWhatFitsIsChargedAndTheRestReported() {
    RecordingListener heard = new RecordingListener();
    FungibleLimiter api = limiters(heard).fungible("api", TEN, LimiterOptions.builder().maxDebt(0.5).build());
    Charge charge = api.tryReserve("a", Cost.permits(10));
    charge.settle(Cost.permits(40)); // 30 more: 5 fit (half a burst), 25 are not charged
    assertThat(heard.cost("api", "1s", CostKind.SETTLE)).isEqualTo(5);
    assertThat(heard.lost("api", "1s", CostKind.SETTLE, false)).isEqualTo(25);
    assertThat(waitFor("api", TEN, "a", 1)).isEqualTo(Duration.ofMillis(600));
    // a post-paid charge while at the maximum: nothing fits
    Decision charged = api.charge("a", Cost.permits(3));
    assertThat(charged.denied()).isTrue();
    assertThat(charged.retryAfter()).as("the debt to pay off: 5 permits").isEqualTo(Duration.ofMillis(500));
    assertThat(heard.lost("api", "1s", CostKind.CHARGE, false)).isEqualTo(3);
  }

  @Test
  void aPostPaidChargeIsAlwaysAppliedAndSaysWhereTheAccountStands() {
    RecordingListener heard = new RecordingListener();
    FungibleLimiter api = limiters(heard).fungible("api", TEN);
    Decision within = api.charge("a", Cost.permits(4));
    assertThat(within.allowed()).isTrue();
    assertThat(within.remaining()).isEqualTo(6);
    Decision debt = api.charge("a", Cost.permits(10)); // tat = now + 1.4 s
    assertThat(debt.denied()).isTrue();
    assertThat(debt.retryAfter()).as("back within the limit").isEqualTo(Duration.ofMillis(400));
    assertThat(debt.limitName()).isEqualTo("1s");
    assertThat(waitFor("api", TEN, "a", 1)).isEqualTo(Duration.ofMillis(500));
    // 50 more: at most one burst of debt (tat <= now + 2 s): 6 fit, 44 are reported
    Decision full = api.charge("a", Cost.permits(50));
    assertThat(full.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(heard.cost("api", "1s", CostKind.CHARGE)).isEqualTo(4 + 10 + 6);
    assertThat(heard.debt("api", "1s")).isEqualTo(4 + 6);
    assertThat(heard.lost("api", "1s", CostKind.CHARGE, false)).isEqualTo(44);
    assertThatThrownBy(() -> api.charge("a", Cost.of("tokens", 1))).isInstanceOf(IllegalArgumentException.class);
    clock.advance(Duration.ofSeconds(1));
    assertThat(api.tryAcquire("a").allowed()).isFalse();
    clock.advance(Duration.ofMillis(100));
    assertThat(api.tryAcquire("a").allowed()).isTrue();
  }

  @Test
  void aChargeClosedWithoutSettleCountsAtItsEstimate() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    try (Charge charge = api.tryReserve("a", Cost.permits(6))) {
      assertThat(charge.decision().allowed()).isTrue();
    }
    assertThat(api.tryAcquire("a", 5).allowed()).isFalse();
    assertThat(api.tryAcquire("a", 4).allowed()).isTrue();
  }

  @Test
  void settleCancelAndCloseTakeEffectOnce() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    Charge settled = api.tryReserve("a", Cost.permits(2));
    settled.settle(Cost.permits(1));
    assertThatThrownBy(() -> settled.settle(Cost.permits(1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already settled");
    settled.cancel();
    settled.close();
    Charge cancelled = api.tryReserve("a", Cost.permits(2));
    cancelled.cancel();
    cancelled.cancel();
    assertThatThrownBy(() -> cancelled.settle(Cost.permits(1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cancelled");
    cancelled.close();
    Charge closed = api.tryReserve("a", Cost.permits(2));
    closed.close();
    closed.cancel();
    assertThatThrownBy(() -> closed.settle(Cost.permits(1))).isInstanceOf(IllegalStateException.class);
    Charge open = api.tryReserve("a", Cost.permits(2));
    assertThatThrownBy(() -> open.settle(Cost.of("tokens", 1))).isInstanceOf(IllegalArgumentException.class);
    open.settle(Cost.permits(3)); // a bad actual cost left it open
    // 1 + 0 + 2 + 3 taken
    assertThat(api.tryAcquire("a", 4).allowed()).isTrue();
    assertThat(api.tryAcquire("a").allowed()).isFalse();
  }

  @Test
  void settleAndCloseRacingFromTwoThreadsTakeEffectOnce() throws Exception {
    Limit thousand = Limit.of(1_000, Duration.ofSeconds(1));
    FungibleLimiter api = limiters().fungible("api", thousand);
    int n = 200;
    AtomicLong settledCount = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < n; i++) {
        Charge charge = api.tryReserve("a", Cost.permits(2));
        CountDownLatch gate = new CountDownLatch(1);
        Future<?> settler = pool.submit(() -> {
          gate.await();
          try {
            charge.settle(Cost.permits(1));
            settledCount.incrementAndGet();
          } catch (IllegalStateException closedFirst) {
            // the close won
          }
          return null;
        });
        Future<?> closer = pool.submit(() -> {
          gate.await();
          charge.close();
          return null;
        });
        gate.countDown();
        settler.get(10, TimeUnit.SECONDS);
        closer.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    long taken = 2L * n - settledCount.get(); // settled at 1, or closed at the estimate of 2
    FungibleLimiter fresh = limiters().fungible("api", thousand);
    assertThat(fresh.tryAcquire("a", 1_000 - taken).allowed()).isTrue();
    assertThat(fresh.tryAcquire("a").allowed()).isFalse();
  }

  @Test
  void aThousandReserveAndCancelCyclesLeaveTheBucketToTheNanosecond() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    api.acquire("a", 3);
    clock.advance(Duration.ofMillis(50));
    Duration before = waitFor("api", TEN, "a", 10); // tat - now, exactly
    assertThat(before).isEqualTo(Duration.ofMillis(250));
    for (int i = 0; i < 1_000; i++) {
      Charge charge = api.tryReserve("a", Cost.permits(1 + i % 7));
      assertThat(charge.decision().allowed()).as("cycle %d", i).isTrue();
      charge.cancel();
    }
    assertThat(waitFor("api", TEN, "a", 10)).isEqualTo(before);
  }

  @Test
  void aRefundOnAnIdleBucketCreatesNoCredit() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    Charge cancelled = api.tryReserve("a", Cost.permits(5));
    Charge settled = api.tryReserve("a", Cost.permits(5));
    clock.advance(Duration.ofSeconds(2)); // both reservations' slots have passed: the bucket is idle and full
    cancelled.cancel();
    settled.settle(Cost.permits(1));
    FungibleLimiter fresh = limiters().fungible("api", TEN);
    assertThat(fresh.tryAcquire("a", 10).allowed()).as("a full burst").isTrue();
    assertThat(fresh.tryAcquire("a").allowed()).as("and not one more").isFalse();
  }

  @Test
  void aCancelAfterAnotherRequestLeavesExactlyWhatThatRequestAloneWould() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    FungibleLimiter other = limiters().fungible("api", TEN);
    Charge charge = api.tryReserve("a", Cost.permits(5)); // idle at 0: tat = 500 ms
    clock.advance(Duration.ofMillis(100));
    assertThat(other.tryAcquire("a").allowed()).isTrue(); // tat = 600 ms
    charge.cancel(); // at 100 ms: only the 400 ms still ahead go back (not 500: tat = 100 ms, credit)
    // the other request alone, at 100 ms: tat = 200 ms, 9 permits left and then a wait of 100 ms
    assertThat(waitFor("api", TEN, "a", 10)).isEqualTo(Duration.ofMillis(100));
    FungibleLimiter fresh = limiters().fungible("api", TEN);
    assertThat(fresh.tryAcquire("a", 9).allowed()).isTrue();
    assertThat(fresh.tryAcquire("a").retryAfter()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void aSettleBelowTheEstimateAfterAnotherRequestLeavesWhatTheActualCostWould() {
    FungibleLimiter api = limiters().fungible("api", TEN);
    FungibleLimiter other = limiters().fungible("api", TEN);
    Charge charge = api.tryReserve("a", Cost.permits(5)); // idle at 0: tat = 500 ms
    clock.advance(Duration.ofMillis(100));
    assertThat(other.tryAcquire("a").allowed()).isTrue(); // tat = 600 ms
    charge.settle(Cost.permits(2)); // 300 ms go back: tat = 300 ms
    // a reservation of 2 at 0 (tat = 200 ms) and the other request at 100 ms: tat = 300 ms
    assertThat(waitFor("api", TEN, "a", 10)).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aQuotaSettlesEachLimitOnItsOwn() {
    RecordingListener heard = new RecordingListener();
    FungibleLimiter llm = limiters(heard).fungible("llm", REQUESTS_AND_TOKENS);
    Charge charge = llm.tryReserve("key", Cost.of(Map.of("requests", 1L, "tokens", 50L)));
    assertThat(charge.decision().allowed()).isTrue();
    assertThatThrownBy(() -> charge.settle(Cost.of("images", 1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'images'");
    charge.settle(Cost.of(Map.of("requests", 1L, "tokens", 20L)));
    assertThat(llm.tryAcquire("key", Cost.of("tokens", 80)).allowed()).isTrue();
    assertThat(llm.tryAcquire("key", Cost.of("tokens", 1)).allowed()).isFalse();
    // both ways at once: one request back, 30 tokens past the limit
    Charge both = llm.tryReserve("key", Cost.of("requests", 2));
    both.settle(Cost.of(Map.of("requests", 1L, "tokens", 30L)));
    Decision tokens = llm.tryAcquire("key", Cost.of("tokens", 1));
    assertThat(tokens.limitName()).isEqualTo("tokens");
    assertThat(tokens.retryAfter()).as("31 tokens at 100 per minute").isEqualTo(Duration.ofMillis(18_600));
    assertThat(llm.tryAcquire("key", Cost.of("requests", 3)).allowed()).as("2 of 5 requests taken").isTrue();
    assertThat(llm.tryAcquire("key", Cost.of("requests", 1)).allowed()).isFalse();
    assertThat(heard.cost("llm", "tokens", CostKind.RESERVE)).isEqualTo(50);
    assertThat(heard.cost("llm", "tokens", CostKind.REFUND)).isEqualTo(30);
    assertThat(heard.cost("llm", "requests", CostKind.REFUND)).isEqualTo(1);
    assertThat(heard.cost("llm", "tokens", CostKind.SETTLE)).isEqualTo(30);
    assertThat(heard.debt("llm", "tokens")).isEqualTo(30);
  }

  @Test
  void aQuotaLimitTheReserveDidNotTouchNeedsNoState() {
    FungibleLimiter llm = limiters().fungible("llm", REQUESTS_AND_TOKENS);
    Charge requestsOnly = llm.tryReserve("fresh", Cost.of("requests", 3));
    requestsOnly.settle(Cost.of("requests", 1)); // tokens: never charged, nothing to give back
    Charge cancelled = llm.tryReserve("fresh", Cost.of("requests", 2));
    cancelled.cancel();
    assertThat(llm.tryAcquire("fresh", Cost.of("requests", 4)).allowed()).isTrue();
    assertThat(llm.tryAcquire("fresh", Cost.of("requests", 1)).allowed()).isFalse();
    assertThat(llm.tryAcquire("fresh", Cost.of("tokens", 100)).allowed()).isTrue();
  }

  /**
   * Two instances, 16 threads, estimates of 100 tokens, actual costs from 1 to 400 (fixed seeds), one in eight
   * closed without a settle, on 2,000 tokens per second with a maximum debt of 100 tokens (so that settles often
   * reach it and are charged only as far as they fit), over 30 steps of 100 ms of the manual clock: the cost
   * counted as the bound counts it ({@link SettleLedger}) stays within
   * {@code limit + floor(t * limit / window) + maxDebt} over every interval; then the debt left is paid off at
   * exactly the refill rate.
   */
  @Test
  void concurrentReservesSettledAtRandomCostsStayWithinTheBound() throws Exception {
    Quota tokens = Quota.builder().limit("tokens", Limit.of(2_000, Duration.ofSeconds(1))).build();
    SettleLedger ledger = new SettleLedger();
    RecordingListener heard = new RecordingListener();
    LimiterOptions smallDebt = LimiterOptions.builder().maxDebt(0.05).build();
    List<RateLimiters> instances = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RateLimiters limiters = RateLimiters.builder().store(openStore()).clock(ledger.clock(clock))
          .listener(ledger.listener()).listener(heard).build();
      instances.add(limiters);
    }
    int steps = 30;
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    AtomicLong closedUnsettled = new AtomicLong();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        FungibleLimiter limiter = instances.get(t % 2).fungible("llm", tokens, smallDebt);
        Random random = new Random(20 + t);
        workers.add(pool.submit(() -> {
          gate.await();
          while (running.get()) {
            long actual = 1 + random.nextInt(400);
            boolean unsettled = random.nextInt(8) == 0;
            try (Charge charge = limiter.tryReserve("key", Cost.of("tokens", 100))) {
              long reservedAt = ledger.lastNow();
              if (charge.decision().denied()) {
                LockSupport.parkNanos(200_000);
                continue;
              }
              if (unsettled) {
                ledger.record(reservedAt, 100);
                closedUnsettled.incrementAndGet();
                continue;
              }
              charge.settle(Cost.of("tokens", actual));
              long settledAt = ledger.lastNow();
              ledger.record(reservedAt, Math.min(actual, 100));
              if (actual > 100) {
                ledger.record(settledAt, actual - 100 - ledger.takeLost());
              }
            }
          }
          return null;
        }));
      }
      gate.countDown();
      for (int step = 0; step < steps; step++) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(60));
        clock.advance(Duration.ofMillis(100));
      }
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get(30, TimeUnit.SECONDS);
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
      instances.forEach(RateLimiters::close);
    }
    List<SettleLedger.Entry> entries = ledger.entries();
    long interval = 500_000; // T = 1 s / 2,000
    long excess = SettleLedger.worstExcessNanos(entries, interval, 2_000 * interval, 100 * interval);
    assertThat(excess).as("worst excess over the bound, ns").isLessThanOrEqualTo(0);
    long[] perSecond = SettleLedger.mostInAnyInterval(entries, 1_000_000_000L, 2_000, 1_000_000_000L, 100);
    long beyond = heard.lost("llm", "tokens", CostKind.SETTLE, false);
    assertThat(beyond).as("settles reached the maximum debt").isPositive();
    assertThat(perSecond[0]).isLessThanOrEqualTo(perSecond[1]);
    assertThat(closedUnsettled.get()).as("some reserves were closed without a settle").isPositive();
    assertThat(entries).as("the run admitted a lot").hasSizeGreaterThan(40);
    System.out.printf("settle exactness (%s): %d entries, %d closed unsettled, %d tokens beyond the maximum debt,"
        + " worst excess over the bound %d ns, most in any 1 s %d of bound %d%n", getClass().getSimpleName(),
        entries.size(), closedUnsettled.get(), beyond, excess, perSecond[0], perSecond[1]);
    // the debt left, paid off at exactly the refill rate
    FungibleLimiter probe = limiters().fungible("llm", tokens, smallDebt);
    Duration wait = probe.tryAcquire("key", Cost.of("tokens", 1)).retryAfter();
    if (!wait.isZero()) {
      clock.advance(wait.minusNanos(1));
      assertThat(limiters().fungible("llm", tokens, smallDebt).tryAcquire("key", Cost.of("tokens", 1)).allowed())
          .isFalse();
      clock.advance(Duration.ofNanos(1));
      assertThat(limiters().fungible("llm", tokens, smallDebt).tryAcquire("key", Cost.of("tokens", 1)).allowed())
          .isTrue();
    }
  }
}
