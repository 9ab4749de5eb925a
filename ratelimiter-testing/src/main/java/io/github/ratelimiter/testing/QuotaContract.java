package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.JointDecision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The behaviour every store must give quotas of several limits on one key ({@link Quota}, {@link Cost}): admitted
 * only when every limit admits, charged to every limit at once, a denial charging nothing, each limit's bound held
 * under contention. A store's test extends this and says how to open the store; every test runs on a
 * {@link ManualClock}.
 */
public abstract class QuotaContract extends StoreContract {

  /** For a store implementation's test class. */
  protected QuotaContract() {}

  /** 3 per second and 5 per 10 seconds: the short limit binds first, then the long one. */
  private static final Quota SHORT_AND_LONG =
      Quota.of(Limit.of(3, Duration.ofSeconds(1)), Limit.of(5, Duration.ofSeconds(10)));

  /** An LLM key: 5 requests and 100 tokens per minute. */
  private static final Quota REQUESTS_AND_TOKENS = Quota.builder()
      .limit("requests", Limit.of(5, Duration.ofMinutes(1)))
      .limit("tokens", Limit.of(100, Duration.ofMinutes(1)))
      .build();

  @Test
  void everyLimitMustAdmitAndTheDenialNamesTheLimitThatDenied() {
    FungibleLimiter limiter = limiters().fungible("api", SHORT_AND_LONG);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("acct").allowed()).as("request %d", i).isTrue();
    }
    Decision bySecond = limiter.tryAcquire("acct");
    assertThat(bySecond.allowed()).isFalse();
    assertThat(bySecond.limitName()).isEqualTo("1s");
    assertThat(bySecond.limit()).isEqualTo(Limit.of(3, Duration.ofSeconds(1)));
    assertThat(bySecond.retryAfter()).isEqualTo(Duration.ofNanos(333_333_334)); // T = ceil(1 s / 3)
    clock.advance(Duration.ofSeconds(1));
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    Decision byTenSeconds = limiter.tryAcquire("acct");
    assertThat(byTenSeconds.allowed()).isFalse();
    assertThat(byTenSeconds.limitName()).isEqualTo("10s");
    assertThat(byTenSeconds.remaining()).isZero();
    // the 10 s limit refills one permit per 2 s, counted from its 5 admissions (the first at 0 s): at 2 s one more
    assertThat(byTenSeconds.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    clock.advance(byTenSeconds.retryAfter().minusNanos(1));
    assertThat(limiter.tryAcquire("acct").allowed()).isFalse();
    clock.advance(Duration.ofNanos(1));
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
  }

  @Test
  void aDenialChargesNoLimit() {
    FungibleLimiter limiter = limiters().fungible("llm", REQUESTS_AND_TOKENS);
    Cost call = Cost.of(Map.of("requests", 1L, "tokens", 40L));
    assertThat(limiter.tryAcquire("key", call).allowed()).isTrue();
    assertThat(limiter.tryAcquire("key", call).allowed()).isTrue();
    Decision denied = limiter.tryAcquire("key", call); // 120 tokens > 100
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.limitName()).isEqualTo("tokens");
    assertThat(denied.remaining()).isEqualTo(3); // the smallest over the limits: requests 3, tokens 20
    // The denied call charged no request: three more requests of 1 token still fit, then the requests limit denies.
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire("key", Cost.of("requests", 1)).allowed()).as("request %d", i).isTrue();
    }
    Decision requests = limiter.tryAcquire("key", Cost.of("requests", 1));
    assertThat(requests.limitName()).isEqualTo("requests");
    // ... and the 20 tokens left are all there for a cost that takes no request
    assertThat(limiter.tryAcquire("key", Cost.of("tokens", 20)).allowed()).isTrue();
    assertThat(limiter.tryAcquire("key", Cost.of("tokens", 1)).allowed()).isFalse();
  }

  @Test
  void theRetryAfterOfADenialIsWhenEveryLimitAdmits() {
    FungibleLimiter limiter = limiters().fungible("llm", REQUESTS_AND_TOKENS);
    assertThat(limiter.tryAcquire("key", Cost.of(Map.of("requests", 1L, "tokens", 100L))).allowed()).isTrue();
    Decision denied = limiter.tryAcquire("key", Cost.of(Map.of("requests", 1L, "tokens", 60L)));
    assertThat(denied.limitName()).isEqualTo("tokens");
    assertThat(denied.retryAfter()).isEqualTo(Duration.ofSeconds(36)); // 60 tokens at 100 per minute
    clock.advance(Duration.ofSeconds(36));
    assertThat(limiter.tryAcquire("key", Cost.of(Map.of("requests", 1L, "tokens", 60L))).allowed()).isTrue();
  }

  @Test
  void permitsAreTakenFromEveryLimitAndAcquireThrowsOnADenial() {
    FungibleLimiter limiter = limiters().fungible("api", SHORT_AND_LONG);
    assertThat(limiter.tryAcquire("acct", 3).remaining()).isZero();
    assertThatThrownBy(() -> limiter.acquire("acct", Cost.permits(1)))
        .isInstanceOf(CapacityExhaustedException.class).hasMessageContaining("cost 1 permits");
    clock.advance(Duration.ofSeconds(1));
    Decision allowed = limiter.tryAcquire("acct", 2);
    assertThat(allowed.allowed()).isTrue();
    assertThat(allowed.remaining()).isZero(); // the 10 s limit: 5 taken
  }

  @Test
  void costsTheQuotaCannotTakeAreRejectedBeforeAnythingIsCharged() {
    FungibleLimiter limiter = limiters().fungible("llm", REQUESTS_AND_TOKENS);
    assertThatThrownBy(() -> limiter.tryAcquire("key", Cost.of("images", 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'images'")
        .hasMessageContaining("[requests, tokens]");
    assertThatThrownBy(() -> limiter.tryAcquire("key", Cost.of("tokens", 101)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'tokens'")
        .hasMessageContaining("100 per 1m").hasMessageContaining("101");
    assertThatThrownBy(() -> limiter.tryAcquire("key", 6)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'requests'");
    assertThat(limiter.tryAcquire("key", Cost.of("tokens", 100)).allowed()).as("nothing was charged").isTrue();
  }

  @Test
  void aQuotaOfOneLimitIsThatLimitAndSharesItsBucket() {
    Limit limit = Limit.of(4, Duration.ofSeconds(1));
    FungibleLimiter single = limiters().fungible("api", limit);
    assertThat(limiters().fungible("api", Quota.of(limit)).tryAcquire("acct", 3).allowed()).isTrue();
    Decision decision = single.tryAcquire("acct", 2);
    assertThat(decision.allowed()).isFalse();
    assertThat(decision.limitName()).isEqualTo("1s");
    assertThat(single.tryAcquire("acct", Cost.of("1s", 1)).allowed()).isTrue();
  }

  @Test
  void concurrentCallersFromTwoInstancesStayWithinEveryLimitsBound() throws Exception {
    // 20 per 1 s, 30 per 2 s, 50 per 4 s: each binds in turn as the simulated time goes by.
    Quota quota = Quota.of(Limit.of(20, Duration.ofSeconds(1)), Limit.of(30, Duration.ofSeconds(2)),
        Limit.of(50, Duration.ofSeconds(4)));
    List<FungibleLimiter> instances = List.of(limiters().fungible("hot", quota), limiters().fungible("hot", quota));
    int threadsPerInstance = 8;
    int steps = 40; // 40 steps of 100 ms
    AtomicLong admitted = new AtomicLong();
    List<long[]> admissions = new ArrayList<>(); // (step, count) pairs
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
                LockSupport.parkNanos(100_000);
              }
            }
            return null;
          }));
        }
      }
      gate.countDown();
      long[] perStep = new long[steps + 1];
      long before = 0;
      for (int step = 0; step <= steps; step++) {
        long expected = exactAdmissions(step);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (admitted.get() < expected && System.nanoTime() - deadline < 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        // let the workers try a while longer at this instant: nothing more may be admitted
        for (FungibleLimiter instance : instances) {
          for (int i = 0; i < 20; i++) {
            if (instance.tryAcquire("tenant").allowed()) {
              admitted.incrementAndGet();
            }
          }
        }
        long now = admitted.get();
        perStep[step] = now - before;
        before = now;
        assertThat(now).as("admitted up to %d ms", step * 100).isEqualTo(expected);
        if (step < steps) {
          clock.advance(Duration.ofMillis(100));
        }
      }
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get(30, TimeUnit.SECONDS);
      }
      // Every limit's bound over every window of steps: limit + floor(t * limit / window).
      long[][] limits = {{20, 1_000}, {30, 2_000}, {50, 4_000}};
      for (int from = 0; from <= steps; from++) {
        long sum = 0;
        for (int to = from; to <= steps; to++) {
          sum += perStep[to];
          long millis = (to - from) * 100L;
          for (long[] limit : limits) {
            assertThat(sum).as("admitted in steps %d..%d against %d per %d ms", from, to, limit[0], limit[1])
                .isLessThanOrEqualTo(limit[0] + millis * limit[0] / limit[1]);
          }
        }
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
  }

  @Test
  void severalKeysAreChargedTogetherOrNotAtAll() {
    RateLimiters both = limiters();
    FungibleLimiter tenants = both.fungible("tenant", Limit.of(2, Duration.ofSeconds(1)));
    FungibleLimiter shared = both.fungible("upstream", Limit.of(3, Duration.ofSeconds(1)));
    assertThat(both.tryAcquireAll(List.of(tenants.ask("t1"), shared.ask("all"))).allowed()).isTrue();
    assertThat(both.tryAcquireAll(List.of(tenants.ask("t1"), shared.ask("all"))).allowed()).isTrue();
    JointDecision third = both.tryAcquireAll(List.of(tenants.ask("t1"), shared.ask("all")));
    assertThat(third.denied()).isTrue();
    assertThat(third.decision().limit()).isEqualTo(Limit.of(2, Duration.ofSeconds(1)));
    // "tenant" sorts before "upstream": the tenant key denied first and the shared key was not asked
    assertThat(third.decisions().get(0).denied()).isTrue();
    assertThat(third.decisions().get(1)).isNull();
    // t2 is fresh: the shared key still holds exactly one (nothing of t1's denial stayed charged there)
    assertThat(both.tryAcquireAll(List.of(shared.ask("all"), tenants.ask("t2"))).allowed()).isTrue();
    JointDecision sharedOut = both.tryAcquireAll(List.of(tenants.ask("t3"), shared.ask("all")));
    assertThat(sharedOut.denied()).isTrue();
    assertThat(sharedOut.decisions().get(0).allowed()).as("t3 admitted, then refunded").isTrue();
    assertThat(sharedOut.decision()).isSameAs(sharedOut.decisions().get(1));
    assertThat(tenants.tryAcquire("t3", 2).allowed()).as("t3's refund gave back its whole burst").isTrue();
  }

  @Test
  void aCascadingLimiterChargesTheAccountAndEveryAncestorOrNone() {
    RateLimiters limiters = limiters();
    Limit twoPerSecond = Limit.of(2, Duration.ofSeconds(1));
    LimitStore rows = limiters.store().limits();
    rows.put(new LimitRecord("api", "acme", 3, Duration.ofSeconds(1), null, false, null, Map.of(), "holding"));
    rows.put(new LimitRecord("api", "holding", 4, Duration.ofSeconds(1), null, false, null, Map.of(), null));
    for (String tenant : List.of("t1", "t2")) {
      rows.put(new LimitRecord("api", tenant, 2, Duration.ofSeconds(1), null, false, null, Map.of(), "acme"));
    }
    FungibleLimiter api = limiters.fungible("api", twoPerSecond, LimiterOptions.builder().cascade(true).build());
    assertThat(api.tryAcquire("t1", 2).allowed()).isTrue();
    assertThat(api.tryAcquire("t2").allowed()).isTrue(); // acme: 3 of 3, holding: 3 of 4
    Decision denied = api.tryAcquire("t2");
    assertThat(denied.denied()).isTrue();
    assertThat(denied.limit()).as("acme's limit denied").isEqualTo(Limit.of(3, Duration.ofSeconds(1)));
    assertThat(api.tryAcquire("loner", 2).allowed()).as("an account without a parent: its own limit").isTrue();
    // nothing of the denial stayed charged: t2 and holding each still hold one, seen by a limiter that does not cascade
    FungibleLimiter plain = limiters().fungible("api", twoPerSecond);
    assertThat(plain.tryAcquire("t2").allowed()).isTrue();
    assertThat(plain.tryAcquire("t2").allowed()).isFalse();
    assertThat(plain.tryAcquire("holding").allowed()).isTrue();
    assertThat(plain.tryAcquire("holding").allowed()).isFalse();
  }

  @Test
  void aTenantAndASharedBudgetFromTwoInstancesHoldEveryBound() throws Exception {
    Limit perTenant = Limit.of(2, Duration.ofSeconds(1));
    Limit budget = Limit.of(20, Duration.ofSeconds(1));
    List<RateLimiters> instances = List.of(limiters(), limiters());
    int tenants = 50;
    int steps = 20; // 20 steps of 100 ms
    AtomicLong admitted = new AtomicLong();
    AtomicLong[] perTenantAdmitted = new AtomicLong[tenants];
    for (int i = 0; i < tenants; i++) {
      perTenantAdmitted[i] = new AtomicLong();
    }
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        RateLimiters instance = instances.get(t % 2);
        FungibleLimiter tenant = instance.fungible("tenant", perTenant);
        FungibleLimiter shared = instance.fungible("upstream", budget);
        int first = t;
        workers.add(pool.submit(() -> {
          gate.await();
          for (int i = first; running.get(); i++) {
            int who = i % tenants;
            if (instance.tryAcquireAll(List.of(tenant.ask("t" + who), shared.ask("all"))).allowed()) {
              perTenantAdmitted[who].incrementAndGet();
              admitted.incrementAndGet();
            } else {
              LockSupport.parkNanos(50_000);
            }
          }
          return null;
        }));
      }
      gate.countDown();
      for (int step = 0; step <= steps; step++) {
        long expected = 20 + 2L * step; // the budget binds: 50 tenants could take 100 at once
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (admitted.get() < expected && System.nanoTime() - deadline < 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // more attempts at this instant: none may pass
        assertThat(admitted.get()).as("admitted up to %d ms", step * 100).isEqualTo(expected);
        if (step < steps) {
          clock.advance(Duration.ofMillis(100));
        }
      }
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get(30, TimeUnit.SECONDS);
      }
      for (int i = 0; i < tenants; i++) {
        assertThat(perTenantAdmitted[i].get()).as("tenant %d over 2 s", i).isLessThanOrEqualTo(2 + 2 * 2);
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
  }

  /**
   * What a greedy caller is admitted by {@code step} x 100 ms under 20/1 s, 30/2 s, 50/4 s, all bursts full at 0:
   * computed by the same rule, one permit at a time, with exact nanosecond intervals.
   */
  private static long exactAdmissions(int step) {
    long[] limit = {20, 30, 50};
    long[] window = {1_000_000_000L, 2_000_000_000L, 4_000_000_000L};
    long[] tat = {0, 0, 0};
    long admitted = 0;
    for (int s = 0; s <= step; s++) {
      long now = s * 100_000_000L;
      while (true) {
        boolean all = true;
        for (int i = 0; i < 3; i++) {
          long interval = (window[i] + limit[i] - 1) / limit[i];
          if (Math.max(tat[i], now) + interval - now > interval * limit[i]) {
            all = false;
          }
        }
        if (!all) {
          break;
        }
        for (int i = 0; i < 3; i++) {
          long interval = (window[i] + limit[i] - 1) / limit[i];
          tat[i] = Math.max(tat[i], now) + interval;
        }
        admitted++;
      }
    }
    return admitted;
  }
}
