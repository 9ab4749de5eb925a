package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A real outage: dynalite, its tables on disk, killed with SIGKILL under 8 threads of fungible and non-fungible
 * load, then restarted on the same port with the same data. The same {@link RateLimiters} (same client) carries on.
 * Longer runs: {@code -Pfaults} sets {@code ratelimiter.faults.seconds}.
 */
class StoreKilledTest {

  private static final int THREADS = 8;
  private static final Limit LIMIT = Limit.of(40, Duration.ofSeconds(1));
  private static final int CAP = 5;
  private static final int HELD = 3;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(4);
  private static final double PHASE_SECONDS = Double.parseDouble(System.getProperty("ratelimiter.faults.seconds",
      "1.0"));

  @ParameterizedTest
  @EnumSource(FailureMode.class)
  void aKilledStoreFailsAsConfiguredWithinTheDeadlineAndTheSameLimitersRecover(FailureMode mode, @TempDir Path data)
      throws Exception {
    try (LocalDynamoDbServer server = LocalDynamoDbServer.builder().dataDirectory(data).start()) {
      TableNames tables = TableNames.of(LocalDynamoDb.uniqueName("killed"));
      try (DynamoDbClient admin = LocalDynamoDb.client(server.endpoint())) {
        DynamoDbTables.createIfMissing(admin, tables);
      }
      AtomicLong firstOkAfterRestart = new AtomicLong();
      AtomicLong restartedAt = new AtomicLong(Long.MAX_VALUE);
      RateLimiterListener listener = new RateLimiterListener() {
        @Override
        public void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {
          long now = System.nanoTime();
          if (outcome != StoreOutcome.ERROR && now > restartedAt.get()) {
            firstOkAfterRestart.compareAndSet(0, now);
          }
        }
      };
      // the library's client with timeouts longer than the defaults (200 ms / 1 s): the test machine is shared
      DynamoDbClient client = DynamoDbClients.builder().endpoint(server.endpoint())
          .attemptTimeout(Duration.ofSeconds(2)).callTimeout(CALL_TIMEOUT).build();
      try (RateLimiters limiters = RateLimiters.builder()
          .store(DynamoDbStore.builder().client(client).ownsClient(true).tableNames(tables).build())
          .failureMode(mode).reservationTtl(Duration.ofMinutes(5)).listener(listener).build()) {
        FungibleLimiter fungible = limiters.fungible("killed-api", LIMIT);
        NonFungibleLimiter clusters = limiters.nonFungible("killed-clusters", CAP);
        List<Reservation> held = new ArrayList<>();
        for (int i = 0; i < HELD; i++) {
          held.add(clusters.tryReserve("acct").orElseThrow()); // held across the outage
        }

        LongAdder admitted = new LongAdder();
        LongAdder degraded = new LongAdder();
        LongAdder failedDuringOutage = new LongAdder();
        LongAdder failedOtherwise = new LongAdder();
        LongAdder deniedDuringOutage = new LongAdder();
        LongAdder reservationsFailed = new LongAdder();
        LongAdder reservationsDegraded = new LongAdder();
        AtomicLong slowestOutageDecision = new AtomicLong();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
        CyclicBarrier gate = new CyclicBarrier(THREADS + 1);
        long phase = (long) (PHASE_SECONDS * 1e9);
        List<Thread> workers = new ArrayList<>();
        long[] runStart = new long[1];
        AtomicLong stopAt = new AtomicLong(Long.MAX_VALUE);
        for (int t = 0; t < THREADS; t++) {
          boolean reserves = t < 2;
          Thread worker = new Thread(() -> {
            try {
              gate.await();
              while (System.nanoTime() < stopAt.get()) {
                long start = System.nanoTime();
                boolean outage = start > killedAt.get() && start < restartedAt.get();
                try {
                  if (reserves) {
                    Optional<Reservation> r = clusters.tryReserve("churn");
                    if (r.isPresent()) {
                      if (r.get().degraded()) {
                        reservationsDegraded.increment();
                      }
                      r.get().close();
                    }
                  } else {
                    Decision d = fungible.tryAcquire("acct");
                    if (d.degraded()) {
                      degraded.increment();
                    } else if (d.allowed()) {
                      admitted.increment();
                    } else if (outage) {
                      deniedDuringOutage.increment();
                    }
                  }
                } catch (RateLimiterException e) {
                  if (reserves) {
                    reservationsFailed.increment();
                  } else if (outage) {
                    failedDuringOutage.increment();
                  } else {
                    failedOtherwise.increment();
                  }
                }
                if (outage) {
                  slowestOutageDecision.accumulateAndGet(System.nanoTime() - start, Math::max);
                }
              }
            } catch (Throwable e) {
              unexpected.compareAndSet(null, e); // an SDK exception, or anything but the library's
            }
          });
          worker.start();
          workers.add(worker);
        }
        runStart[0] = System.nanoTime();
        gate.await();
        Thread.sleep(phase / 1_000_000);
        killedAt.set(System.nanoTime());
        server.kill();
        Thread.sleep(phase / 1_000_000);
        long restartBegan = System.nanoTime();
        server.restart();
        restartedAt.set(System.nanoTime());
        stopAt.set(restartedAt.get() + phase);
        for (Thread worker : workers) {
          worker.join();
        }
        double elapsed = (System.nanoTime() - runStart[0]) / 1e9;

        assertThat(unexpected.get()).isNull();
        long bound = LIMIT.limit() + (long) Math.floor(elapsed * LIMIT.limit() / LIMIT.window().toSeconds());
        assertThat(admitted.sum()).isLessThanOrEqualTo(bound);
        // a decision during the outage ends within the client's deadline (plus a margin for a loaded machine)
        assertThat(Duration.ofNanos(slowestOutageDecision.get())).isLessThan(CALL_TIMEOUT.plusSeconds(2));
        if (mode == FailureMode.FAIL_CLOSED) {
          assertThat(degraded.sum()).isZero();
          assertThat(failedDuringOutage.sum() + reservationsFailed.sum()).isPositive();
        } else {
          assertThat(failedDuringOutage.sum()).isZero();
          assertThat(degraded.sum()).isPositive();
        }
        // recovered without rebuilding anything
        assertThat(firstOkAfterRestart.get()).isPositive();
        assertThat(fungible.tryAcquire("after").allowed()).isTrue();
        // the reservations held across the outage still count: only CAP - HELD more fit
        int more = 0;
        for (int i = 0; i < CAP; i++) {
          Optional<Reservation> r = clusters.tryReserve("acct");
          if (r.isPresent() && !r.get().degraded()) {
            more++;
          }
        }
        assertThat(more).isEqualTo(CAP - HELD);
        System.out.printf("store killed (%s, %d threads, phases %.1f s, call timeout %d ms): restart %d ms, first"
                + " store answer %d ms after it, fungible admitted %d of bound %d over %.2f s, degraded %d, failed"
                + " during outage %d (denied locally %d), failed outside it %d, reservations failed %d degraded %d,"
                + " slowest outage decision %d ms, held reservations kept: %d more of cap %d%n",
            mode, THREADS, PHASE_SECONDS, CALL_TIMEOUT.toMillis(), (restartedAt.get() - restartBegan) / 1_000_000,
            (firstOkAfterRestart.get() - restartedAt.get()) / 1_000_000, admitted.sum(), bound, elapsed,
            degraded.sum(), failedDuringOutage.sum(), deniedDuringOutage.sum(), failedOtherwise.sum(),
            reservationsFailed.sum(), reservationsDegraded.sum(), slowestOutageDecision.get() / 1_000_000, more,
            CAP);
      }
    }
  }
}
