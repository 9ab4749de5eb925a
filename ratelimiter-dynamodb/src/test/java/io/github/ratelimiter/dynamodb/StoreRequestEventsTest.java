package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.CONDITION_FAILED;
import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.ERROR;
import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.OK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import io.github.ratelimiter.testing.RecordingListener;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The DynamoDB store reports each request it sends (each HTTP attempt) to the listener, with its outcome, through a
 * client built without anything of ours; and {@link RateLimiters#check()} says whether the store answers.
 */
class StoreRequestEventsTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private final ManualClock clock = ManualClock.create();
  private final RecordingListener heard = new RecordingListener();

  @Test
  void everyRequestIsHeardWithItsOutcomeAndMatchesWhatTheClientSent() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    RequestCounter sent = new RequestCounter();
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openStore(sent)).clock(clock).listener(heard)
            .build();
        RateLimiters cold = RateLimiters.builder().store(tables.openStore(sent)).clock(clock).listener(heard)
            .build()) {
      FungibleLimiter api = limiters.fungible("api", Limit.of(2, Duration.ofSeconds(1)));
      api.tryAcquire("acct"); // Query (limits), UpdateItem (idle: no row)
      api.tryAcquire("acct"); // UpdateItem (busy)
      api.tryAcquire("acct"); // denied from the tat this instance saw: nothing sent
      // another instance, which has not seen the bucket: Query (limits), both updates' conditions fail, GetItem
      assertThat(cold.fungible("api", Limit.of(2, Duration.ofSeconds(1))).tryAcquire("acct").denied()).isTrue();
      NonFungibleLimiter clusters = limiters.nonFungible("clusters", 1);
      Reservation reservation = clusters.reserve("acct"); // Query (limits), Query (slots), PutItem
      reservation.createToken("c-1").release(); // PutItem, DeleteItem
      assertThat(heard.snapshot()).containsAllEntriesOf(Map.of(
          "store Query OK", 4L,
          "store UpdateItem OK", 2L,
          "store UpdateItem CONDITION_FAILED", 2L,
          "store GetItem OK", 1L,
          "store PutItem OK", 2L,
          "store DeleteItem OK", 1L));
      long heardRequests = heard.snapshot().entrySet().stream().filter(e -> e.getKey().startsWith("store "))
          .mapToLong(Map.Entry::getValue).sum();
      assertThat(heardRequests).isEqualTo(sent.total()).isEqualTo(12);
      assertThat(heard.snapshot()).containsAllEntriesOf(Map.of(
          "decision api FUNGIBLE ALLOWED store", 2L,
          "decision api FUNGIBLE DENIED local", 1L,
          "decision api FUNGIBLE DENIED store", 1L,
          "decision clusters NON_FUNGIBLE ALLOWED store", 1L,
          "refresh api ok", 2L,
          "refresh clusters ok", 1L));
    }
  }

  @Test
  void everyAttemptOfARetriedCallIsHeard() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openUnreachableStore(3)).clock(clock)
        .listener(heard).build()) {
      assertThatThrownBy(() -> limiters.fungible("api", Limit.of(2, Duration.ofSeconds(1))).tryAcquire("acct"))
          .isExactlyInstanceOf(RateLimiterException.class)
          .hasMessageContaining("Connection refused");
      assertThat(heard.storeRequests("Query", ERROR)).isEqualTo(3);
      assertThat(heard.storeRequests("Query", OK) + heard.storeRequests("Query", CONDITION_FAILED)).isZero();
      assertThat(heard.limitRefreshes("api", false)).isEqualTo(1);
    }
  }

  @Test
  void noListenerMeansRequestsCarryNothingOfOurs() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (DynamoDbStore store = tables.openStore()) {
      assertThat(store.withListener(heard)).isNotSameAs(store);
      try (RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).build()) {
        limiters.fungible("api", Limit.of(2, Duration.ofSeconds(1))).tryAcquire("acct");
      }
      assertThat(heard.snapshot()).isEmpty();
    }
  }

  @Test
  void theHealthCheckSaysTheTablesExistAndAreTheLibrarys() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openStore()).build()) {
      StoreHealth health = limiters.check();
      assertThat(health.healthy()).isTrue();
      assertThat(health.checks()).extracting(StoreHealth.Check::name)
          .containsExactly("fungible table", "limit table", "non-fungible table");
      assertThat(health.details().get("fungible table"))
          .isEqualTo("ok: '" + tables.names.fungibleTable() + "' ACTIVE, key (resourceName HASH, accountId RANGE)");
    }
  }

  @Test
  void theHealthCheckNamesAMissingTableAndAnUnreachableStoreWithoutThrowing() {
    TableNames missing = TableNames.of(LocalDynamoDb.uniqueName("missing"));
    try (DynamoDbClient client = DYNAMO.newClient();
        RateLimiters limiters = RateLimiters.builder()
            .store(DynamoDbStore.builder().client(client).tableNames(missing).build()).build()) {
      StoreHealth health = limiters.check();
      assertThat(health.healthy()).isFalse();
      assertThat(health.details().get("limit table"))
          .startsWith("FAILED: '" + missing.limitTable() + "' does not exist");
    }
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openUnreachableStore(1)).build()) {
      StoreHealth health = limiters.check();
      assertThat(health.healthy()).isFalse();
      assertThat(health.checks()).allSatisfy(check -> assertThat(check.detail()).contains("Connection refused"));
    }
  }
}
