package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.LeaseWorker.RecordingClock;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A key that moves from the direct path to leases and back under load, with both paths in use at once: three
 * limiters with their own clients on one key of a dynalite table (limit 50 per 500 ms), two that lease (16 threads
 * each, hot from 50 permits asked per second) and one that never does (8 threads, 60 per second on the direct path
 * all along). The leasing limiters ask 8/s each from 0 to 1.5 s (cold: one write per decision), 2,000/s each from
 * 1.5 to 3 s (hot, far above the limit: leases, while the third limiter keeps writing per decision), and 8/s again
 * from 3 to 4.5 s (cold). Every admission of the three, with the clock reading its decision used, is checked against
 * {@code L + floor(t*L/W)} over every interval, and the listener's {@code storeAsked} shows which path decided each.
 *
 * <p>The thresholds leave room for a slow store: on the direct path a limiter's threads ask at most
 * {@code threads / latency} per second (a closed loop), so 16 threads reach 50/s up to 320 ms per write.
 */
class LeaseModeSwitchTest {

  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final Limit LIMIT = Limit.of(50, Duration.ofMillis(500));

  /** One limiter's admissions: clock readings, and which of them a store write of their own decided. */
  private static final class Log {
    final long[][] times;
    final boolean[][] direct;
    final int[] sizes;

    Log(int threads) {
      times = new long[threads][10_000];
      direct = new boolean[threads][10_000];
      sizes = new int[threads];
    }

    long[] all() {
      return all(false);
    }

    /** The sorted admission times, or only the direct ones. */
    long[] all(boolean onlyDirect) {
      long[] out = new long[Arrays.stream(sizes).sum()];
      int n = 0;
      for (int t = 0; t < times.length; t++) {
        for (int i = 0; i < sizes[t]; i++) {
          if (!onlyDirect || direct[t][i]) {
            out[n++] = times[t][i];
          }
        }
      }
      long[] sorted = Arrays.copyOf(out, n);
      Arrays.sort(sorted);
      return sorted;
    }
  }

  @Test
  void aKeyMovesToLeasesAndBackUnderLoadWhileAnotherLimiterStaysDirectAndTheBoundHolds() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    long start = epochNanos(Instant.now()) + 1_500_000_000L; // time to build three clients and warm them
    long[][] leasingSchedule = {{0, 8}, {1_500, 2_000}, {3_000, 8}, {4_500, 0}};
    long[][] directSchedule = {{0, 60}, {4_500, 0}};
    List<RateLimiters> all = new ArrayList<>();
    List<Log> logs = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try {
      for (int l = 0; l < 3; l++) {
        boolean leasing = l < 2;
        RecordingClock clock = new RecordingClock();
        ThreadLocal<boolean[]> asked = ThreadLocal.withInitial(() -> new boolean[1]);
        RateLimiters limiters = RateLimiters.builder().store(tables.openStore()).clock(clock)
            .listener(new RateLimiterListener() {
              @Override
              public void onDecision(String resourceName, String accountId, LimiterKind kind,
                  DecisionOutcome outcome, long permits, boolean storeAsked) {
                asked.get()[0] = storeAsked;
              }
            }).build();
        all.add(limiters);
        LimiterOptions.Builder options = LimiterOptions.builder();
        if (leasing) {
          options.leasing(Leasing.builder().refreshInterval(Duration.ofMillis(100)).hotThreshold(50).build());
        }
        FungibleLimiter limiter = limiters.fungible("switch", LIMIT, options.build());
        for (int i = 0; i < 5; i++) {
          limiter.tryAcquire("warmup"); // the client's connections and code paths, on another key
        }
        int count = leasing ? 16 : 8;
        Log log = new Log(count);
        logs.add(log);
        long[][] schedule = leasing ? leasingSchedule : directSchedule;
        for (int t = 0; t < count; t++) {
          int thread = t;
          threads.add(new Thread(() -> {
            try {
              paced(start, schedule, thread, count, () -> {
                if (limiter.tryAcquire("tenant").allowed()) {
                  int i = log.sizes[thread]++;
                  log.times[thread][i] = clock.lastNanos();
                  log.direct[thread][i] = asked.get()[0];
                }
              });
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
            }
          }, "switch-" + l + "-" + t));
        }
      }
      threads.forEach(Thread::start);
      for (Thread thread : threads) {
        thread.join();
      }
    } finally {
      all.forEach(RateLimiters::close);
    }
    assertThat(failure.get()).isNull();

