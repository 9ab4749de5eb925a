package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.JointDecision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The interleaving a refund must survive: a decision across two keys charges key {@code a} while it is idle, another
 * request is charged on {@code a} later, then the other key denies and {@code a} is refunded. A refund of the whole
 * cost ({@code tat - cost}) would leave {@code a} with credit it never had; the refund of what lies ahead of now
 * leaves exactly what the other request alone would have left.
 */
class RefundCreatesNoCreditTest {

  /** 2 per second: T = 500 ms, tolerance 1 s. */
  private static final Limit LIMIT = Limit.of(2, Duration.ofSeconds(1));

  private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final InMemoryStore memory = InMemoryStore.create();
  /** Run once, between the charge of the first key and the decision on the second. */
  private Runnable betweenKeys;

  /** The in-memory store, running {@link #betweenKeys} when the key "z" is asked. */
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
          if (request.accountId().equals("z") && betweenKeys != null) {
            Runnable once = betweenKeys;
            betweenKeys = null;
            once.run();
          }
          return memory.buckets().consume(request);
        }

        @Override
        public boolean refund(RefundRequest request) {
          return memory.buckets().refund(request);
        }
      };
    }

    @Override
    public SlotStore slots() {
      return memory.slots();
    }
  };

  @Test
  void aRefundAfterAnotherChargeLeavesExactlyWhatThatChargeAloneWouldHave() {
    RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).build();
    RateLimiters other = RateLimiters.builder().store(memory).clock(clock).build();
    FungibleLimiter api = limiters.fungible("api", LIMIT);
    FungibleLimiter otherApi = other.fungible("api", LIMIT);
    otherApi.acquire("z", 2); // z is exhausted (unknown to api, which asks the store): the joint decision is denied
    betweenKeys = () -> {
      clock.advance(Duration.ofMillis(100));
      assertThat(otherApi.tryAcquire("a").allowed()).as("the other request on a, at 100 ms").isTrue();
    };
    assertThat(betweenKeys).isNotNull();
    JointDecision joint = limiters.tryAcquireAll(List.of(api.ask("a"), api.ask("z")));
    assertThat(joint.denied()).isTrue();
    assertThat(betweenKeys).as("the other request ran between the two keys").isNull();
    assertThat(joint.decision()).isSameAs(joint.decisions().get(1));
    assertThat(joint.decisions().get(0).allowed()).as("a was admitted, then refunded").isTrue();
    // Without the joint decision, a would hold one request at 100 ms: tat = 100 + 500 = 600 ms. One more fits now,
    // and the next waits exactly 500 ms. (A refund of the whole cost would leave tat = 500 ms: a wait of 400 ms;
    // no refund at all would deny the first.) Asked by a limiter that has seen nothing of a: the other one saw the
    // tat before the refund, and denies locally until its next answer (under-admission only).
    FungibleLimiter fresh = RateLimiters.builder().store(memory).clock(clock).build().fungible("api", LIMIT);
    assertThat(fresh.tryAcquire("a").allowed()).isTrue();
    Decision next = fresh.tryAcquire("a");
    assertThat(next.allowed()).isFalse();
    assertThat(next.retryAfter()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void aRefundAtTheInstantOfItsChargeGivesBackEverything() {
    RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).build();
    FungibleLimiter api = limiters.fungible("api", LIMIT);
    api.acquire("z", 2);
    for (int i = 0; i < 1_000; i++) {
      assertThat(limiters.tryAcquireAll(List.of(api.ask("a"), api.ask("z"))).denied()).isTrue();
    }
    assertThat(api.tryAcquire("a", 2).allowed()).as("a's full burst is still there").isTrue();
  }
}
