package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.Token;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** What each decision costs in DynamoDB requests, counted by an SDK interceptor on the client. */
class RequestCountTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private final ManualClock clock = ManualClock.create();
  private final RequestCounter requests = new RequestCounter();
  private RateLimiters limiters;
  private DynamoDbTestTables tables;

  @BeforeEach
  void open() {
    tables = new DynamoDbTestTables(DYNAMO);
    limiters = RateLimiters.builder().store(tables.openStore(requests)).clock(clock).build();
  }

  @AfterEach
  void close() {
    limiters.close();
  }

  @Test
  void aQuotaOfThreeLimitsCostsOneUpdatePerAdmissionAndNothingPerDenialWhileExhausted() {
    FungibleLimiter limiter = limiters.fungible("api", Quota.of(Limit.of(20, Duration.ofSeconds(1)),
        Limit.of(100, Duration.ofSeconds(10)), Limit.of(300, Duration.ofMinutes(1))));
    limiter.acquire("acct"); // first call also reads the resource's limit rows (then cached)
    requests.reset();
    for (int i = 0; i < 100; i++) {
      clock.advance(Duration.ofMillis(50)); // one per emission interval of the 1 s limit: 20/s, within the others
      assertThat(limiter.tryAcquire("acct").allowed()).as("request %d", i).isTrue();
    }
    assertThat(requests.snapshot()).as("one UpdateItem per admission, one thread")
        .isEqualTo(Map.of("UpdateItem", 100L));
    while (limiter.tryAcquire("acct").allowed()) {
      // take what the 1 s limit still holds at this instant; the denial that ends this learns the state
    }
    requests.reset();
    long denied = 0;
    for (int i = 0; i < 1_000; i++) {
      if (!limiter.tryAcquire("acct").allowed()) {
        denied++;
      }
    }
    assertThat(denied).as("an exhausted quota at one instant").isEqualTo(1_000);
    assertThat(requests.snapshot()).as("denials of a quota known to be exhausted are local").isEmpty();
  }

  @Test
  void aReserveAndSettleCycleCostsOneRequestAtTheEstimateAndTwoOtherwise() {
    Quota llm = Quota.builder()
        .limit("requests", Limit.of(1_000, Duration.ofSeconds(1)))
        .limit("tokens", Limit.of(100_000, Duration.ofSeconds(1)))
        .build();
    for (FungibleLimiter limiter : List.of(limiters.fungible("one", Limit.of(100_000, Duration.ofSeconds(1))),
        limiters.fungible("quota", llm))) {
      String limitName = limiter.quotaFor("acct").size() == 1 ? limiter.quotaFor("acct").names().get(0) : "tokens";
      Cost estimate = Cost.of(Map.of(limitName, 100L));
      limiter.charge("acct", Cost.of(limitName, 1)); // the limit rows are read once, then cached
      requests.reset();
      int cycles = 100;
      for (int i = 0; i < cycles; i++) {
        clock.advance(Duration.ofMillis(1));
        try (Charge charge = limiter.tryReserve("acct", estimate)) {
          assertThat(charge.decision().allowed()).isTrue();
          charge.settle(estimate);
        }
      }
      assertThat((double) requests.total() / cycles).as("%s: actual == estimate", limiter.resourceName())
          .isEqualTo(1.00);
      requests.reset();
      for (int i = 0; i < cycles; i++) {
        clock.advance(Duration.ofMillis(1));
        try (Charge charge = limiter.tryReserve("acct", estimate)) {
          assertThat(charge.decision().allowed()).isTrue();
          charge.settle(Cost.of(limitName, i % 2 == 0 ? 40 : 160)); // below, then above
        }
      }
      assertThat((double) requests.total() / cycles).as("%s: actual != estimate", limiter.resourceName())
          .isEqualTo(2.00);
      requests.reset();
      for (int i = 0; i < cycles; i++) {
        clock.advance(Duration.ofMillis(1));
        limiter.tryReserve("acct", estimate).cancel();
        limiter.tryReserve("acct", estimate).close();
        limiter.charge("acct", estimate);
      }
      assertThat(requests.snapshot()).as("%s: reserve+cancel 2, reserve+close 1, charge 1",
          limiter.resourceName()).isEqualTo(Map.of("UpdateItem", 4L * cycles));
    }
  }

  @Test
  void aDecisionAcrossTwoKeysCostsOneUpdatePerKeyWhenAdmittedAndARefundWhenTheSecondDenies() {
    FungibleLimiter tenants = limiters.fungible("tenant", Limit.of(100, Duration.ofSeconds(1)));
    FungibleLimiter budget = limiters.fungible("upstream", Limit.of(3, Duration.ofSeconds(1)));
    limiters.tryAcquireAll(List.of(tenants.ask("t0"), budget.ask("all"))); // reads both resources' limit rows
    requests.reset();
    for (int i = 1; i <= 2; i++) {
      assertThat(limiters.tryAcquireAll(List.of(tenants.ask("t" + i), budget.ask("all"))).allowed()).isTrue();
    }
    assertThat(requests.snapshot()).as("two admitted decisions across two keys").isEqualTo(Map.of("UpdateItem", 4L));
    requests.reset();
    assertThat(limiters.tryAcquireAll(List.of(tenants.ask("t3"), budget.ask("all"))).denied()).isTrue();
    // the tenant's charge, the budget's denial learnt from its seen tat (no request), the tenant's refund
    assertThat(requests.snapshot()).isEqualTo(Map.of("UpdateItem", 2L));
  }

  @Test
  void steadyStateAdmissionsCostExactlyOneUpdateEach() {
    FungibleLimiter limiter = limiters.fungible("api", Limit.of(100, Duration.ofSeconds(1)));
    limiter.acquire("acct"); // first call also reads the resource's limit rows (then cached)
    assertThat(requests.snapshot()).isEqualTo(Map.of("Query", 1L, "UpdateItem", 1L));
    requests.reset();
    for (int i = 0; i < 50; i++) {
      assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    }
    clock.advance(Duration.ofSeconds(5)); // idle bucket: the other update case
    for (int i = 0; i < 50; i++) {
      assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
      clock.advance(Duration.ofMillis(3));
    }
    assertThat(requests.snapshot()).isEqualTo(Map.of("UpdateItem", 101L - 1L));
  }

  @Test
  void denialsOnAnExhaustedBucketCostAtMostTwoThenNothing() {
    FungibleLimiter limiter = limiters.fungible("api", Limit.of(10, Duration.ofSeconds(1)));
    limiter.acquire("acct", 10);
    requests.reset();
    Decision first = limiter.tryAcquire("acct");
    assertThat(first.allowed()).isFalse();
    assertThat(requests.total()).isLessThanOrEqualTo(2);
    requests.reset();
    int denials = 0;
    for (int i = 0; i < 1000; i++) {
      clock.advance(Duration.ofNanos(50_000)); // 50 ms in all: still exhausted
      if (limiter.tryAcquire("acct").denied()) {
        denials++;
      }
    }
    assertThat(denials).isEqualTo(1000);
    assertThat(requests.total()).isZero();
    clock.advance(Duration.ofMillis(50));
    assertThat(limiter.tryAcquire("acct").allowed()).isTrue();
    assertThat(requests.total()).isEqualTo(1);
  }

  /**
   * Asking {@link RateLimiters} for the limiter on every request, as handlers naturally do, gets the same limiter
   * each time, with what it last saw of the bucket: denials on an exhausted bucket stay free.
   */
  @Test
  void perCallLimiterLookupsKeepDenialsFree() {
    Limit limit = Limit.of(10, Duration.ofSeconds(1));
    for (int i = 0; i < 10; i++) {
      assertThat(limiters.fungible("api", limit).tryAcquire("acct").allowed()).isTrue();
    }
    assertThat(limiters.fungible("api", limit).tryAcquire("acct").allowed()).isFalse();
    requests.reset();
    int denials = 0;
    for (int i = 0; i < 1000; i++) {
      clock.advance(Duration.ofNanos(50_000)); // 50 ms in all: still exhausted
      if (limiters.fungible("api", limit).tryAcquire("acct").denied()) {
        denials++;
      }
    }
    assertThat(denials).isEqualTo(1000);
    assertThat(requests.total()).as("store requests for 1000 denials").isZero();
  }

  /**
   * The cold instance guesses idle and the condition fails. Where the failed write returns the stored item (moto,
   * DynamoDB) that item settles the denial: one request. Where it does not (dynalite), the busy update and a read
   * follow: at most three.
   */
  @Test
  void aSecondInstanceThatHasNotSeenTheBucketPaysOneRequestForItsFirstDenialWhereTheItemIsReturnedElseThree() {
    FungibleLimiter limiter = limiters.fungible("api", Limit.of(10, Duration.ofSeconds(1)));
    limiter.acquire("acct", 10);
    RequestCounter other = new RequestCounter();
    try (RateLimiters second = RateLimiters.builder().store(DynamoDbStore.builder()
        .client(DYNAMO.newClient(other)).ownsClient(true)
        .tableNames(((DynamoDbStore) limiters.store()).tableNames()).build()).clock(clock).build()) {
      FungibleLimiter cold = second.fungible("api", Limit.of(10, Duration.ofSeconds(1)));
      cold.limitFor("acct");
      other.reset();
      Decision denied = cold.tryAcquire("acct");
      assertThat(denied.allowed()).isFalse();
      assertThat(denied.retryAfter()).isEqualTo(Duration.ofMillis(100));
      if (LocalDynamoDb.serverReturnsItemOnConditionFailure()) {
        assertThat(other.snapshot()).isEqualTo(Map.of("UpdateItem", 1L));
      } else {
        assertThat(other.total()).isLessThanOrEqualTo(3);
      }
      other.reset();
      assertThat(cold.tryAcquire("acct").allowed()).isFalse();
      assertThat(other.total()).isZero();
    }
  }

  /**
   * Eight threads of one process ask together each time one permit refills: one asks the store, the others wait for
   * its answer and are denied locally, instead of eight conditional writes of which seven fail.
   */
  @Test
  void threadsRacingForTheLastPermitSendOneWriteBetweenThem() throws Exception {
    FungibleLimiter limiter = limiters.fungible("api", Limit.of(10, Duration.ofSeconds(1)));
    limiter.acquire("acct", 10);
    requests.reset();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    int steps = 20;
    long admitted = 0;
    try {
      for (int step = 0; step < steps; step++) {
        clock.advance(Duration.ofMillis(100));
        CountDownLatch gate = new CountDownLatch(1);
        List<Future<Boolean>> asks = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          asks.add(pool.submit(() -> {
            gate.await();
            return limiter.tryAcquire("acct").allowed();
          }));
        }
        gate.countDown();
        for (Future<Boolean> ask : asks) {
          admitted += ask.get() ? 1 : 0;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(admitted).isEqualTo(steps);
    assertThat(requests.snapshot()).isEqualTo(Map.of("UpdateItem", (long) steps));
  }

  @Test
  void aResourcesLimitRowsAreReadOncePerCacheLifetimeWhateverTheNumberOfAccounts() {
    limiters.store().limits().put(new LimitRecord("api", "a", 5, Duration.ofSeconds(1), null));
    FungibleLimiter limiter = limiters.fungible("api", Limit.of(100, Duration.ofSeconds(1)));
    requests.reset();
    for (int i = 0; i < 6; i++) {
      assertThat(limiter.tryAcquire("a").allowed()).isEqualTo(i < 5);
    }
    for (int account = 0; account < 200; account++) {
      assertThat(limiter.tryAcquire("quiet-" + account).limit().limit()).isEqualTo(100);
    }
    assertThat(requests.snapshot()).isEqualTo(Map.of("Query", 1L, "UpdateItem", 206L - 1L));
    clock.advance(Duration.ofSeconds(30));
    limiter.tryAcquire("a");
    limiter.tryAcquire("quiet-0");
    assertThat(requests.count("Query")).isEqualTo(2);
    assertThat(requests.count("GetItem")).isZero();
  }

  @Test
  void anUncontendedReservationCostsTwoRequests() {
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 5);
    clusters.limitFor("acct");
    requests.reset();
    for (int i = 0; i < 5; i++) {
      clusters.reserve("acct").createToken("j-" + i);
    }
    assertThat(requests.snapshot()).isEqualTo(Map.of("Query", 5L, "PutItem", 10L));
    requests.reset();
    assertThat(clusters.tryReserve("acct")).isEmpty();
    assertThat(requests.snapshot()).isEqualTo(Map.of("Query", 1L));
  }

  /**
   * Churn, as in the bench scenario {@code nonfungible-churn-8}: release the oldest token, reserve, create a token.
   * Right after this process freed a slot the reservation claims it without a query, so an attempt costs 3 requests
   * (the raw floor's count); a look older than a second costs one query more, once. Where the account's rows include
   * a Python one, every reservation queries first: 4.
   */
  @Test
  void churnCostsThreeRequestsPerAttemptAndQueriesWherePythonRowsLive() {
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 4);
    Deque<Token> held = new ArrayDeque<>();
    for (int i = 0; i < 4; i++) {
      held.add(clusters.reserve("acct").createToken("j-" + i));
    }
    requests.reset();
    int attempts = 50;
    for (int i = 0; i < attempts; i++) {
      assertThat(held.poll().release()).isTrue();
      held.add(clusters.reserve("acct").createToken("k-" + i));
      if (i == attempts / 2) {
        clock.advance(Duration.ofSeconds(2)); // the last look goes stale once
      }
    }
    assertThat(requests.snapshot()).isEqualTo(Map.of("DeleteItem", 50L, "PutItem", 100L, "Query", 1L));
    assertThat((double) requests.total() / attempts).isLessThanOrEqualTo(3.2);
    assertThat(clusters.activeTokens("acct")).hasSize(4);
    assertThat(clusters.tryReserve("acct")).as("the cap still holds").isEmpty();

    try (DynamoDbClient raw = DYNAMO.newClient()) {
      String id = UUID.randomUUID().toString();
      raw.putItem(b -> b.tableName(tables.names.nonFungibleTable()).item(Map.of(
          "resourceCoordinate", AttributeValue.fromS("cluster:mixed"), "reservationId", AttributeValue.fromS(id),
          "resourceName", AttributeValue.fromS("cluster"), "accountId", AttributeValue.fromS("mixed"),
          "resourceId", AttributeValue.fromS(id),
          "expirationTime", AttributeValue.fromN(Long.toString(clock.instant().getEpochSecond() + 300)))));
    }
    held.clear();
    for (int i = 0; i < 3; i++) {
      held.add(clusters.reserve("mixed").createToken("m-" + i));
    }
    assertThat(clusters.tryReserve("mixed")).as("3 Java tokens and 1 Python row under a cap of 4").isEmpty();
    requests.reset();
    for (int i = 0; i < 10; i++) {
      held.poll().release();
      held.add(clusters.reserve("mixed").createToken("n-" + i));
    }
    assertThat(requests.snapshot()).isEqualTo(Map.of("DeleteItem", 10L, "PutItem", 20L, "Query", 10L));
  }

  /**
   * Eight threads of one process ask together each time one slot is free: one writes, the others wait for its claim
   * and see the slot taken when they look again, instead of eight conditional writes of which seven fail.
   */
  @Test
  void threadsOfOneProcessRacingForTheLastSlotSendOneWriteBetweenThem() throws Exception {
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 3);
    clusters.reserve("acct"); // two of the three slots stay held
    clusters.reserve("acct");
    requests.reset();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    int rounds = 10;
    try {
      for (int round = 0; round < rounds; round++) {
        CountDownLatch gate = new CountDownLatch(1);
        List<Future<Optional<Reservation>>> asks = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          asks.add(pool.submit(() -> {
            gate.await();
            return clusters.tryReserve("acct");
          }));
        }
        gate.countDown();
        List<Reservation> granted = new ArrayList<>();
        for (Future<Optional<Reservation>> ask : asks) {
          ask.get().ifPresent(granted::add);
        }
        assertThat(granted).as("granted in round %d", round).hasSize(1);
        granted.get(0).delete();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(requests.count("PutItem")).isEqualTo(rounds);
    assertThat(requests.count("DeleteItem")).isEqualTo(rounds);
  }
}
