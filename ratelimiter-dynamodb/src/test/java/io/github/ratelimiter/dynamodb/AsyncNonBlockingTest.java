package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.store.BucketStore.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.Lane;
import io.github.ratelimiter.store.BucketStore.QuotaRequest;
import io.github.ratelimiter.store.BucketStore.Refund;
import io.github.ratelimiter.store.BucketStore.RefundRequest;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.testing.RecordingListener;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * No {@code Async} call of the DynamoDB store blocks a thread: with BlockHound installed, every such call is made
 * from a thread BlockHound treats as non-blocking, and every continuation the store runs when an answer arrives runs
 * on the CRT's event-loop threads, which it treats as non-blocking too (the client completes its futures there:
 * {@code DynamoDbClients.buildAsync()}). Any blocking call on either (a {@code join()}, a blocking client, a lock
 * wait, file or socket I/O, a sleep) is recorded and fails the test. The calls go through their slow paths on
 * dynalite: failed conditions followed by a second write or a read, denials, and a listing of several pages.
 *
 * <p>Runs in a JVM of its own (the {@code blockhound} surefire execution, which adds
 * {@code -XX:+AllowRedefinitionToAddDeleteMethods}): BlockHound stays installed for the life of the JVM.
 */
@Tag("blockhound")
class AsyncNonBlockingTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final String DRIVER = "ratelimiter-nonblocking-driver-";
  private static final String EVENT_LOOP = "AwsEventLoop";
  private static final long NOW = 1_800_000_000L * 1_000_000_000L;
  private static final long T = 1_000_000_000L;

  /** Every blocking call BlockHound caught, with its thread. */
  private static final Queue<String> BLOCKED = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger THREADS = new AtomicInteger();

  @BeforeAll
  static void install() {
    assertThat(ManagementFactory.getRuntimeMXBean().getInputArguments())
        .as("run by the blockhound surefire execution").contains("-XX:+AllowRedefinitionToAddDeleteMethods");
    Predicate<Thread> ours = thread -> thread.getName().startsWith(DRIVER) || thread.getName().startsWith(EVENT_LOOP);
    BlockHound.builder()
        .loadIntegrations() // those the class path declares (Netty's, for the comparison harness's client)
        .nonBlockingThreadPredicate(predicate -> predicate.or(ours))
        .blockingMethodCallback(method -> {
          BlockingOperationError error = new BlockingOperationError(method);
          java.io.StringWriter trace = new java.io.StringWriter();
          error.printStackTrace(new java.io.PrintWriter(trace));
          BLOCKED.add(Thread.currentThread().getName() + ": " + method + "\n" + trace);
          throw error;
        })
        .install();
  }

  /**
   * {@code call} run on a new driver thread, which ends after it (an idle pool thread would wait for work, which is
   * blocking): its future, for this test thread to wait for.
   */
  private static <T> CompletableFuture<T> onADriver(Supplier<CompletableFuture<T>> call) {
    CompletableFuture<CompletableFuture<T>> made = new CompletableFuture<>();
    new Thread(() -> {
      try {
        made.complete(call.get());
      } catch (Throwable e) {
        made.completeExceptionally(e);
      }
    }, DRIVER + THREADS.incrementAndGet()).start();
    return made.thenCompose(future -> future);
  }

  @Test
  void theHookCatchesABlockingCallOnADriverThread() throws Exception {
    int before = BLOCKED.size();
    CompletableFuture<Void> slept = onADriver(() -> {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return CompletableFuture.completedFuture(null);
    });
    assertThat(slept).failsWithin(Duration.ofSeconds(10));
    assertThat(BLOCKED).hasSize(before + 1);
    BLOCKED.clear();
  }

  @Test
  void everyAsyncStoreCallCompletesWithoutBlockingAThread() throws Exception {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    try (DynamoDbClient admin = DYNAMO.newClient()) {
      for (int row = 0; row < 4; row++) {
        int i = row; // rows of about 300 KB: the slot listing takes more than one page
        admin.putItem(b -> b.tableName(tables.names.nonFungibleTable()).item(Map.of(
            "resourceCoordinate", AttributeValue.fromS(SlotRecord.coordinate("clusters", "acct")),
            "reservationId", AttributeValue.fromS("foreign-" + i),
            "expirationTime", AttributeValue.fromN(Long.toString(NOW / T + 60)),
            "padding", AttributeValue.fromS("x".repeat(300_000)))));
      }
    }
    RecordingListener heard = new RecordingListener();
    Set<String> answeredOn = ConcurrentHashMap.newKeySet();
    RateLimiterListener listener = new RateLimiterListener() {
      @Override
      public void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {
        heard.onStoreRequest(operation, outcome, latencyNanos);
        answeredOn.add(Thread.currentThread().getName().replaceAll("-\\d+$", "")); // reported where it answered
      }
    };
    try (DynamoDbStore owner = tables.openAsyncStore()) {
      owner.limits().put(new LimitRecord("api", "acct", 5, Duration.ofSeconds(10), "svc"));
      RateLimitStore store = owner.withListener(listener); // the reporting path too
      Deadline deadline = Deadline.after(Duration.ofSeconds(60));
      SlotRecord slot = SlotRecord.slot("clusters", "acct", 0, "holder", "r-1", NOW / T + 60);
      Map<String, Function<RateLimitStore, CompletableFuture<?>>> calls = new LinkedHashMap<>();
      BucketRequest bucket = new BucketRequest("api", "acct", NOW, T, 2 * T, UNKNOWN, deadline);
      calls.put("consumeAsync: idle", s -> s.buckets().consumeAsync(bucket));
      calls.put("consumeAsync: idle fails, busy admits", s -> s.buckets().consumeAsync(bucket));
      calls.put("consumeAsync: both fail, a read", s -> s.buckets().consumeAsync(bucket));
      QuotaRequest quota = new QuotaRequest("llm", "acct", NOW,
          List.of(new Lane("a", T, 2 * T, UNKNOWN), new Lane("b", T, 2 * T, UNKNOWN)), deadline);
      calls.put("consumeAsync(quota)", s -> s.buckets().consumeAsync(quota));
      calls.put("consumeAsync(quota): a read, then a write", s -> s.buckets().consumeAsync(quota));
      calls.put("refundAsync", s -> s.buckets().refundAsync(new RefundRequest("llm", "acct",
          List.of(new Refund("a", T, NOW)), deadline)));
      calls.put("findAsync", s -> s.limits().findAsync("api", "acct", deadline));
      calls.put("listByResourceAsync", s -> s.limits().listByResourceAsync("api", 10, deadline));
      calls.put("claimAsync", s -> s.slots().claimAsync(slot, NOW / T, deadline));
      calls.put("claimAsync: taken", s -> s.slots().claimAsync(slot, NOW / T, deadline));
      calls.put("updateAsync", s -> s.slots().updateAsync(slot, NOW / T));
      calls.put("findByResourceIdAsync", s -> s.slots().findByResourceIdAsync("r-1"));
      calls.put("listAsync: pages", s -> s.slots().listAsync("clusters", "acct", deadline));
      calls.put("deleteAsync", s -> s.slots().deleteAsync(slot));
      calls.put("deleteAsync: gone", s -> s.slots().deleteAsync(slot));
      List<Object> answers = new ArrayList<>();
      for (Map.Entry<String, Function<RateLimitStore, CompletableFuture<?>>> call : calls.entrySet()) {
        // the call is made on a driver thread; only this (blocking) test thread waits for its answer
        try {
          answers.add(onADriver(() -> call.getValue().apply(store)).get(60, TimeUnit.SECONDS));
        } finally {
          assertThat(BLOCKED).as("blocking calls during %s", call.getKey()).isEmpty();
        }
      }
      assertThat(answers).hasSize(calls.size());
      assertThat(answers.get(2)).as("denied").hasFieldOrPropertyWithValue("allowed", false);
      assertThat(answers.get(9)).as("taken").isEqualTo(false);
      assertThat((List<?>) answers.get(12)).as("listed").hasSize(5);
      assertThat(heard.snapshot()).containsKey("store UpdateItem CONDITION_FAILED");
      assertThat(answeredOn).as("the store's continuations ran on the event loop, where the hook watches")
          .anyMatch(name -> name.startsWith(EVENT_LOOP));
    }
  }
}
