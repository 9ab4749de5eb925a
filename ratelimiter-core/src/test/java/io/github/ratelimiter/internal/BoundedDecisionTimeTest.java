package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Near exhaustion, threads of one process wait for the one that asks the store. A waiter waits once, decides on a
 * fresh clock reading, and shares a store failure rather than spend a deadline of its own: however many threads ask,
 * a decision against a failing store takes about one store deadline.
 */
class BoundedDecisionTimeTest {

  private static final Limit TWO_PER_HOUR = Limit.of(2, Duration.ofHours(1));

  /** The in-memory store, whose bucket calls can be made to block or to fail after a deadline. */
  private static final class FaultyStore implements RateLimitStore {
    final InMemoryStore memory = InMemoryStore.create();
    final AtomicInteger bucketCalls = new AtomicInteger();
    volatile Duration failAfter;
    volatile CountDownLatch hold;

    @Override
    public LimitStore limits() {
      return memory.limits();
    }

    @Override
    public BucketStore buckets() {
      return request -> {
        bucketCalls.incrementAndGet();
        CountDownLatch latch = hold;
        if (latch != null) {
          await(latch);
        }
        Duration deadline = failAfter;
        if (deadline != null) {
          sleep(deadline); // a client's call timeout running out on a store that does not answer
          throw new RateLimiterException("DynamoDB UpdateItem failed: call timeout of " + deadline);
        }
        return memory.buckets().consume(request);
      };
    }

    @Override
    public SlotStore slots() {
      return memory.slots();
    }
  }

  @Test
  void withTheStoreDownEveryThreadsDecisionEndsWithinAboutOneDeadline() throws Exception {
    FaultyStore store = new FaultyStore();
    Duration deadline = Duration.ofMillis(1000);
    int threads = 8;
    try (RateLimiters limiters = RateLimiters.builder().store(store).failureMode(FailureMode.FAIL_CLOSED).build()) {
      FungibleLimiter limiter = limiters.fungible("bounded", TWO_PER_HOUR);
      assertThat(limiter.tryAcquire("a").allowed()).isTrue(); // one permit left: the threads ask one at a time
      store.failAfter = deadline;
      store.bucketCalls.set(0);
      CyclicBarrier gate = new CyclicBarrier(threads);
      List<Thread> workers = new ArrayList<>();
      AtomicLong slowestNanos = new AtomicLong();
      AtomicInteger failed = new AtomicInteger();
      AtomicReference<Throwable> unexpected = new AtomicReference<>();
      for (int i = 0; i < threads; i++) {
        Thread worker = new Thread(() -> {
          try {
            gate.await();
            long start = System.nanoTime();
            try {
              limiter.tryAcquire("a");
            } catch (RateLimiterException e) {
              failed.incrementAndGet();
            }
            slowestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
          } catch (Exception e) {
            unexpected.set(e);
          }
        });
        worker.start();
        workers.add(worker);
      }
      for (Thread worker : workers) {
        worker.join();
      }
      assertThat(unexpected.get()).isNull();
      assertThat(failed.get()).isEqualTo(threads);
      // Before the fix a waiter waited for the call in flight, then made its own: two deadlines or more. The bound
      // here is one deadline plus a margin for a loaded machine; the exact figures are in the closing note.
      assertThat(Duration.ofNanos(slowestNanos.get())).isLessThan(deadline.multipliedBy(19).dividedBy(10));
      // one thread asked for all of them, unless some started after its call had ended
      assertThat(store.bucketCalls.get()).isLessThan(threads);
      System.out.printf("store down, %d threads, deadline %d ms: slowest decision %d ms, %d bucket calls%n", threads,
          deadline.toMillis(), slowestNanos.get() / 1_000_000, store.bucketCalls.get());
    }
  }

  @Test
  void aWaiterDecidesOnAFreshClockReadingWithoutAskingTheStore() throws Exception {
    FaultyStore store = new FaultyStore();
    TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).build()) {
      FungibleLimiter limiter = limiters.fungible("fresh", TWO_PER_HOUR);
      assertThat(limiter.tryAcquire("a").allowed()).isTrue();
      CountDownLatch hold = new CountDownLatch(1);
      store.hold = hold;
      store.bucketCalls.set(0);
      AtomicReference<Decision> first = new AtomicReference<>();
      AtomicReference<Decision> second = new AtomicReference<>();
      Thread asker = new Thread(() -> first.set(limiter.tryAcquire("a")));
      asker.start();
      while (store.bucketCalls.get() == 0) {
        Thread.onSpinWait(); // until the asker is in the store
      }
      Thread waiter = new Thread(() -> second.set(limiter.tryAcquire("a")));
      waiter.start();
      while (waiter.getState() != Thread.State.WAITING) {
        Thread.onSpinWait(); // until it waits for the asker's answer
      }
      clock.advance(Duration.ofMinutes(10)); // the asker's call is slow
      hold.countDown();
      asker.join();
      waiter.join();
      assertThat(first.get().allowed()).isTrue(); // the last permit
      assertThat(second.get().allowed()).isFalse();
      // the next permit is due 30 minutes after the first call; 10 of them have passed while the waiter waited
      assertThat(second.get().retryAfter()).isEqualTo(Duration.ofMinutes(20));
      assertThat(store.bucketCalls.get()).isEqualTo(1); // the waiter was answered locally
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
