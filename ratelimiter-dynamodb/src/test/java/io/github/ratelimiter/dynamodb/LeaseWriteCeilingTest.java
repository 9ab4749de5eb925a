package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.LeaseWorker.RecordingClock;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.dynamodb.FaultProxy;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One key behind DynamoDB's per-key write ceiling, emulated by a {@link FaultProxy} in front of dynalite at 1,000
 * writes per second ({@code ProvisionedThroughputExceededException} beyond it): 8 threads in a closed loop on one
 * key (16 with {@code -Pmultiprocess}), first on the direct path (limit 100,000/s, so that only the ceiling binds),
 * then with leasing (limit 30,000/s, so that the limit binds and exactness is tested too). Every admission is checked against
 * {@code L + floor(t*L/W)} over every interval, with the clock reading its decision used.
 *
 * <p>The ceiling caps the direct path's writes, not its decisions: one process's concurrent decisions on the key go
 * as one write per round trip (coalescing), so its decisions per write grow with its threads (16 threads: about 14).
 * Leasing takes decisions off the store altogether: the leased path must admit at least 5 times the ceiling's writes
 * per second in the default build (2 s per path, on a busy machine) and 10 times with {@code -Pmultiprocess} (5 s
 * per path after a 3 s warm-up of 16 threads: at least 10,000 admissions per second on the key), with fewer store
 * requests than one per 100 admissions.
 */
class LeaseWriteCeilingTest {

  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final boolean FULL = Boolean.getBoolean("ratelimiter.multiprocess");
  private static final Duration RUN = Duration.ofSeconds(FULL ? 5 : 2);
  /** 16 in the full run: enough closed-loop callers for a quiet machine's dynalite to reach the ceiling. */
  private static final int THREADS = FULL ? 16 : 8;
  private static final int CEILING = 1_000;

