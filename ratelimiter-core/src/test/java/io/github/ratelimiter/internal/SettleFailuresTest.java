package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a store failure costs a {@link Charge}: a reserve follows the limiter's failure mode like any decision; a
 * settle or cancel whose write fails is not thrown, but reported to the listener (and logged once per interval), and
 * a lost refund leaves the bucket charged at the estimate: it under-admits by the difference, never over-admits.
 */
class SettleFailuresTest {

  /** 10 per second: T = 100 ms. */
  private static final Limit TEN = Limit.of(10, Duration.ofSeconds(1));

  private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final InMemoryStore memory = InMemoryStore.create();
  private volatile boolean consumeFails;
  private volatile boolean refundFails;
  private final AtomicInteger storeCalls = new AtomicInteger();
  private final Map<String, Long> lost = new TreeMap<>();

  private final RateLimiterListener listener = new RateLimiterListener() {
    @Override
    public synchronized void onCostLost(String resourceName, String accountId, String limitName, CostKind kind,
        long amount, boolean storeFailed) {
      lost.merge(kind + (storeFailed ? " store" : " debt"), amount, Long::sum);
    }
  };

  /** The in-memory store, failing its bucket writes on demand. */
  private final RateLimitStore store = new RateLimitStore() {
    @Override
    public LimitStore limits() {
      return memory.limits();
    }

    @Override
    public BucketStore buckets() {
      return new BucketStore() {
        @Override
        public BucketResult consume(BucketRequest request) {
          storeCalls.incrementAndGet();
          if (consumeFails) {
            throw new RateLimiterException("the store is down");
          }
          return memory.buckets().consume(request);
        }

        @Override
        public boolean refund(RefundRequest request) {
          storeCalls.incrementAndGet();
          if (refundFails) {
            throw new RateLimiterException("the store is down");
          }
          return memory.buckets().refund(request);
        }
      };
    }

    @Override
    public SlotStore slots() {
      return memory.slots();
    }
  };

  private FungibleLimiter limiter(FailureMode mode) {
    return RateLimiters.builder().store(store).clock(clock).failureMode(mode).listener(listener).build()
        .fungible("api", TEN);
  }

  /** A limiter over the store itself, that has seen nothing: what the bucket holds. */
  private FungibleLimiter fresh() {
    return RateLimiters.builder().store(memory).clock(clock).build().fungible("api", TEN);
  }

  @Test
  void aReserveThatFailsFollowsTheFailureMode() {
    consumeFails = true;
    assertThatThrownBy(() -> limiter(FailureMode.FAIL_CLOSED).tryReserve("a", Cost.permits(3)))
        .isInstanceOf(RateLimiterException.class);
    Charge degraded = limiter(FailureMode.FAIL_OPEN).tryReserve("a", Cost.permits(3));
    assertThat(degraded.decision().allowed()).isTrue();
    assertThat(degraded.decision().degraded()).isTrue();
    consumeFails = false;
    int calls = storeCalls.get();
    degraded.settle(Cost.permits(8)); // nothing was counted, nothing is settled
    degraded.cancel();
    degraded.close();
    assertThat(storeCalls.get()).isEqualTo(calls);
    assertThat(fresh().tryAcquire("a", 10).allowed()).isTrue();
  }

  @Test
  void aLostRefundUnderAdmitsByWhatWasToBeGivenBackAndNeverOverAdmits() {
    FungibleLimiter api = limiter(FailureMode.FAIL_CLOSED);
    Charge settled = api.tryReserve("a", Cost.permits(6));
    Charge cancelled = api.tryReserve("a", Cost.permits(2));
    refundFails = true;
    settled.settle(Cost.permits(1)); // 5 to give back: lost, not thrown
    cancelled.cancel(); // 2 to give back: lost, not thrown
    assertThat(lost).isEqualTo(Map.of("REFUND store", 7L));
    // The bucket holds what the estimates left: 2, where the actual costs would have left 9.
    FungibleLimiter bucket = fresh();
    assertThat(bucket.tryAcquire("a", 2).allowed()).isTrue();
    assertThat(bucket.tryAcquire("a").allowed()).isFalse();
  }

  @Test
  void aLostExtraChargeIsReportedAndNotThrown() {
    FungibleLimiter api = limiter(FailureMode.FAIL_CLOSED);
    Charge charge = api.tryReserve("a", Cost.permits(4));
    consumeFails = true;
    charge.settle(Cost.permits(9));
    assertThat(lost).isEqualTo(Map.of("SETTLE store", 5L));
    assertThatThrownBy(() -> api.charge("a", Cost.permits(2))).as("a post-paid charge follows the failure mode")
        .isInstanceOf(RateLimiterException.class);
    assertThat(lost).containsEntry("CHARGE store", 2L);
    assertThat(limiter(FailureMode.FAIL_OPEN).charge("a", Cost.permits(3)).degraded()).isTrue();
    assertThat(lost).containsEntry("CHARGE store", 5L);
    consumeFails = false;
    FungibleLimiter bucket = fresh();
    assertThat(bucket.tryAcquire("a", 6).allowed()).as("only the estimate was counted").isTrue();
    assertThat(bucket.tryAcquire("a").allowed()).isFalse();
  }
}
