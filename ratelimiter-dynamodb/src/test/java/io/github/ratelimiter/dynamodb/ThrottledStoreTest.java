package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.testing.dynamodb.Fault;
import io.github.ratelimiter.testing.dynamodb.FaultProxy;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Throttling through a {@link FaultProxy}: 30% of the bucket writes answered
 * {@code ProvisionedThroughputExceededException} (and 5% of them applied but their answer lost): the SDK retries
 * within the call's deadline, no decision over-admits, every throttled attempt is heard by the listener, and
 * {@link ThrottlingException} surfaces only after the bounded attempts.
 */
class ThrottledStoreTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final Limit LIMIT = Limit.of(50, Duration.ofSeconds(1));
  private static final int THREADS = 8;
  private static final double SECONDS = Double.parseDouble(System.getProperty("ratelimiter.faults.seconds", "2"));

  /** Counts the store requests it hears, per outcome. */
  private static final class Heard implements RateLimiterListener {
    final LongAdder throttled = new LongAdder();
    final LongAdder updates = new LongAdder();

    @Override
    public void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {
      if (operation.equals("UpdateItem")) {
        updates.increment();
        if (outcome == StoreOutcome.THROTTLED) {
          throttled.increment();
        }
      }
    }
  }

  @Test
  void thirtyPercentThrottledNeverOverAdmitsAndEveryThrottledAttemptIsHeard() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    Heard heard = new Heard();
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint());
        RateLimiters limiters = RateLimiters.builder()
            .store(DynamoDbStore.builder().client(LocalDynamoDb.testClientBuilder(proxy.endpoint())
                .attemptTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(5)).build())
                .ownsClient(true).tableNames(tables.names).build())
            .listener(heard).build()) {
      FungibleLimiter limiter = limiters.fungible("throttled", LIMIT);
      proxy.inject(Fault.provisionedThroughputExceeded().forOperations("UpdateItem").share(0.3));
      proxy.inject(Fault.dropResponse().forOperations("UpdateItem").share(0.05));
      LongAdder admitted = new LongAdder();
      LongAdder surfaced = new LongAdder();
      long started = System.nanoTime();
      AtOnce.repeat(THREADS, SECONDS, () -> {
        try {
          if (limiter.tryAcquire("acct").allowed()) {
            admitted.increment();
          }
        } catch (ThrottlingException e) {
          surfaced.increment(); // three throttled attempts in a row, or a waiter sharing them
        } catch (RateLimiterException e) {
          // a dropped answer on the last attempt: an error, as a lost connection is
        }
      });
      double elapsed = (System.nanoTime() - started) / 1e9;
      proxy.clearFaults();
      long bound = LIMIT.limit() + (long) Math.floor(elapsed * LIMIT.limit());
      assertThat(admitted.sum()).isLessThanOrEqualTo(bound);
      // every throttled attempt, retries included, is heard once
      assertThat(heard.throttled.sum()).isEqualTo(proxy.injected(Fault.Kind.PROVISIONED_THROUGHPUT_EXCEEDED));
      long dropped = proxy.appliedButUnanswered();
      System.out.printf("throttled 30%% of UpdateItems (%d threads, %.1f s): admitted %d of bound %d, %d UpdateItem"
              + " attempts, %d throttled (all heard), %d ThrottlingExceptions after 3 attempts, %d answers lost after"
              + " the write was applied (each a permit spent and not admitted: under-admission)%n", THREADS, elapsed,
          admitted.sum(), bound, heard.updates.sum(), heard.throttled.sum(), surfaced.sum(), dropped);
    }
  }

  /**
   * How often a lost answer makes one decision spend twice, counted exactly. The limit (100,000 an hour) is far
   * above what the run asks, and its first write puts {@code tat} far ahead, so the bucket never idles: each applied
   * write adds exactly one emission interval to {@code tat}, and the permits spent are {@code (tat_end - tat_start) / T}, whoever asked.
   * Every permit spent beyond those admitted must be a write that the store applied and whose answer the proxy
   * dropped: the SDK's retry then spent a second permit for the same decision, or the call failed after the first.
   */
  @Test
  void everyPermitSpentButNotAdmittedIsAWriteWhoseAnswerWasLost() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    Limit ample = Limit.of(100_000, Duration.ofHours(1));
    long interval = ample.window().toNanos() / ample.limit();
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint());
        DynamoDbClient reader = DYNAMO.newClient();
        RateLimiters limiters = RateLimiters.builder()
            .store(DynamoDbStore.builder().client(LocalDynamoDb.testClientBuilder(proxy.endpoint())
                .attemptTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(5)).build())
                .ownsClient(true).tableNames(tables.names).build())
            .build()) {
      FungibleLimiter limiter = limiters.fungible("double-spend", ample);
      // the bucket's first (idle) write, before faults: 1,000 permits put its tat 36 s ahead, so that no write of
      // the run finds it idle (an idle write sets tat = now + T, which is not a whole number of intervals later)
      assertThat(limiter.tryAcquire("acct", 1_000).allowed()).isTrue();
      long start = storedTat(reader, tables, "double-spend", "acct");
      proxy.inject(Fault.provisionedThroughputExceeded().forOperations("UpdateItem").share(0.3));
      proxy.inject(Fault.dropResponse().forOperations("UpdateItem").share(0.05));
      LongAdder admitted = new LongAdder();
      LongAdder failed = new LongAdder();
      AtOnce.repeat(THREADS, SECONDS, () -> {
        try {
          if (limiter.tryAcquire("acct").allowed()) {
            admitted.increment();
          }
        } catch (RateLimiterException e) {
          failed.increment(); // throttled three times, or the last attempt's answer lost
        }
      });
      proxy.clearFaults();
      long spent = (storedTat(reader, tables, "double-spend", "acct") - start) / interval;
      long lost = proxy.appliedButUnanswered();
      // a write may carry several decisions' permits (decisions that found a write in flight go together): count the
      // permits of every write whose answer was lost, from its request
      long lostPermits = 0;
      for (String body : proxy.appliedButUnansweredRequests()) {
        lostPermits += permitsOf(body, interval);
      }
      assertThat(spent - admitted.sum()).as("permits spent but not admitted").isEqualTo(lostPermits);
      System.out.printf("30%% of UpdateItems throttled, 5%% of answers dropped (%d threads, %.1f s): %d admitted,"
              + " %d calls failed, %d permits spent; %d writes applied whose answer was lost = %d permits spent and"
              + " never admitted (%.2f%% of the permits spent)%n", THREADS, SECONDS, admitted.sum(), failed.sum(),
          spent, lost, spent - admitted.sum(), 100.0 * (spent - admitted.sum()) / Math.max(1, spent));
    }
  }

  /** The permits an UpdateItem of a bucket charged: its {@code :cost}, or {@code :nowPlusCost - :now} when idle. */
  private static long permitsOf(String body, long interval) throws Exception {
    com.fasterxml.jackson.databind.JsonNode values =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("ExpressionAttributeValues");
    long cost = values.has(":cost") ? values.path(":cost").path("N").asLong()
        : values.path(":nowPlusCost").path("N").asLong() - values.path(":now").path("N").asLong();
    return cost / interval;
  }

  private static long storedTat(DynamoDbClient client, DynamoDbTestTables tables, String resource, String account) {
    return Long.parseLong(client.getItem(b -> b.tableName(tables.names.fungibleTable()).consistentRead(true)
        .key(Map.of("resourceName", AttributeValue.fromS(resource), "accountId", AttributeValue.fromS(account))))
        .item().get("tat").n());
  }

  @Test
  void throttlingSurfacesOnlyAfterTheBoundedAttempts() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    Heard heard = new Heard();
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint());
        RateLimiters limiters = RateLimiters.builder()
            .store(DynamoDbStore.builder().client(LocalDynamoDb.testClientBuilder(proxy.endpoint()).maxAttempts(3)
                .build()).ownsClient(true).tableNames(tables.names).build())
            .listener(heard).build()) {
      FungibleLimiter limiter = limiters.fungible("always-throttled", LIMIT);
      assertThat(limiter.tryAcquire("acct").allowed()).isTrue(); // limits read, bucket written
      proxy.inject(Fault.provisionedThroughputExceeded().forOperations("UpdateItem"));
      assertThatThrownBy(() -> limiter.tryAcquire("acct")).isInstanceOf(ThrottlingException.class);
      assertThat(proxy.injected(Fault.Kind.PROVISIONED_THROUGHPUT_EXCEEDED)).isEqualTo(3);
      assertThat(heard.throttled.sum()).isEqualTo(3);
    }
  }
}
