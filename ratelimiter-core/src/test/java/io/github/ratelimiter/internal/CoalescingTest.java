package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.AsyncNonFungibleLimiter;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Decisions of one process on one bucket that find a call in flight go to a remote store together, as one step of
 * their summed cost ({@link Batch}): fewer requests under contention, each decision still exact. The store here is
 * the in-memory one, made remote: its answers come from a thread of its own, and can be held.
 */
class CoalescingTest {

  private static final Limit TEN_PER_HOUR = Limit.of(10, Duration.ofHours(1));

  private final LaterStore store = new LaterStore(InMemoryStore.create());
  private final TestClock clock = new TestClock(Instant.parse("2026-12-06T00:00:00Z"));

  @AfterEach
  void stop() {
    store.close();
  }

  private RateLimiters limiters(RateLimitStore on) {
    return RateLimiters.builder().store(on).clock(clock).decisionTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void decisionsThatFindACallInFlightGoTogetherAsOneStep() throws Exception {
    AsyncFungibleLimiter limiter = limiters(store).fungible("api", TEN_PER_HOUR).async();
    store.hold = true;
    CompletableFuture<Decision> first = limiter.tryAcquire("acct");
    List<CompletableFuture<Decision>> waiting = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      waiting.add(limiter.tryAcquire("acct"));
    }
    assertThat(store.bucketCalls.get()).as("calls while the first is in flight").isEqualTo(1);
    assertThat(store.releaseOne()).isTrue(); // the first call answers: the batch of six goes
    assertThat(first.get(5, TimeUnit.SECONDS).allowed()).isTrue();
    awaitCalls(2);
    assertThat(store.costs.get(1)).as("the batch's step: six permits").isEqualTo(6 * store.costs.get(0));
    assertThat(store.releaseOne()).isTrue();
    for (CompletableFuture<Decision> decision : waiting) {
      Decision d = decision.get(5, TimeUnit.SECONDS);
      assertThat(d.allowed()).isTrue();
      assertThat(d.remaining()).isEqualTo(3);
    }
    assertThat(store.bucketCalls.get()).isEqualTo(2);
  }