  /** One path's figures. */
  record Run(String name, long decisions, long admitted, long errors, long elapsedNanos, long worstExcess,
      long requests, long throttled) {

    double decisionsPerSecond() {
      return decisions * 1e9 / elapsedNanos;
    }

    double admittedPerSecond() {
      return admitted * 1e9 / elapsedNanos;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s: %.0f decisions/s (%d), %.0f admitted/s (%d), %d errors, worst interval"
              + " excess %d, %d store requests (%.4f per decision), %d writes throttled by the ceiling", name,
          decisionsPerSecond(), decisions, admittedPerSecond(), admitted, errors, worstExcess, requests,
          (double) requests / Math.max(1, decisions), throttled);
    }
  }

  @Test
  void behindAOneThousandWritesPerSecondCeilingLeasesAdmitManyTimesItsWritesAndNeverOverAdmit()
      throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint())) {
      proxy.writeCeiling(CEILING);
      Run direct = run("direct", tables, proxy, Limit.of(100_000, Duration.ofSeconds(1)), null);
      // Hot from 20/s, not the default 200/s: 8 closed-loop threads ask at most 8 / (write latency) per second on
      // the direct path, and a loaded machine's dynalite can take 50-200 ms per write (README, hot keys).
      Run leased = run("leased", tables, proxy, Limit.of(30_000, Duration.ofSeconds(1)),
          Leasing.builder().refreshInterval(Duration.ofMillis(100)).hotThreshold(20).build());
      System.out.printf("write ceiling %d/s, %d threads, %s per path:%n  %s%n  %s%n", CEILING, THREADS, RUN, direct,
          leased);

      assertThat(direct.worstExcess()).as("direct: admissions over the bound").isLessThanOrEqualTo(0);
      assertThat(leased.worstExcess()).as("leased: admissions over the bound").isLessThanOrEqualTo(0);
      // the ceiling caps the direct path's writes, 1,000/s plus a burst of 100 (its decisions may be more: one
      // process's concurrent decisions on a key go as one write per round trip)
      assertThat(direct.requests() - direct.throttled()).as("direct writes passed by the ceiling")
          .isLessThanOrEqualTo((long) (CEILING * 1.1 * direct.elapsedNanos() / 1e9) + 100);
      assertThat(leased.admittedPerSecond()).as("leased admissions per second on one key")
          .isGreaterThanOrEqualTo((FULL ? 10 : 5) * CEILING);
      assertThat(leased.requests()).as("leased: store requests").isLessThan(leased.admitted() / 100);
    }
  }

  /** Every thread asks keys of their own (not the measured one) for 3 s: the SDK's code paths get compiled. */
  private static void warmUp(FungibleLimiter limiter) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    for (int t = 0; t < THREADS; t++) {
      String key = "warmup-" + t;
      threads.add(new Thread(() -> {
        while (System.nanoTime() < end) {
          try {
            limiter.tryAcquire(key);
          } catch (RateLimiterException e) {
            // a throttled warm-up decision: nothing to count
          }
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread thread : threads) {
      thread.join();
    }
  }

  /** 8 threads asking one key as fast as answered for {@link #RUN}, through the proxy, with their own client. */
  private static Run run(String name, DynamoDbTestTables tables, FaultProxy proxy, Limit limit, Leasing leasing)
      throws Exception {
    RecordingClock clock = new RecordingClock();
    RequestCounter counter = new RequestCounter();
    long throttledBefore = proxy.ceilingThrottles();
    long[][] times = new long[THREADS][];
    long[] decisions = new long[THREADS];
    long[] errors = new long[THREADS];
    int[] admitted = new int[THREADS];
    long[] elapsed = new long[1];
    try (RateLimiters limiters = RateLimiters.builder()
        .store(DynamoDbStore.builder().client(LocalDynamoDb.client(proxy.endpoint(), counter)).ownsClient(true)
            .tableNames(tables.names).build())
        .clock(clock).build()) {
      LimiterOptions.Builder options = LimiterOptions.builder();
      if (leasing != null) {
        options.leasing(leasing);
      }
      FungibleLimiter limiter = limiters.fungible("ceiling-" + name, limit, options.build());
      limiter.tryAcquire("warmup"); // limits read and a connection made, on another key
      if (FULL) {
        warmUp(limiter); // the full run measures a warm client, as the benchmark does
      }
      long requestsBefore = counter.total();
      CyclicBarrier gate = new CyclicBarrier(THREADS + 1);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        times[t] = new long[1 << 16];
        threads.add(new Thread(() -> {
          try {
            gate.await();
            long end = System.nanoTime() + RUN.toNanos();
            while (System.nanoTime() < end) {
              decisions[thread]++;
              try {
                if (limiter.tryAcquire("hot").allowed()) {
                  if (admitted[thread] == times[thread].length) {
                    times[thread] = Arrays.copyOf(times[thread], admitted[thread] * 2);
                  }
                  times[thread][admitted[thread]++] = clock.lastNanos();
                }
              } catch (RateLimiterException e) {
                errors[thread]++; // throttled on every attempt of the call: no decision
              }
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }, "ceiling-" + name + "-" + t));
      }
      threads.forEach(Thread::start);
      gate.await();
      long started = System.nanoTime();
      for (Thread thread : threads) {
        thread.join();
      }
      elapsed[0] = System.nanoTime() - started;
      assertThat(failure.get()).isNull();
      long[] all = new long[Arrays.stream(admitted).sum()];
      int n = 0;
      for (int t = 0; t < THREADS; t++) {
        System.arraycopy(times[t], 0, all, n, admitted[t]);
        n += admitted[t];
      }
      Arrays.sort(all);
      long interval = (limit.window().toNanos() + limit.limit() - 1) / limit.limit(); // T = ceil(W/L)
      return new Run(name, Arrays.stream(decisions).sum(), all.length, Arrays.stream(errors).sum(), elapsed[0],
          LeaseProcesses.worstExcess(all, limit.limit(), interval), counter.total() - requestsBefore,
          proxy.ceilingThrottles() - throttledBefore);
    }
  }
}
