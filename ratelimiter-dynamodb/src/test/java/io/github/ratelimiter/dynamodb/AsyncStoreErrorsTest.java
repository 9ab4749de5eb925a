package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.store.BucketStore.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.Lane;
import io.github.ratelimiter.store.BucketStore.QuotaRequest;
import io.github.ratelimiter.store.BucketStore.Refund;
import io.github.ratelimiter.store.BucketStore.RefundRequest;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.testing.dynamodb.Fault;
import io.github.ratelimiter.testing.dynamodb.FaultProxy;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The {@code Async} twins fail as the blocking calls throw: a {@link RateLimiterException} (throttling a
 * {@link ThrottlingException}) as the future's failure itself, its SDK exception the cause, never a raw SDK exception
 * nor a {@link CompletionException} around the library's; and after the decision's deadline nothing is sent.
 */
class AsyncStoreErrorsTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final long NOW = 1_800_000_000L * 1_000_000_000L;
  private static final long T = 1_000_000_000L;

  /** Every asynchronous call of the store, by name, within {@code deadline} where it takes one. */
  private static Map<String, Function<RateLimitStore, CompletableFuture<?>>> everyAsyncCall(Deadline deadline) {
    SlotRecord row = SlotRecord.slot("clusters", "acct", 0, "holder", "r-1", NOW / T + 60);
    Map<String, Function<RateLimitStore, CompletableFuture<?>>> calls = new LinkedHashMap<>();
    calls.put("consumeAsync", s -> s.buckets().consumeAsync(
        new BucketRequest("api", "acct", NOW, T, 10 * T, UNKNOWN, deadline)));
    calls.put("consumeAsync(quota)", s -> s.buckets().consumeAsync(new QuotaRequest("api", "acct", NOW,
        List.of(new Lane("a", T, 10 * T, UNKNOWN), new Lane("b", T, 10 * T, UNKNOWN)), deadline)));
    calls.put("refundAsync", s -> s.buckets().refundAsync(
        new RefundRequest("api", "acct", List.of(new Refund("a", T, NOW)), deadline)));
    calls.put("findAsync", s -> s.limits().findAsync("api", "acct", deadline));
    calls.put("listByResourceAsync", s -> s.limits().listByResourceAsync("api", 10, deadline));
    calls.put("listAsync", s -> s.slots().listAsync("clusters", "acct", deadline));
    calls.put("claimAsync", s -> s.slots().claimAsync(row, NOW / T, deadline));
    if (!deadline.isBounded()) {
      calls.put("updateAsync", s -> s.slots().updateAsync(row, NOW / T));
      calls.put("deleteAsync", s -> s.slots().deleteAsync(row));
      calls.put("findByResourceIdAsync", s -> s.slots().findByResourceIdAsync("r-1"));
    }
    return calls;
  }

  /** The failure of {@code future} as its callbacks see it (not wrapped), once it completed. */
  private static Throwable failureOf(CompletableFuture<?> future) throws Exception {
    return future.handle((answer, failure) -> failure).get(60, TimeUnit.SECONDS);
  }

  @Test
  void aStoppedServerFailsEveryAsyncCallWithTheLibrarysException() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    LocalDynamoDbServer server = LocalDynamoDb.serverBuilder().start();
    try (DynamoDbClient admin = LocalDynamoDb.client(server.endpoint())) {
      DynamoDbTables.createIfMissing(admin, tables.names);
    }
    RequestCounter sent = new RequestCounter();
    try (DynamoDbStore store = DynamoDbStore.builder().client(LocalDynamoDb.client(server.endpoint(), sent))
        .asyncClient(LocalDynamoDb.asyncClient(server.endpoint(), sent)).ownsClient(true).tableNames(tables.names)
        .build()) {
      assertThat(store.buckets().consumeAsync(new BucketRequest("api", "acct", NOW, T, 10 * T, UNKNOWN,
          Deadline.none())).get(30, TimeUnit.SECONDS).allowed()).as("answers while the server runs").isTrue();
      server.close();
      for (Map.Entry<String, Function<RateLimitStore, CompletableFuture<?>>> call
          : everyAsyncCall(Deadline.none()).entrySet()) {
        CompletableFuture<?> future = call.getValue().apply(store);
        Throwable failure = failureOf(future);
        assertThat(failure).as(call.getKey()).isExactlyInstanceOf(RateLimiterException.class)
            .hasMessageContaining("DynamoDB").hasCauseInstanceOf(SdkException.class);
        assertThatThrownBy(future::join).as(call.getKey()).isInstanceOf(CompletionException.class)
            .cause().isSameAs(failure);
      }
      assertThat(sent.total()).as("each failed call tried to send").isGreaterThanOrEqualTo(11);
    }
  }

  @Test
  void throttlingAfterTheClientsRetriesIsAThrottlingException() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint());
        DynamoDbStore store = DynamoDbStore.builder().client(LocalDynamoDb.client(proxy.endpoint()))
            .asyncClient(LocalDynamoDb.testClientBuilder(proxy.endpoint()).maxAttempts(2).buildAsync())
            .ownsClient(true).tableNames(tables.names).build()) {
      proxy.inject(Fault.throttling());
      Throwable failure = failureOf(store.buckets().consumeAsync(
          new BucketRequest("api", "acct", NOW, T, 10 * T, UNKNOWN, Deadline.none())));
      assertThat(failure).isInstanceOf(ThrottlingException.class).hasMessageContaining("UpdateItem")
          .hasCauseInstanceOf(SdkException.class);
      assertThat(proxy.injected(Fault.Kind.THROTTLING)).isEqualTo(2);
    }
  }

  @Test
  void afterTheDeadlineNothingIsSent() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    RequestCounter sent = new RequestCounter();
    try (DynamoDbStore store = tables.openAsyncStore(sent)) {
      Deadline passed = Deadline.after(Duration.ofNanos(1));
      while (!passed.hasPassed()) {
        Thread.onSpinWait();
      }
      for (Map.Entry<String, Function<RateLimitStore, CompletableFuture<?>>> call
          : everyAsyncCall(passed).entrySet()) {
        assertThat(failureOf(call.getValue().apply(store))).as(call.getKey())
            .isExactlyInstanceOf(RateLimiterException.class).hasMessageContaining("passed before");
      }
      assertThat(sent.total()).isZero();
    }
  }

  @Test
  void aStoreWithoutAnAsyncClientBuildsOneWithTheBlockingClientsSettingsAndClosesIt() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    RequestCounter sent = new RequestCounter();
    DynamoDbStore store = tables.openStore(sent);
    try {
      assertThat(store.buckets().consumeAsync(new BucketRequest("api", "acct", NOW, T, 10 * T, UNKNOWN,
          Deadline.none())).get(30, TimeUnit.SECONDS).allowed()).isTrue();
      assertThat(sent.snapshot()).as("the blocking client's interceptor, on the async client").isEqualTo(
          Map.of("UpdateItem", 1L));
      assertThat(store.asyncClient()).isSameAs(store.asyncClient());
      assertThat(store.asyncClient().serviceClientConfiguration().overrideConfiguration().apiCallTimeout())
          .contains(LocalDynamoDb.TEST_CALL_TIMEOUT);
    } finally {
      store.close();
    }
    assertThatThrownBy(() -> store.asyncClient().listTables().get(30, TimeUnit.SECONDS)).as("closed with the store")
        .isNotNull();
  }
}
