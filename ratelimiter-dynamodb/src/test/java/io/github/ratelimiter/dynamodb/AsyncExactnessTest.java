package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.AsyncNonFungibleLimiter;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.testing.ManualClock;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The limiters' non-blocking views on DynamoDB are exact: two limiter instances, each with its own store and its own
 * asynchronous client, put 512 decisions in flight at once from two threads, and every bucket admits exactly what
 * the generic cell rate algorithm allows at that instant (time is a manual clock shared by both and moved between
 * waves, never while decisions are in flight); 256 reserves take exactly the cap; and 512 decisions in flight need
 * no thread each.
 */
class AsyncExactnessTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final int IN_FLIGHT = 512;
  private static final int THREADS = 2;

  private final ManualClock clock = ManualClock.at(Instant.parse("2026-12-06T00:00:00Z"));
  private DynamoDbTestTables tables;
  private List<RateLimiters> instances;

  @BeforeEach
  void open() {
    tables = new DynamoDbTestTables(DYNAMO);
    instances = List.of(limiters(), limiters());
  }

  private RateLimiters limiters() {
    return RateLimiters.builder().store(tables.openAsyncStore()).clock(clock).build();
  }

  @AfterEach
  void close() {
    instances.forEach(RateLimiters::close);
  }

  /**
   * {@value #IN_FLIGHT} calls of {@code call} (given their number), issued at once from {@value #THREADS} threads
   * without waiting, and their futures once every one completed.
   */
  private static <T> List<CompletableFuture<T>> inFlight(IntFunction<CompletableFuture<T>> call) throws Exception {
    return inFlight(IN_FLIGHT, call);
  }

  /** {@link #inFlight(IntFunction)} with {@code calls} calls. */
  private static <T> List<CompletableFuture<T>> inFlight(int calls, IntFunction<CompletableFuture<T>> call)
      throws Exception {
    List<CompletableFuture<T>> futures = new ArrayList<>(java.util.Collections.nCopies(calls, null));
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> issuers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int first = t;
      Thread issuer = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = first; i < calls; i += THREADS) {
          futures.set(i, call.apply(i)); // each thread its own indices; read after join()
        }
      }, "issuer-" + t);
      issuer.start();
      issuers.add(issuer);
    }
    start.countDown();
    for (Thread issuer : issuers) {
      issuer.join();
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
        .get(120, TimeUnit.SECONDS);
    assertThat(futures).hasSize(calls).doesNotContainNull();
    return futures;
  }

  /** Each instance's async view of the fungible limiter on the resource. */
  private List<AsyncFungibleLimiter> fungible(String resource, Limit limit) {
    return instances.stream().map(instance -> instance.fungible(resource, limit).async()).toList();
  }

  @Test
  void oneBucketAdmitsExactlyItsBoundAtEachInstant() throws Exception {
    Limit limit = Limit.of(100, Duration.ofHours(1)); // one permit per 36 s
    List<AsyncFungibleLimiter> limiters = fungible("hot", limit);
    long admitted = countAdmitted(inFlight(i -> limiters.get(i % 2).tryAcquire("acct")));
    assertThat(admitted).as("a full bucket at one instant").isEqualTo(100);
    clock.advance(Duration.ofSeconds(36 * 10)); // ten emission intervals
    admitted = countAdmitted(inFlight(i -> limiters.get(i % 2).tryAcquire("acct")));
    assertThat(admitted).as("ten intervals later").isEqualTo(10);
    clock.advance(Duration.ofSeconds(36).minusNanos(1));
    admitted = countAdmitted(inFlight(i -> limiters.get(i % 2).tryAcquire("acct")));
    assertThat(admitted).as("one nanosecond short of the next interval").isZero();
  }

  @Test
  void aThousandBucketsEachAdmitExactlyTheirBound() throws Exception {
    Limit limit = Limit.of(2, Duration.ofMinutes(1)); // one permit per 30 s, two at once
    long intervalNanos = Duration.ofSeconds(30).toNanos();
    long toleranceNanos = 2 * intervalNanos;
    List<AsyncFungibleLimiter> limiters = fungible("wide", limit);
    Random random = new Random(21);
    Map<Integer, Long> modelTat = new HashMap<>(); // the algorithm, per bucket: its tat in nanoseconds from the start
    long now = 0;
    for (int wave = 0; wave < 4; wave++) {
      if (wave == 2) {
        clock.advance(Duration.ofNanos(intervalNanos)); // one more permit for every bucket
        now += intervalNanos;
      }
      int[] bucket = new int[IN_FLIGHT];
      Map<Integer, Integer> demand = new HashMap<>();
      for (int i = 0; i < IN_FLIGHT; i++) {
        bucket[i] = random.nextInt(1_000);
        demand.merge(bucket[i], 1, Integer::sum);
      }
      List<CompletableFuture<Decision>> decisions =
          inFlight(i -> limiters.get(i % 2).tryAcquire("account-" + bucket[i]));
      Map<Integer, Integer> admitted = new HashMap<>();
      for (int i = 0; i < IN_FLIGHT; i++) {
        if (decisions.get(i).join().allowed()) {
          admitted.merge(bucket[i], 1, Integer::sum);
        }
      }
      for (Map.Entry<Integer, Integer> asked : demand.entrySet()) {
        int expected = 0;
        for (int r = 0; r < asked.getValue(); r++) { // equal requests at one instant: order does not matter
          long start = Math.max(modelTat.getOrDefault(asked.getKey(), Long.MIN_VALUE / 2), now);
          if (start + intervalNanos <= now + toleranceNanos) {
            modelTat.put(asked.getKey(), start + intervalNanos);
            expected++;
          }
        }
        assertThat(admitted.getOrDefault(asked.getKey(), 0)).as("wave %d, bucket %d asked %d", wave,
            asked.getKey(), asked.getValue()).isEqualTo(expected);
      }
    }
  }

  private static long countAdmitted(List<CompletableFuture<Decision>> decisions) {
    return decisions.stream().filter(d -> d.join().allowed()).count();
  }

  @Test
  void concurrentReservesFromTwoInstancesTakeExactlyTheCap() throws Exception {
    int cap = 7;
    List<AsyncNonFungibleLimiter> limiters =
        instances.stream().map(instance -> instance.nonFungible("clusters", cap).async()).toList();
    List<CompletableFuture<Reservation>> reserves = inFlight(256, i -> limiters.get(i % THREADS).reserve("acct"));
    assertThat(reserves).hasSize(256);
    long granted = reserves.stream().filter(r -> !r.isCompletedExceptionally()).count();
    assertThat(granted).isEqualTo(cap);
    for (CompletableFuture<Reservation> refused : reserves) {
      if (refused.isCompletedExceptionally()) {
        assertThat(refused.handle((r, e) -> e instanceof CompletionException ? e.getCause() : e).join())
            .isInstanceOf(CapacityExhaustedException.class);
      }
    }
    try (DynamoDbStore store = tables.openStore()) {
      List<SlotRecord> rows = store.slots().list("clusters", "acct", Deadline.none());
      long epochSecond = clock.instant().getEpochSecond();
      assertThat(rows.stream().filter(row -> row.liveAt(epochSecond)).count()).as("live rows in the table")
          .isEqualTo(cap);
    }
  }

  @Test
  void fiveHundredTwelveDecisionsInFlightNeedNoThreadEach() throws Exception {
    List<AsyncFungibleLimiter> limiters = fungible("threads", Limit.of(1_000_000, Duration.ofSeconds(1)));
    for (AsyncFungibleLimiter limiter : limiters) {
      limiter.tryAcquire("warm-up").get(30, TimeUnit.SECONDS); // each client's event loop and connection started
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    AtomicInteger most = new AtomicInteger(threads.getThreadCount());
    AtomicBoolean sampling = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        most.accumulateAndGet(threads.getThreadCount(), Math::max);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    });
    sampler.start();
    List<CompletableFuture<Decision>> decisions;
    try {
      decisions = inFlight(i -> limiters.get(i % 2).tryAcquire("account-" + i));
    } finally {
      sampling.set(false);
      sampler.join();
    }
    assertThat(countAdmitted(decisions)).isEqualTo(IN_FLIGHT);
    assertThat(most.get()).as("live threads in the JVM while %d decisions were in flight", IN_FLIGHT)
        .isLessThan(64);
  }
}
