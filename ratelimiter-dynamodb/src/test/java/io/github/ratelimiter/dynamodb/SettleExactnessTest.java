package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterListener.CostKind;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import io.github.ratelimiter.testing.RecordingListener;
import io.github.ratelimiter.testing.SettleLedger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reservations settled at random costs, in real time on dynalite: two instances (each with its own client), 16
 * threads, estimates of 100 tokens, actual costs from 1 to 400 drawn with fixed seeds, one reserve in eight closed
 * without a settle, on 1,000 tokens per second (the test machine's dynalite answers a few hundred requests a
 * second, so the demand is several times the limit). The cost counted as {@code Gcra}'s bound counts it (a request up
 * to its estimate when reserved, its extra when settled, an unsettled reserve at its estimate) must stay within
 * {@code limit + floor(t * limit / window) + maxDebt} over every interval of the run; what the buckets were charged
 * (heard by the listener) must be at least that (every unsettled reserve counted); and the debt left is paid off at
 * exactly the refill rate. 3 s in the default build; 15 s in the {@code multiprocess} profile.
 */
class SettleExactnessTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final long LIMIT = 1_000;
  private static final long WINDOW_NANOS = 1_000_000_000L;
  private static final long T = WINDOW_NANOS / LIMIT;
  private static final Quota TOKENS = Quota.builder().limit("tokens", Limit.of(LIMIT, Duration.ofSeconds(1))).build();

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void threeSecondsStayWithinTheBound() throws Exception {
    run(Duration.ofSeconds(3), LimiterOptions.DEFAULT_MAX_DEBT);
  }

  /** With a maximum debt of 100 tokens, which settles reach often: charged as far as they fit. */
  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void threeSecondsWithASmallMaximumDebtStayWithinTheBound() throws Exception {
    run(Duration.ofSeconds(3), 0.1);
  }

  @Test
  @Tag("multiprocess")
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void fifteenSecondsStayWithinTheBound() throws Exception {
    run(Duration.ofSeconds(15), LimiterOptions.DEFAULT_MAX_DEBT);
  }

  private void run(Duration length, double maxDebt) throws Exception {
    long debtTokens = (long) Math.floor(maxDebt * LIMIT);
    LimiterOptions options = LimiterOptions.builder().maxDebt(maxDebt).build();
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    SettleLedger ledger = new SettleLedger();
    RecordingListener heard = new RecordingListener();
    Clock clock = ledger.clock(Clock.systemUTC());
    List<RateLimiters> instances = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      instances.add(RateLimiters.builder().store(tables.openStore()).clock(clock).listener(ledger.listener())
          .listener(heard).build());
    }
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch gate = new CountDownLatch(1);
    AtomicLong reserves = new AtomicLong();
    AtomicLong settles = new AtomicLong();
    AtomicLong unsettled = new AtomicLong();
    AtomicLong denials = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    long started;
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        FungibleLimiter limiter = instances.get(t % 2).fungible("llm", TOKENS, options);
        Random random = new Random(2026 + t);
        workers.add(pool.submit(() -> {
          gate.await();
          while (running.get()) {
            long actual = 1 + random.nextInt(400);
            // one in eight closed unsettled, and the first admission of the run for certain (a loaded machine may
            // admit only a few reserves in a short run)
            boolean closeOnly = random.nextInt(8) == 0 || unsettled.get() == 0;
            try (Charge charge = limiter.tryReserve("key", Cost.of("tokens", 100))) {
              long reservedAt = ledger.lastNow();
              Decision decision = charge.decision();
              if (decision.denied()) {
                denials.incrementAndGet();
                LockSupport.parkNanos(Math.min(decision.retryAfter().toNanos(), 2_000_000));
                continue;
              }
              reserves.incrementAndGet();
              if (closeOnly) {
                ledger.record(reservedAt, 100);
                unsettled.incrementAndGet();
                continue;
              }
              charge.settle(Cost.of("tokens", actual));
              settles.incrementAndGet();
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
      started = System.nanoTime();
      gate.countDown();
      Thread.sleep(length.toMillis()); // a real-time run: the time passing is what is tested
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get(60, TimeUnit.SECONDS);
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    List<SettleLedger.Entry> entries = ledger.entries();
    long counted = entries.stream().mapToLong(SettleLedger.Entry::amount).sum();
    long excess = SettleLedger.worstExcessNanos(entries, T, LIMIT * T, debtTokens * T);
    long[] perSecond = SettleLedger.mostInAnyInterval(entries, WINDOW_NANOS, LIMIT, WINDOW_NANOS, debtTokens);
    long span = entries.get(entries.size() - 1).atNanos() - entries.get(0).atNanos();
    long[] whole = SettleLedger.mostInAnyInterval(entries, span, LIMIT, WINDOW_NANOS, debtTokens);
    long charged = heard.cost("llm", "tokens", CostKind.RESERVE) - heard.cost("llm", "tokens", CostKind.REFUND)
        + heard.cost("llm", "tokens", CostKind.SETTLE);
    long beyondMax = heard.lost("llm", "tokens", CostKind.SETTLE, false);
    String figures = String.format("settle exactness, %.1f s, maxDebt %s: %d reserves admitted (%d denied), %d settled, %d closed"
        + " unsettled; counted %d tokens (charged %d, forfeited %d, beyond the maximum debt %d, store failures %d);"
        + " worst excess over the bound %d ns (<= 0 holds); most in any 1 s %d of bound %d; whole run (%.3f s) %d of"
        + " bound %d", seconds, maxDebt, reserves.get(), denials.get(), settles.get(), unsettled.get(), counted, charged,
        charged - counted, beyondMax, heard.lost("llm", "tokens", CostKind.SETTLE, true)
            + heard.lost("llm", "tokens", CostKind.REFUND, true), excess, perSecond[0], perSecond[1], span / 1e9,
        whole[0], whole[1]);
    System.out.println(figures);
    assertThat(excess).as(figures).isLessThanOrEqualTo(0);
    assertThat(perSecond[0]).as(figures).isLessThanOrEqualTo(perSecond[1]);
    assertThat(unsettled.get()).as(figures).isPositive();
    assertThat(charged).as("every unsettled reserve was charged at its estimate: " + figures)
        .isGreaterThanOrEqualTo(counted);
    assertDebtPaidOffAtTheRefillRate(tables, instances.get(0));
    instances.forEach(RateLimiters::close);
  }

  /**
   * Puts the bucket in debt (if the run did not leave it there), then, on a manual clock from the real time, the
   * wait for one token falls by exactly the time passed, and then one token per interval.
   */
  private void assertDebtPaidOffAtTheRefillRate(DynamoDbTestTables tables, RateLimiters instance) {
    ManualClock clock = ManualClock.at(Instant.now().plusSeconds(1));
    try (RateLimiters manual = RateLimiters.builder().store(tables.openStore()).clock(clock).build()) {
      manual.fungible("llm", TOKENS).charge("key", Cost.of("tokens", 1_500)); // at least 500 in debt
      Duration wait = probe(tables, clock);
      assertThat(wait).isGreaterThan(Duration.ofNanos(500 * T));
      clock.advance(wait.dividedBy(2));
      assertThat(probe(tables, clock)).isEqualTo(wait.minus(wait.dividedBy(2)));
      clock.advance(wait.minus(wait.dividedBy(2)).minusNanos(1));
      assertThat(probe(tables, clock)).isEqualTo(Duration.ofNanos(1));
      clock.advance(Duration.ofNanos(1));
      FungibleLimiter limiter = manual.fungible("llm", TOKENS);
      assertThat(limiter.tryAcquire("key", Cost.of("tokens", 1)).allowed()).isTrue();
      assertThat(probe(tables, clock)).as("then one token per interval").isEqualTo(Duration.ofNanos(T));
    }
  }

  /** The wait for one token, asked of the store by limiters that have seen nothing. */
  private static Duration probe(DynamoDbTestTables tables, ManualClock clock) {
    try (RateLimiters fresh = RateLimiters.builder().store(tables.openStore()).clock(clock).build()) {
      return fresh.fungible("llm", TOKENS).tryAcquire("key", Cost.of("tokens", 1)).retryAfter();
    }
  }
}