  @Test
  void aBatchStepsForTheMembersThatFitByTheSeenTatAndWhenDeniedForThoseThatFitByTheStoredOne() throws Exception {
    LaterStore other = new LaterStore(store.memory);
    try (RateLimiters one = limiters(store); RateLimiters two = limiters(other)) {
      AsyncFungibleLimiter limiter = one.fungible("api", TEN_PER_HOUR).async();
      AsyncFungibleLimiter otherProcess = two.fungible("api", TEN_PER_HOUR).async();
      assertThat(limiter.tryAcquire("acct", 6).get(5, TimeUnit.SECONDS).allowed()).isTrue();
      store.hold = true;
      CompletableFuture<Decision> first = limiter.tryAcquire("acct");
      List<CompletableFuture<Decision>> waiting = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        waiting.add(limiter.tryAcquire("acct"));
      }
      assertThat(store.releaseOne()).isTrue(); // 7 taken and seen: the batch's step is of the 3 that fit by it
      assertThat(first.get(5, TimeUnit.SECONDS).allowed()).isTrue();
      awaitCalls(3);
      assertThat(store.costs.get(2)).isEqualTo(3 * store.costs.get(1));
      // another process takes one meanwhile: 8 taken, not seen by the batch
      assertThat(otherProcess.tryAcquire("acct").get(5, TimeUnit.SECONDS).allowed()).isTrue();
      assertThat(store.releaseOne()).isTrue(); // the batch's step of 3 is denied: 2 fit by the tat it returned
      awaitCalls(4);
      assertThat(store.costs.get(3)).isEqualTo(2 * store.costs.get(1));
      assertThat(store.releaseOne()).isTrue();
      List<Boolean> allowed = new ArrayList<>();
      for (CompletableFuture<Decision> decision : waiting) {
        allowed.add(decision.get(5, TimeUnit.SECONDS).allowed());
      }
      assertThat(allowed).containsExactly(true, true, false, false, false);
      assertThat(waiting.get(4).join().retryAfter()).isEqualTo(Duration.ofMinutes(6));
    } finally {
      other.close();
    }
  }

  @Test
  void aBatchIsNeverOvertakenAndRidesWithDecisionsThatComeBeforeItSeals() {
    KnownBucket bucket = new KnownBucket();
    assertThat(bucket.enter(1)).as("no call in flight: its own call").isNull();
    Batch.Seat leader = bucket.enter(1);
    assertThat(leader.leader()).isTrue();
    bucket.endCall(); // the first call ends: the turn passes to the batch
    assertThat(leader.batch().turn).isDone();
    Batch.Seat late = bucket.enter(1);
    assertThat(late).as("the bucket has a turn taken: no call of its own").isNotNull();
    assertThat(late.batch()).isSameAs(leader.batch());
    assertThat(bucket.sealBatch(leader.batch())).isEqualTo(2);
    Batch.Seat next = bucket.enter(1);
    assertThat(next.batch()).as("after sealing, the next batch forms").isNotSameAs(leader.batch());
    assertThat(next.leader()).isTrue();
    bucket.abandonBatch(next.batch()); // its deadline passed before its turn: nothing passes on
    bucket.endCall(); // the sealed batch's call ends with none waiting: the bucket is free
    assertThat(bucket.enter(1)).isNull();
  }

  @Test
  void blockingDecisionsWaitForTheCallInFlightAndGoTogether() throws Exception {
    FungibleLimiter limiter = limiters(store).fungible("api", TEN_PER_HOUR);
    CountDownLatch gate = new CountDownLatch(1);
    store.blockingGate = gate;
    ConcurrentLinkedQueue<Thread> pool = new ConcurrentLinkedQueue<>();
    ExecutorService threads = Executors.newFixedThreadPool(6, r -> {
      Thread thread = new Thread(r);
      pool.add(thread);
      return thread;
    });
    try {
      List<Future<Decision>> decisions = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        decisions.add(threads.submit(() -> limiter.tryAcquire("acct")));
      }
      // one thread's call is in flight (at the gate), the five others wait for its end or for their batch: none sends
      for (int i = 0; i < 500 && pool.stream().filter(t -> t.getState() == Thread.State.WAITING
          || t.getState() == Thread.State.TIMED_WAITING).count() < 6; i++) {
        Thread.sleep(10);
      }
      assertThat(store.bucketCalls.get()).isEqualTo(1);
      gate.countDown();
      for (Future<Decision> decision : decisions) {
        assertThat(decision.get(5, TimeUnit.SECONDS).allowed()).isTrue();
      }
      assertThat(store.bucketCalls.get()).isEqualTo(2);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void manyDecisionsInFlightFromTwoInstancesAdmitExactlyTheLimit() throws Exception {
    InMemoryStore shared = InMemoryStore.create();
    LaterStore one = new LaterStore(shared);
    LaterStore two = new LaterStore(shared);
    Limit limit = Limit.of(100, Duration.ofHours(1));
    try (RateLimiters a = limiters(one); RateLimiters b = limiters(two)) {
      List<AsyncFungibleLimiter> instances =
          List.of(a.fungible("hot", limit).async(), b.fungible("hot", limit).async());
      List<CompletableFuture<Decision>> decisions = new ArrayList<>();
      for (int i = 0; i < 512; i++) {
        decisions.add(instances.get(i % 2).tryAcquire("acct", 1 + i % 3));
      }
      CompletableFuture.allOf(decisions.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      long permits = 0;
      for (int i = 0; i < 512; i++) {
        if (decisions.get(i).join().allowed()) {
          permits += 1 + i % 3;
        }
      }
      assertThat(permits).isLessThanOrEqualTo(100).isGreaterThanOrEqualTo(98);
      assertThat(one.bucketCalls.get() + two.bucketCalls.get()).as("store calls for 512 decisions").isLessThan(100);
    } finally {
      one.close();
      two.close();
    }
  }

  @Test
  void reservationsThatNeedAListingWhileOneIsInFlightShareTheNextAndTheCapHolds() throws Exception {
    LaterStore other = new LaterStore(store.memory);
    try (RateLimiters one = limiters(store); RateLimiters two = limiters(other)) {
      List<AsyncNonFungibleLimiter> instances = List.of(one.nonFungible("cluster", 7).async(),
          two.nonFungible("cluster", 7).async());
      store.holdListings = true;
      other.holdListings = true;
      List<CompletableFuture<Optional<Reservation>>> reserves = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        reserves.add(instances.get(i % 2).tryReserve("acct"));
      }
      // all 256 asked while the first listings were in flight: answer the listings as they come
      CompletableFuture<Void> all = CompletableFuture.allOf(reserves.toArray(CompletableFuture[]::new));
      for (int i = 0; i < 10_000 && !all.isDone(); i++) {
        if (store.releaseListings() + other.releaseListings() == 0) {
          Thread.sleep(1); // the claims answer on the store threads
        }
      }
      all.get(10, TimeUnit.SECONDS);
      assertThat(reserves.stream().filter(r -> r.join().isPresent()).count()).isEqualTo(7);
      assertThat(store.listings.get() + other.listings.get()).as("listings for 256 reservations").isLessThan(64);
    } finally {
      other.close();
    }
  }

  @Test
  void blockingReservationsFromManyThreadsOfTwoInstancesTakeExactlyTheCap() throws Exception {
    LaterStore other = new LaterStore(store.memory);
    ExecutorService threads = Executors.newFixedThreadPool(32);
    try (RateLimiters one = limiters(store); RateLimiters two = limiters(other)) {
      List<NonFungibleLimiter> instances = List.of(one.nonFungible("cluster", 7), two.nonFungible("cluster", 7));
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Optional<Reservation>>> reserves = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        NonFungibleLimiter limiter = instances.get(i % 2);
        reserves.add(threads.submit(() -> {
          start.await();
          return limiter.tryReserve("acct");
        }));
      }
      start.countDown();
      long granted = 0;
      for (Future<Optional<Reservation>> reserve : reserves) {
        if (reserve.get(10, TimeUnit.SECONDS).isPresent()) {
          granted++;
        }
      }
      assertThat(granted).isEqualTo(7);
    } finally {
      threads.shutdownNow();
      other.close();
    }
  }

  private void awaitCalls(int calls) throws InterruptedException {
    for (int i = 0; i < 500 && store.bucketCalls.get() < calls; i++) {
      Thread.sleep(10);
    }
    assertThat(store.bucketCalls.get()).isEqualTo(calls);
  }
}
