package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.AsyncNonFungibleLimiter;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A killed store (dynalite, SIGKILL) under 512 decisions in flight through the non-blocking views, from two threads
 * (fungible decisions, and reservations of a non-fungible limiter): every future completes within the decision
 * timeout plus 100 ms, exceptionally with the library's exception (fail-closed) or with a degraded answer
 * (fail-open), never hanging and never with an SDK exception.
 */
class AsyncStoreKilledTest {

  private static final Duration DECISION_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration MARGIN = Duration.ofMillis(100);

  @ParameterizedTest
  @EnumSource(FailureMode.class)
  void everyFutureCompletesWithinTheDecisionTimeoutWhenTheStoreIsKilled(FailureMode mode) throws Exception {
    try (LocalDynamoDbServer server = LocalDynamoDb.serverBuilder().start()) {
      TableNames tables = TableNames.of(LocalDynamoDb.uniqueName("killed-async"));
      try (DynamoDbClient admin = LocalDynamoDb.client(server.endpoint())) {
        DynamoDbTables.createIfMissing(admin, tables);
      }
      // the library's clients with the production timeouts: 200 ms per attempt, 1 s per call
      DynamoDbClients.Builder clients = DynamoDbClients.builder().endpoint(server.endpoint());
      try (RateLimiters limiters = RateLimiters.builder()
          .store(DynamoDbStore.builder().client(clients.build()).asyncClient(clients.buildAsync()).ownsClient(true)
              .tableNames(tables).build())
          .failureMode(mode).decisionTimeout(DECISION_TIMEOUT).build()) {
        AsyncFungibleLimiter fungible = limiters.fungible("killed", Limit.of(1_000, Duration.ofSeconds(1))).async();
        AsyncNonFungibleLimiter clusters = limiters.nonFungible("killed-clusters", 1_000).async();
        assertThat(fungible.tryAcquire("warm-up").get(30, TimeUnit.SECONDS).allowed()).isTrue();
        assertThat(clusters.tryReserve("warm-up").get(30, TimeUnit.SECONDS)).isPresent();
        server.kill();

        int inFlight = 512;
        List<CompletableFuture<?>> futures = new ArrayList<>();
        AtomicLong slowest = new AtomicLong();
        LongAdder failed = new LongAdder();
        LongAdder degraded = new LongAdder();
        LongAdder unexpected = new LongAdder();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> issuers = new ArrayList<>();
        List<List<CompletableFuture<?>>> issued = List.of(new ArrayList<>(), new ArrayList<>());
        for (int t = 0; t < 2; t++) {
          List<CompletableFuture<?>> mine = issued.get(t);
          Thread issuer = new Thread(() -> {
            try {
              start.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            for (int i = 0; i < inFlight / 2; i++) {
              long sent = System.nanoTime();
              CompletableFuture<?> future = i % 4 == 0
                  ? clusters.tryReserve("acct-" + i) // a Query, then a PutItem
                  : fungible.tryAcquire("acct-" + i);
              mine.add(future.whenComplete((answer, failure) -> {
                slowest.accumulateAndGet(System.nanoTime() - sent, Math::max);
                Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                if (cause instanceof RateLimiterException) {
                  failed.increment();
                } else if (cause != null) {
                  unexpected.increment();
                } else if (answer instanceof Decision decision && decision.degraded()) {
                  degraded.increment();
                } else if (answer instanceof Optional<?> reservation && reservation.isPresent()
                    && ((Reservation) reservation.get()).degraded()) {
                  degraded.increment();
                } else {
                  unexpected.increment();
                }
              }));
            }
          });
          issuer.start();
          issuers.add(issuer);
        }
        start.countDown();
        for (Thread issuer : issuers) {
          issuer.join();
        }
        issued.forEach(futures::addAll);
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
            .get(DECISION_TIMEOUT.plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS);

        assertThat(futures).hasSize(inFlight).allMatch(CompletableFuture::isDone);
        assertThat(unexpected.sum()).as("answers that are neither the library's failure nor degraded").isZero();
        if (mode == FailureMode.FAIL_CLOSED) {
          assertThat(failed.sum()).isEqualTo(inFlight);
        } else {
          assertThat(degraded.sum()).isEqualTo(inFlight);
        }
        assertThat(Duration.ofNanos(slowest.get())).as("the slowest future")
            .isLessThanOrEqualTo(DECISION_TIMEOUT.plus(MARGIN));
        System.out.printf("store killed, async (%s): %d futures, %d failed, %d degraded, slowest %d ms%n", mode,
            inFlight, failed.sum(), degraded.sum(), slowest.get() / 1_000_000);
      }
    }
  }
}
