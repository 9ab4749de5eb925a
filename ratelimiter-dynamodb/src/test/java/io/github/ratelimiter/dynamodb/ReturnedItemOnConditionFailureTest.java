package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.testing.FungibleLimiterContract;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * Real DynamoDB returns the stored item when a condition fails and {@code ReturnValuesOnConditionCheckFailure} is
 * {@code ALL_OLD}; dynalite does not. This client adds what DynamoDB would return (read right after the failure;
 * since {@code tat} only grows, at least as large as at the failure), so the contract suite also covers the path
 * that settles a decision from the returned item on dynalite. On moto ({@code -Pmoto}), which returns the item
 * itself, every DynamoDB test takes that path without this emulation; here the emulation then only re-reads.
 */
class ReturnedItemOnConditionFailureTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  /** Delegates every call to a dynalite client, adding the old item to a failed conditional update. */
  static DynamoDbClient returningOldItems(DynamoDbClient real) {
    return new DynamoDbClient() {
      @Override
      public UpdateItemResponse updateItem(UpdateItemRequest request) {
        try {
          return real.updateItem(request);
        } catch (ConditionalCheckFailedException e) {
          GetItemResponse old = real.getItem(b -> b.tableName(request.tableName()).key(request.key())
              .consistentRead(true));
          throw ConditionalCheckFailedException.builder().message(e.getMessage())
              .item(old.hasItem() ? old.item() : null).build();
        }
      }

      @Override
      public software.amazon.awssdk.services.dynamodb.model.GetItemResponse getItem(
          software.amazon.awssdk.services.dynamodb.model.GetItemRequest request) {
        return real.getItem(request);
      }

      @Override
      public software.amazon.awssdk.services.dynamodb.model.QueryResponse query(
          software.amazon.awssdk.services.dynamodb.model.QueryRequest request) {
        return real.query(request);
      }

      @Override
      public software.amazon.awssdk.services.dynamodb.model.PutItemResponse putItem(
          software.amazon.awssdk.services.dynamodb.model.PutItemRequest request) {
        return real.putItem(request);
      }

      @Override
      public software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse deleteItem(
          software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest request) {
        return real.deleteItem(request);
      }

      @Override
      public String serviceName() {
        return real.serviceName();
      }

      /**
       * The real client's configuration, so that the store takes its call timeout (the test's 30 s) as the decision
       * timeout, as it does for the other contract suites, instead of the 1 s default for a client without one: on a
       * slow server (moto, one request at a time, 16 threads) a decision plus this emulation's reads can take longer.
       */
      @Override
      public software.amazon.awssdk.services.dynamodb.DynamoDbServiceClientConfiguration serviceClientConfiguration() {
        return real.serviceClientConfiguration();
      }

      @Override
      public void close() {
        real.close();
      }
    };
  }

  @Nested
  class Contract extends FungibleLimiterContract {
    private DynamoDbTestTables tables;

    @BeforeEach
    void createTables() {
      tables = new DynamoDbTestTables(DYNAMO);
    }

    @Override
    protected RateLimitStore openStore() {
      return DynamoDbStore.builder().client(returningOldItems(DYNAMO.newClient())).ownsClient(true)
          .tableNames(tables.names).build();
    }
  }

  @Test
  void aColdInstanceSettlesItsFirstDenialFromTheReturnedItemWithOneWrite() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    ManualClock clock = ManualClock.create();
    Limit limit = Limit.of(10, Duration.ofSeconds(1));
    try (RateLimiters warm = RateLimiters.builder().store(tables.openStore()).clock(clock).build()) {
      warm.fungible("api", limit).acquire("acct", 10);
    }
    RequestCounter requests = new RequestCounter();
    DynamoDbStore store = DynamoDbStore.builder().client(returningOldItems(DYNAMO.newClient(requests)))
        .ownsClient(true).tableNames(tables.names).build();
    assertThat(store.decisionTimeout()).as("the wrapped client's call timeout").contains(LocalDynamoDb.TEST_CALL_TIMEOUT);
    try (RateLimiters cold = RateLimiters.builder().clock(clock).store(store).build()) {
      FungibleLimiter limiter = cold.fungible("api", limit);
      limiter.limitFor("acct");
      requests.reset();
      assertThat(limiter.tryAcquire("acct").retryAfter()).isEqualTo(Duration.ofMillis(100));
      // The idle attempt fails; the returned tat settles the denial. (The emulation's own read is counted too.)
      assertThat(requests.count("UpdateItem")).isEqualTo(1);
    }
  }
}
