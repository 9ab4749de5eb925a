package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.AsyncNonFungibleLimiter;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.store.InMemoryStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The non-blocking views on a store whose answers this test controls: an answer completes a future later, on the
 * store's own thread, as the DynamoDB store's asynchronous client does; or never. What is checked here is what the
 * contract suites (which run through the non-blocking views too, see {@code ThroughAsync}) cannot see: where futures
 * complete, that a future completes when its deadline passes whatever the store does, that decisions wait for
 * another decision's store call as futures rather than threads, and exactness with many decisions in flight.
 */
class AsyncDecisionTest {

  private static final Limit TEN_PER_HOUR = Limit.of(10, Duration.ofHours(1));

  private final LaterStore store = new LaterStore(InMemoryStore.create(), false);

  {
    store.forbidBlocking = true;
  }
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "user-callbacks"));

  @AfterEach
  void stop() {
    store.close();
    callbacks.shutdownNow();
  }

  private RateLimiters limiters(FailureMode mode, Duration timeout) {
    return RateLimiters.builder().store(store).asyncExecutor(callbacks).failureMode(mode).decisionTimeout(timeout)
        .build();
  }

  @Test
  void aDecisionThatWaitedForTheStoreCompletesOnTheUsersExecutorNeverOnTheStoresThread() throws Exception {
    AsyncFungibleLimiter limiter = limiters(FailureMode.FAIL_CLOSED, Duration.ofSeconds(5))
        .fungible("api", TEN_PER_HOUR).async();
    AtomicReference<String> ranOn = new AtomicReference<>();
    store.hold = true;
    CompletableFuture<Decision> pending = limiter.tryAcquire("acct").thenApply(d -> {
      ranOn.set(Thread.currentThread().getName());
      return d;
    });
    assertThat(store.release()).isEqualTo(1); // answered on the store's thread
    Decision decision = pending.get(5, TimeUnit.SECONDS);
    assertThat(decision.allowed()).isTrue();
    assertThat(ranOn.get()).isEqualTo("user-callbacks");
    assertThat(store.bucketCalls.get()).isEqualTo(1);
  }

  @Test
  void aDecisionMadeInProcessIsCompleteAtOnceAndSendsNothing() throws Exception {
    AsyncFungibleLimiter limiter = limiters(FailureMode.FAIL_CLOSED, Duration.ofSeconds(5))
        .fungible("api", TEN_PER_HOUR).async();
    assertThat(limiter.tryAcquire("acct", 10).get(5, TimeUnit.SECONDS).allowed()).isTrue();
    int calls = store.bucketCalls.get();
    CompletableFuture<Decision> denied = limiter.tryAcquire("acct");
    assertThat(denied).isDone(); // the seen state denies it: no store call, no executor hop
    assertThat(denied.join().allowed()).isFalse();
    assertThat(denied.join().retryAfter()).isPositive();
    assertThat(store.bucketCalls.get()).isEqualTo(calls);
  }

  @Test
  void aFutureTheStoreNeverAnswersFailsWhenItsDeadlinePasses() {
    AsyncFungibleLimiter limiter = limiters(FailureMode.FAIL_CLOSED, Duration.ofMillis(200))
        .fungible("api", TEN_PER_HOUR).async();
    store.never = true;
    CompletableFuture<Decision> decision = limiter.tryAcquire("acct");
    assertThatThrownBy(() -> decision.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(RateLimiterException.class).hasMessageContaining("decision timeout of PT0.2S");
  }

  @Test
  void failOpenCompletesADegradedAdmissionWhenTheDeadlinePasses() throws Exception {
    AsyncFungibleLimiter limiter = limiters(FailureMode.FAIL_OPEN, Duration.ofMillis(200))
        .fungible("api", TEN_PER_HOUR).async();
    store.never = true;
    Decision decision = limiter.tryAcquire("acct").get(5, TimeUnit.SECONDS);
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.degraded()).isTrue();
  }

  @Test
  void nearExhaustionDecisionsOnOneBucketWaitForTheOneStoreCallInFlightAsFutures() throws Exception {
    AsyncFungibleLimiter limiter = limiters(FailureMode.FAIL_CLOSED, Duration.ofSeconds(5))
        .fungible("api", TEN_PER_HOUR).async();
    assertThat(limiter.tryAcquire("acct", 9).get(5, TimeUnit.SECONDS).allowed()).isTrue(); // one permit left
    store.bucketCalls.set(0);
    store.hold = true;
    List<CompletableFuture<Decision>> decisions = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      decisions.add(limiter.tryAcquire("acct"));
    }
    assertThat(store.bucketCalls.get()).as("store calls in flight").isEqualTo(1);
    assertThat(decisions).noneMatch(CompletableFuture::isDone);
    store.hold = false;
    assertThat(store.release()).isEqualTo(1);
    CompletableFuture.allOf(decisions.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    assertThat(decisions.stream().filter(d -> d.join().allowed()).count()).isEqualTo(1);
    // the waiters decided on what the one call taught: the bucket is full, so they were denied here
    assertThat(store.bucketCalls.get()).isEqualTo(1);
  }

  @Test
  void manyDecisionsInFlightFromTwoLimiterInstancesAdmitExactlyTheLimit() throws Exception {
    InMemoryStore shared = InMemoryStore.create();
    Limit limit = Limit.of(100, Duration.ofHours(1));
    try (RateLimiters one = RateLimiters.builder().store(shared).build();
        RateLimiters two = RateLimiters.builder().store(shared).build()) {
      List<AsyncFungibleLimiter> instances =
          List.of(one.fungible("hot", limit).async(), two.fungible("hot", limit).async());
      ConcurrentLinkedQueue<CompletableFuture<Decision>> futures = new ConcurrentLinkedQueue<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> issuers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        AsyncFungibleLimiter limiter = instances.get(t);
        Thread issuer = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          for (int i = 0; i < 256; i++) {
            futures.add(limiter.tryAcquire("acct"));
          }
        });
        issuer.start();
        issuers.add(issuer);
      }
      start.countDown();
      for (Thread issuer : issuers) {
        issuer.join();
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(futures).hasSize(512);
      assertThat(futures.stream().filter(f -> f.join().allowed()).count()).isEqualTo(100);
    }
  }

  @Test
  void acquireWithAWaitAsksAgainOnATimerAndFailsAtOnceWhenTheWaitCannotFit() throws Exception {
    try (RateLimiters limiters = RateLimiters.inMemory()) {
      AsyncFungibleLimiter limiter = limiters.fungible("api", Limit.of(20, Duration.ofSeconds(1))).async();
      assertThat(limiter.tryAcquire("acct", 20).join().allowed()).isTrue();
      assertThatThrownBy(() -> limiter.acquire("acct", 1, Duration.ofMillis(1)).join())
          .hasCauseInstanceOf(CapacityExhaustedException.class);
      Decision waited = limiter.acquire("acct", 1, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertThat(waited.allowed()).isTrue();
      assertThatThrownBy(() -> limiter.acquire("acct", 1, Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxWait");
    }
  }

  @Test
  void badArgumentsFailAtOnceNamingTheArgumentBeforeAnythingIsSent() {
    AsyncFungibleLimiter limiter = limiters(FailureMode.FAIL_CLOSED, Duration.ofSeconds(5))
        .fungible("api", TEN_PER_HOUR).async();
    assertThatThrownBy(() -> limiter.tryAcquire(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accountId");
    assertThatThrownBy(() -> limiter.tryAcquire("acct", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("permits");
    assertThatThrownBy(() -> limiter.tryAcquire("acct", 11).join())
        .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("never");
    assertThat(store.bucketCalls.get()).isZero();
  }

  @Test
  void concurrentReservesFromTwoInstancesTakeExactlyTheCap() throws Exception {
    InMemoryStore shared = InMemoryStore.create();
    try (RateLimiters one = RateLimiters.builder().store(shared).build();
        RateLimiters two = RateLimiters.builder().store(shared).build()) {
      List<AsyncNonFungibleLimiter> instances = List.of(one.nonFungible("cluster", 7).async(),
          two.nonFungible("cluster", 7).async());
      List<CompletableFuture<Optional<Reservation>>> reserves = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        reserves.add(instances.get(i % 2).tryReserve("acct"));
      }
      CompletableFuture.allOf(reserves.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(reserves.stream().filter(r -> r.join().isPresent()).count()).isEqualTo(7);
      assertThatThrownBy(() -> instances.get(0).reserve("acct").join())
          .hasCauseInstanceOf(CapacityExhaustedException.class);
      Reservation held = reserves.stream().map(CompletableFuture::join).flatMap(Optional::stream).findFirst()
          .orElseThrow();
      held.createTokenAsync("cluster-1").thenCompose(token -> token.releaseAsync()).get(5, TimeUnit.SECONDS);
      assertThat(instances.get(1).tryReserve("acct").get(5, TimeUnit.SECONDS)).isPresent();
    }
  }

  @Test
  void aLeasedHotKeyDecidesFromItsChunkWithoutTheStore() throws Exception {
    try (RateLimiters limiters = RateLimiters.builder().store(store).asyncExecutor(callbacks).build()) {
      AsyncFungibleLimiter limiter = limiters.fungible("hot", Limit.of(100_000, Duration.ofSeconds(1)),
          LimiterOptions.builder().leasing(io.github.ratelimiter.Leasing.defaults()).build()).async();
      int admitted = 0;
      for (int i = 0; i < 20_000; i++) {
        if (limiter.tryAcquire("acct").get(5, TimeUnit.SECONDS).allowed()) {
          admitted++;
        }
      }
      assertThat(admitted).isEqualTo(20_000);
      assertThat(store.bucketCalls.get()).as("store writes for 20,000 decisions").isLessThan(2_000);
    }
  }
}