    long interval = LIMIT.window().toNanos() / LIMIT.limit();
    long[] merged = merge(logs.get(0).all(), logs.get(1).all(), logs.get(2).all());
    long excess = LeaseProcesses.worstExcess(merged, LIMIT.limit(), interval);
    long[] leased = merge(logs.get(0).all(), logs.get(1).all());
    long[] leasedDirect = merge(logs.get(0).all(true), logs.get(1).all(true));
    // cold until 1.5 s; hot from 1.7 s (2 refresh intervals) to 3 s; cold again once the last chunk's slots (at
    // most L*T = 500 ms ahead) and 2 refresh intervals have passed: from 3.7 s
    long[] coldBefore = {count(leased, start, 0, 1_500), count(leasedDirect, start, 0, 1_500)};
    long[] hot = {count(leased, start, 1_700, 3_000), count(leasedDirect, start, 1_700, 3_000)};
    long[] coldAfter = {count(leased, start, 3_700, 4_500), count(leasedDirect, start, 3_700, 4_500)};
    long direct = count(logs.get(2).all(), start, 0, 4_500);
    System.out.printf("mode switch: %d admitted, worst interval excess %d; leasing limiters cold %d (%d direct),"
        + " hot %d (%d direct), cold again %d (%d direct); the direct-only limiter %d%n", merged.length, excess,
        coldBefore[0], coldBefore[1], hot[0], hot[1], coldAfter[0], coldAfter[1], direct);

    assertThat(excess).as("admissions over the bound, worst interval").isLessThanOrEqualTo(0);
    assertThat(coldBefore[0]).as("admitted while cold").isPositive();
    // mostly, not all: a slow store call bunches a cold limiter's asks (and a hot one's), and the measured demand
    // follows what was asked
    assertThat(coldBefore[1]).as("cold: decided by their own write").isGreaterThanOrEqualTo(coldBefore[0] * 4 / 5);
    assertThat(hot[0]).as("admitted while hot").isPositive();
    assertThat(hot[1]).as("hot: decided by their own write").isLessThanOrEqualTo(hot[0] / 5);
    assertThat(coldAfter[0]).as("admitted while cold again").isPositive();
    assertThat(coldAfter[1]).as("cold again: decided by their own write").isGreaterThanOrEqualTo(coldAfter[0] * 4 / 5);
    assertThat(direct).as("the direct-only limiter admitted").isPositive();
  }

  /**
   * Calls {@code decide} at the schedule's rate ({@code {offset-ms, per-second}} steps, this thread's share of
   * {@code threads}), from {@code start} (epoch nanoseconds) to the last step.
   */
  static void paced(long start, long[][] schedule, int thread, int threads, Runnable decide) {
    long end = start + schedule[schedule.length - 1][0] * 1_000_000L;
    long next = 0;
    long paced = -1;
    while (true) {
      long wall = epochNanos(Instant.now());
      if (wall >= end) {
        return;
      }
      long rate = wall < start ? 0 : LeaseWorker.rateAt(schedule, (wall - start) / 1_000_000L);
      if (rate == 0) {
        LockSupport.parkNanos(Math.min(1_000_000L, Math.max(1, start - wall)));
        continue;
      }
      long gap = threads * 1_000_000_000L / rate;
      if (rate != paced) {
        next = wall + thread * (gap / threads); // the threads' asks spread over the gap
        paced = rate;
      }
      if (next > wall) {
        LockSupport.parkNanos(Math.min(next - wall, 10_000_000L)); // at most 10 ms: a new rate applies at once
        continue;
      }
      if (wall - next > 20_000_000L) {
        next = wall;
      }
      next += gap;
      decide.run();
    }
  }

  private static long count(long[] sorted, long start, long fromMs, long toMs) {
    return LeaseProcesses.count(sorted, start + fromMs * 1_000_000L, start + toMs * 1_000_000L);
  }

  private static long[] merge(long[]... parts) {
    long[] all = Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    Arrays.sort(all);
    return all;
  }

  private static long epochNanos(Instant now) {
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
