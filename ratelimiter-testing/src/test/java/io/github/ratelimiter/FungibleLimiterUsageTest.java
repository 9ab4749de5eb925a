package io.github.ratelimiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The Python context manager's and direct usage's Java forms, and the failure modes. */
class FungibleLimiterUsageTest {

  private final ManualClock clock = ManualClock.create();
  private final FungibleLimiter limiter = RateLimiters.builder().store(InMemoryStore.create()).clock(clock).build()
      .fungible("api", Limit.of(1, Duration.ofSeconds(1)));

  @Test
  void callAndRunTakeAPermitBeforeTheAction() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    assertThat(limiter.call("a", runs::incrementAndGet)).isEqualTo(1);
    assertThatThrownBy(() -> limiter.run("a", runs::incrementAndGet))
        .isInstanceOf(CapacityExhaustedException.class);
    assertThat(runs).hasValue(1);
  }

  @Test
  void decoratedSuppliersAndFunctionsTakeAPermitPerCall() {
    Supplier<String> supplier = limiter.decorateSupplier("s", () -> "value");
    assertThat(supplier.get()).isEqualTo("value");
    assertThatThrownBy(supplier::get).isInstanceOf(CapacityExhaustedException.class);

    Function<String, Integer> length = limiter.decorateFunction(tenant -> tenant, String::length);
    assertThat(length.apply("tenant-a")).isEqualTo(8);
    assertThat(length.apply("tenant-b")).isEqualTo(8);
    assertThatThrownBy(() -> length.apply("tenant-a")).isInstanceOf(CapacityExhaustedException.class);
  }

  /** A store whose every call fails, as a store outage would. */
  private static RateLimitStore brokenStore() {
    RuntimeException outage = new RateLimiterException("store unreachable");
    return new RateLimitStore() {
      @Override
      public LimitStore limits() {
        throw outage;
      }

      @Override
      public BucketStore buckets() {
        return request -> {
          throw outage;
        };
      }

      @Override
      public SlotStore slots() {
        throw outage;
      }
    };
  }

  @Test
  void failClosedThrowsTheStoreFailure() {
    RateLimitStore broken = brokenStore();
    RateLimiters limiters = RateLimiters.builder().store(new DelegatingLimits(broken)).build();
    FungibleLimiter api = limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1)));
    assertThatThrownBy(() -> api.tryAcquire("a")).isInstanceOf(RateLimiterException.class)
        .hasMessage("store unreachable");
  }

  @Test
  void failOpenAdmitsDegradedButStillRejectsBadArguments() {
    RateLimiters limiters = RateLimiters.builder().store(new DelegatingLimits(brokenStore()))
        .failureMode(FailureMode.FAIL_OPEN).build();
    FungibleLimiter api = limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1)));
    for (int i = 0; i < 3; i++) {
      Decision decision = api.tryAcquire("a");
      assertThat(decision.allowed()).isTrue();
      assertThat(decision.degraded()).isTrue();
    }
    assertThatThrownBy(() -> api.tryAcquire("")).isInstanceOf(IllegalArgumentException.class);
  }

  /** Limits from an in-memory store (so limiters can be built), buckets from the broken one. */
  private static final class DelegatingLimits implements RateLimitStore {
    private final RateLimitStore broken;
    private final InMemoryStore healthy = InMemoryStore.create();

    DelegatingLimits(RateLimitStore broken) {
      this.broken = broken;
    }

    @Override
    public LimitStore limits() {
      return healthy.limits();
    }

    @Override
    public BucketStore buckets() {
      return broken.buckets();
    }

    @Override
    public SlotStore slots() {
      return healthy.slots();
    }
  }

  @Test
  void builderSettersRejectBadValuesByName() {
    assertThatThrownBy(() -> RateLimiters.builder().limitCacheTtl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limitCacheTtl must not be negative");
    assertThatThrownBy(() -> RateLimiters.builder().tokenTtl(Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenTtl");
    assertThatThrownBy(() -> RateLimiters.builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("store is required");
    assertThatThrownBy(() -> Limit.of(-1, Duration.ofSeconds(1))).hasMessageContaining("limit must not be negative: -1");
    assertThatThrownBy(() -> Limit.of(1, Duration.ZERO)).hasMessageContaining("window must be positive: PT0S");
  }

  @Test
  void theLocalDenialAnswersWithoutTheStoreWhileExhausted() {
    AtomicInteger storeCalls = new AtomicInteger();
    InMemoryStore memory = InMemoryStore.create();
    RateLimitStore counting = new RateLimitStore() {
      @Override
      public LimitStore limits() {
        return memory.limits();
      }

      @Override
      public BucketStore buckets() {
        return request -> {
          storeCalls.incrementAndGet();
          return memory.buckets().consume(request);
        };
      }

      @Override
      public SlotStore slots() {
        return memory.slots();
      }
    };
    FungibleLimiter api = RateLimiters.builder().store(counting).clock(clock).build()
        .fungible("api", Limit.of(2, Duration.ofSeconds(1)));
    api.acquire("a", 2);
    assertThat(storeCalls).hasValue(1);
    for (int i = 0; i < 100; i++) {
      clock.advance(Duration.ofMillis(4));
      assertThat(api.tryAcquire("a").denied()).isTrue();
    }
    assertThat(storeCalls).as("the admission's tat already proves every denial").hasValue(1);
    clock.advance(Duration.ofMillis(100));
    assertThat(api.tryAcquire("a").allowed()).isTrue();
    assertThat(storeCalls).hasValue(2);
  }
}
