package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.CONDITION_FAILED;
import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.ERROR;
import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.OK;
import static io.github.ratelimiter.RateLimiterListener.StoreOutcome.THROTTLED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import io.github.ratelimiter.testing.RecordingListener;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;
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
      // another instance, which has not seen the bucket: Query (limits), the idle update's condition fails; where the
      // server returns the stored item (moto, DynamoDB) that settles the denial, else (dynalite) the busy update's
      // condition fails too and a GetItem reads the tat
      assertThat(cold.fungible("api", Limit.of(2, Duration.ofSeconds(1))).tryAcquire("acct").denied()).isTrue();
      NonFungibleLimiter clusters = limiters.nonFungible("clusters", 1);
      Reservation reservation = clusters.reserve("acct"); // Query (limits), Query (slots), PutItem
      reservation.createToken("c-1").release(); // PutItem, DeleteItem
      boolean itemReturned = LocalDynamoDb.serverReturnsItemOnConditionFailure();
      assertThat(heard.snapshot()).containsAllEntriesOf(Map.of(
          "store Query OK", 4L,
          "store UpdateItem OK", 2L,
          "store UpdateItem CONDITION_FAILED", itemReturned ? 1L : 2L,
          "store PutItem OK", 2L,
          "store DeleteItem OK", 1L));
      assertThat(heard.snapshot().getOrDefault("store GetItem OK", 0L)).isEqualTo(itemReturned ? 0L : 1L);
      long heardRequests = heard.snapshot().entrySet().stream().filter(e -> e.getKey().startsWith("store "))
          .mapToLong(Map.Entry::getValue).sum();
      assertThat(heardRequests).isEqualTo(sent.total()).isEqualTo(itemReturned ? 10 : 12);
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

  /**
   * A client whose first {@code n} Query responses are replaced by DynamoDB's throttling answer (the requests reach
   * the server; only reads are throttled here, so nothing is applied twice).
   */
  private static final class ThrottleQueries implements ExecutionInterceptor {
    private static final ExecutionAttribute<Boolean> THROTTLED = new ExecutionAttribute<>("throttled");
    private final AtomicInteger left;

    ThrottleQueries(int n) {
      this.left = new AtomicInteger(n);
    }

    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
      boolean throttle = "Query".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))
          && left.getAndDecrement() > 0;
      attributes.putAttribute(THROTTLED, throttle);
      return throttle ? context.httpResponse().toBuilder().statusCode(400).build() : context.httpResponse();
    }

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
        ExecutionAttributes attributes) {
      if (Boolean.TRUE.equals(attributes.getAttribute(THROTTLED))) {
        return Optional.of(new ByteArrayInputStream(("{\"__type\":\"com.amazonaws.dynamodb.v20120810"
            + "#ProvisionedThroughputExceededException\",\"message\":\"throttled by the test\"}")
            .getBytes(StandardCharsets.UTF_8)));
      }
      return context.responseBody();
    }
  }

  @Test
  void everyThrottledAttemptIsHeardAndTheRetriedCallSucceeds() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openStore(new ThrottleQueries(2))).clock(clock)
        .listener(heard).build()) {
      assertThat(limiters.fungible("api", Limit.of(2, Duration.ofSeconds(1))).tryAcquire("acct").allowed()).isTrue();
      assertThat(heard.storeRequests("Query", THROTTLED)).isEqualTo(2);
      assertThat(heard.storeRequests("Query", OK)).isEqualTo(1);
      assertThat(heard.limitRefreshes("api", true)).isEqualTo(1);
    }
    RecordingListener alwaysThrottled = new RecordingListener();
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openStore(new ThrottleQueries(100)))
        .clock(clock).listener(alwaysThrottled).build()) {
      assertThatThrownBy(() -> limiters.fungible("api", Limit.of(2, Duration.ofSeconds(1))).tryAcquire("acct"))
          .isInstanceOf(ThrottlingException.class);
      // every attempt the client made, the last one included, is heard as throttled
      assertThat(alwaysThrottled.storeRequests("Query", THROTTLED)).isEqualTo(DynamoDbClients.DEFAULT_MAX_ATTEMPTS);
      assertThat(alwaysThrottled.storeRequests("Query", OK)).isZero();
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
