package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.testing.dynamodb.Fault;
import io.github.ratelimiter.testing.dynamodb.FaultProxy;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A slow but healthy store (every request answered, after a delay from a {@link FaultProxy}) and the decision
 * timeout: however many requests a decision needs and however many threads queue on one bucket or one account's
 * slots, every decision ends within the one timeout (plus a margin for a loaded machine), and the limits stay
 * exact. Each scenario runs twice: with a decision timeout far above its latencies, to show that decisions there do
 * take longer than the timeout (so the bound below is not met by accident), then with the timeout.
 */
class SlowStoreDeadlineTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  /** Room for a loaded machine: the SDK's timer, thread scheduling, the answer in flight. */
  private static final Duration MARGIN = Duration.ofMillis(500);
  private static final int THREADS = 8;

  /** What one run saw. */
  private record Run(long slowestNanos, long admitted, long failed) {
    Duration slowest() {
      return Duration.ofNanos(slowestNanos);
    }
  }

  @Test
  void fungibleDecisionsOnOneBucketEndWithinTheTimeoutAlthoughEachRequestIsSlow() throws Exception {
    // near exhaustion the threads queue behind one another's UpdateItem; each then needs one of its own (or two).
    // Where a failed condition returns the stored item (moto, DynamoDB) a wrong guess costs no second request, and
    // the threads' updates overlap at the proxy: one request must then outlast the timeout by itself.
    Duration latency = Duration.ofMillis(LocalDynamoDb.serverReturnsItemOnConditionFailure() ? 1200 : 600);
    Run unbounded = fungibleRun(latency, Duration.ofSeconds(20));
    Run bounded = fungibleRun(latency, TIMEOUT);
    System.out.printf("slow store, %d ms per UpdateItem, %d threads on one bucket: slowest decision %d ms without"
            + " a decision timeout, %d ms with %d ms (%d admitted, %d failed at the deadline)%n", latency.toMillis(),
        THREADS, unbounded.slowest().toMillis(), bounded.slowest().toMillis(), TIMEOUT.toMillis(), bounded.admitted(),
        bounded.failed());
    assertWithinOneTimeout(unbounded, bounded);
    assertThat(bounded.failed()).as("decisions that ran out of time").isPositive();
  }

  /** The scenario takes longer than the timeout without it (else the bound proves nothing), and not with it. */
  private static void assertWithinOneTimeout(Run unbounded, Run bounded) {
    assertThat(unbounded.slowest()).as("the scenario needs more than one timeout without the bound")
        .isGreaterThan(TIMEOUT);
    assertThat(bounded.slowest()).isLessThan(TIMEOUT.plus(MARGIN));
  }

  private Run fungibleRun(Duration latency, Duration decisionTimeout) throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    Limit limit = Limit.of(4, Duration.ofSeconds(1));
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint());
        RateLimiters limiters = limiters(proxy, tables, decisionTimeout)) {
      FungibleLimiter limiter = limiters.fungible("slow", limit,
          LimiterOptions.builder().failureMode(FailureMode.FAIL_CLOSED).build());
      assertThat(limiter.tryAcquire("acct").allowed()).isTrue(); // limits read and bucket written, at full speed
      proxy.inject(Fault.latency(latency).forOperations("UpdateItem", "GetItem"));
      long started = System.nanoTime();
      Run run = race(() -> limiter.tryAcquire("acct").allowed());
      double elapsed = (System.nanoTime() - started) / 1e9;
      // one before the race, the rest within it: never more than the bucket's bound
      assertThat(run.admitted() + 1).isLessThanOrEqualTo(limit.limit() + (long) Math.floor(elapsed * limit.limit()));
      return run;
    }
  }

  @Test
  void reservationsQueuedOnOneAccountEndWithinTheTimeoutAndTheCapHolds() throws Exception {
    Duration latency = Duration.ofMillis(400);
    // each reservation is a Query and a PutItem (800 ms); threads that find every free slot being claimed by another
    // thread wait for those claims, then query again
    Run unbounded = reservationRun(latency, Duration.ofSeconds(20));
    Run bounded = reservationRun(latency, TIMEOUT);
    System.out.printf("slow store, %d ms per Query and PutItem, %d threads on one account (cap 2): slowest"
            + " reservation %d ms without a decision timeout, %d ms with %d ms (%d granted, %d failed at the"
            + " deadline)%n", latency.toMillis(), THREADS, unbounded.slowest().toMillis(), bounded.slowest().toMillis(),
        TIMEOUT.toMillis(), bounded.admitted(), bounded.failed());
    assertWithinOneTimeout(unbounded, bounded);
  }

  private Run reservationRun(Duration latency, Duration decisionTimeout) throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    long cap = 2;
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint());
        RateLimiters limiters = limiters(proxy, tables, decisionTimeout)) {
      NonFungibleLimiter limiter = limiters.nonFungible("slow-slots", cap);
      assertThat(limiter.limitFor("acct")).isEqualTo(cap); // limits read at full speed
      proxy.inject(Fault.latency(latency).forOperations("Query", "PutItem"));
      List<Reservation> held = Collections.synchronizedList(new ArrayList<>());
      Run run = race(() -> {
        Optional<Reservation> reservation = limiter.tryReserve("acct");
        reservation.ifPresent(held::add);
        return reservation.isPresent();
      });
      assertThat(run.admitted()).as("live reservations").isLessThanOrEqualTo(cap);
      proxy.clearFaults();
      held.forEach(Reservation::delete);
      return run;
    }
  }

  @Test
  void theDefaultDecisionTimeoutIsTheClientsCallTimeoutElseOneSecond() {
    TableNames names = TableNames.of("unused");
    try (DynamoDbClient own = DynamoDbClients.builder().endpoint(DYNAMO.endpoint()).callTimeout(Duration.ofMillis(700))
            .build();
        DynamoDbClient bare = DynamoDbClient.builder().endpointOverride(DYNAMO.endpoint()).region(Region.US_EAST_1)
            .credentialsProvider(AnonymousCredentialsProvider.create()).build()) {
      assertThat(DynamoDbStore.builder().client(own).tableNames(names).build().decisionTimeout())
          .contains(Duration.ofMillis(700));
      assertThat(DynamoDbStore.builder().client(bare).tableNames(names).build().decisionTimeout())
          .contains(DynamoDbClients.DEFAULT_CALL_TIMEOUT);
    }
  }

  private static RateLimiters limiters(FaultProxy proxy, DynamoDbTestTables tables, Duration decisionTimeout) {
    return RateLimiters.builder()
        .store(DynamoDbStore.builder().client(LocalDynamoDb.testClientBuilder(proxy.endpoint())
            .attemptTimeout(Duration.ofSeconds(20)).callTimeout(Duration.ofSeconds(20)).build())
            .ownsClient(true).tableNames(tables.names).build())
        .decisionTimeout(decisionTimeout)
        .build();
  }

  /** One decision on each of {@link #THREADS} threads, released at once. */
  private static Run race(Callable<Boolean> decision) throws Exception {
    AtomicLong slowest = new AtomicLong();
    LongAdder admitted = new LongAdder();
    LongAdder failed = new LongAdder();
    AtOnce.run(THREADS, () -> {
      long start = System.nanoTime();
      try {
        if (decision.call()) {
          admitted.increment();
        }
      } catch (RateLimiterException e) {
        failed.increment();
      }
      slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
    });
    return new Run(slowest.get(), admitted.sum(), failed.sum());
  }
}
