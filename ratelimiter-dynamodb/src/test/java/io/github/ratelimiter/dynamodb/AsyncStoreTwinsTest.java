package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.store.BucketStore.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.BucketStore.Lane;
import io.github.ratelimiter.store.BucketStore.QuotaRequest;
import io.github.ratelimiter.store.BucketStore.QuotaResult;
import io.github.ratelimiter.store.BucketStore.Refund;
import io.github.ratelimiter.store.BucketStore.RefundRequest;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.testing.RecordingListener;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Each {@code Async} twin of the DynamoDB store answers as its blocking twin, with the same requests: the same script
 * runs through the blocking calls of one store and through the asynchronous calls of another, each on tables of its
 * own (so both start from the same state and keys), and after every step the answers and the requests each sent
 * ({@link RequestCounter} on both its clients) are compared, and a few are checked against what they must be.
 */
class AsyncStoreTwinsTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final long T = Duration.ofSeconds(1).toNanos(); // emission interval of 10 per 10 s
  private static final long NOW = 1_800_000_000L * 1_000_000_000L;
  private static final long NOW_SECOND = NOW / 1_000_000_000L;

  private final RequestCounter blockingSent = new RequestCounter();
  private final RequestCounter asyncSent = new RequestCounter();
  private DynamoDbTestTables blockingTables;
  private DynamoDbTestTables asyncTables;
  private DynamoDbStore blocking;
  private DynamoDbStore async;

  @BeforeEach
  void open() {
    blockingTables = new DynamoDbTestTables(DYNAMO);
    asyncTables = new DynamoDbTestTables(DYNAMO);
    blocking = blockingTables.openAsyncStore(blockingSent);
    async = asyncTables.openAsyncStore(asyncSent);
  }

  @AfterEach
  void close() {
    blocking.close();
    async.close();
  }

  /**
   * One step through both: {@code call} on the blocking store, {@code asyncCall} on the other; asserts equal answers
   * (through {@code view}, for answers with arrays) and equal requests, and returns the answer and its requests.
   */
  private <T> Step<T> twins(String step, Function<RateLimitStore, T> call,
      Function<RateLimitStore, CompletableFuture<T>> asyncCall, Function<T, Object> view) throws Exception {
    blockingSent.reset();
    asyncSent.reset();
    T answer = call.apply(blocking);
    T asyncAnswer = asyncCall.apply(async).get(30, TimeUnit.SECONDS);
    assertThat(view.apply(asyncAnswer)).as("%s: the async answer", step).isEqualTo(view.apply(answer));
    assertThat(asyncSent.snapshot()).as("%s: the async requests", step).isEqualTo(blockingSent.snapshot());
    return new Step<>(answer, blockingSent.snapshot());
  }

  private <T> Step<T> twins(String step, Function<RateLimitStore, T> call,
      Function<RateLimitStore, CompletableFuture<T>> asyncCall) throws Exception {
    return twins(step, call, asyncCall, answer -> answer);
  }

  private record Step<T>(T answer, Map<String, Long> sent) {}

  private static BucketRequest bucket(long cost, long knownTat) {
    return new BucketRequest("api", "acct", NOW, cost, 10 * T, knownTat, Deadline.after(Duration.ofSeconds(30)));
  }

  @Test
  void bucketStepsAnswerAndSendAsTheirBlockingTwins() throws Exception {
    Step<BucketResult> first = twins("idle, no row", s -> s.buckets().consume(bucket(T, UNKNOWN)),
        s -> s.buckets().consumeAsync(bucket(T, UNKNOWN)));
    assertThat(first.answer()).isEqualTo(new BucketResult(true, NOW + T));
    assertThat(first.sent()).isEqualTo(Map.of("UpdateItem", 1L));

    Step<BucketResult> busy = twins("busy, known tat", s -> s.buckets().consume(bucket(T, NOW + T)),
        s -> s.buckets().consumeAsync(bucket(T, NOW + T)));
    assertThat(busy.answer()).isEqualTo(new BucketResult(true, NOW + 2 * T));
    assertThat(busy.sent()).isEqualTo(Map.of("UpdateItem", 1L));

    // another instance, which has not seen the bucket: the idle guess fails, then the busy write admits
    Step<BucketResult> wrongGuess = twins("busy, unknown tat", s -> s.buckets().consume(bucket(T, UNKNOWN)),
        s -> s.buckets().consumeAsync(bucket(T, UNKNOWN)));
    assertThat(wrongGuess.answer()).isEqualTo(new BucketResult(true, NOW + 3 * T));
    assertThat(wrongGuess.sent()).isEqualTo(Map.of("UpdateItem", 2L));

    // 8 more do not fit (7 do): denied with the stored tat, after a read where the server does not return the item
    Step<BucketResult> denied = twins("denied, known tat", s -> s.buckets().consume(bucket(8 * T, NOW + 3 * T)),
        s -> s.buckets().consumeAsync(bucket(8 * T, NOW + 3 * T)));
    assertThat(denied.answer()).isEqualTo(new BucketResult(false, NOW + 3 * T));
    twins("denied, unknown tat", s -> s.buckets().consume(bucket(8 * T, UNKNOWN)),
        s -> s.buckets().consumeAsync(bucket(8 * T, UNKNOWN)));
    Step<BucketResult> last = twins("the last 7", s -> s.buckets().consume(bucket(7 * T, UNKNOWN)),
        s -> s.buckets().consumeAsync(bucket(7 * T, UNKNOWN)));
    assertThat(last.answer()).isEqualTo(new BucketResult(true, NOW + 10 * T));
  }

  private static QuotaRequest quota(long requests, long tokens, long[] known) {
    return new QuotaRequest("llm", "acct", NOW, List.of(
        new Lane("requests", requests * T, 10 * T, known[0]),
        new Lane("tokens", tokens * (T / 1_000), 1_000 * (T / 1_000), known[1])),
        Deadline.after(Duration.ofSeconds(30)));
  }

  private static Object view(QuotaResult result) {
    return List.of(result.allowed(), Arrays.toString(result.tats()), result.denyingLane());
  }

  @Test
  void quotaStepsAndRefundsAnswerAndSendAsTheirBlockingTwins() throws Exception {
    long[] unknown = {UNKNOWN, UNKNOWN};
    Step<QuotaResult> first = twins("quota, no row", s -> s.buckets().consume(quota(1, 600, unknown)),
        s -> s.buckets().consumeAsync(quota(1, 600, unknown)), AsyncStoreTwinsTest::view);
    assertThat(first.answer().allowed()).isTrue();
    assertThat(first.answer().tats()).containsExactly(NOW + T, NOW + 600 * (T / 1_000));
    assertThat(first.sent()).isEqualTo(Map.of("UpdateItem", 1L));
    long[] known = first.answer().tats();

    Step<QuotaResult> second = twins("quota, known", s -> s.buckets().consume(quota(1, 300, known)),
        s -> s.buckets().consumeAsync(quota(1, 300, known)), AsyncStoreTwinsTest::view);
    assertThat(second.answer().allowed()).isTrue();
    Step<QuotaResult> denied = twins("quota, tokens exhausted", s -> s.buckets().consume(quota(1, 200, unknown)),
        s -> s.buckets().consumeAsync(quota(1, 200, unknown)), AsyncStoreTwinsTest::view);
    assertThat(denied.answer().allowed()).isFalse();
    assertThat(denied.answer().denyingLane()).isEqualTo(1);
    Step<QuotaResult> look = twins("a look", s -> s.buckets().consume(quota(0, 0, unknown)),
        s -> s.buckets().consumeAsync(quota(0, 0, unknown)), AsyncStoreTwinsTest::view);
    assertThat(look.sent()).isEqualTo(Map.of("GetItem", 1L));
    assertThat(look.answer().tats()).containsExactly(NOW + 2 * T, NOW + 900 * (T / 1_000));

    long[] after = second.answer().tats();
    RefundRequest refund = new RefundRequest("llm", "acct", List.of(new Refund("requests", T, after[0]),
        new Refund("tokens", 300 * (T / 1_000), after[1])), Deadline.after(Duration.ofSeconds(30)));
    Step<Boolean> refunded = twins("refund", s -> s.buckets().refund(refund), s -> s.buckets().refundAsync(refund));
    assertThat(refunded.answer()).isTrue();
    assertThat(refunded.sent()).isEqualTo(Map.of("UpdateItem", 1L));
    // the lanes moved back: the same refund's condition no longer holds
    assertThat(twins("refund again", s -> s.buckets().refund(refund), s -> s.buckets().refundAsync(refund)).answer())
        .isFalse();
    RefundRequest nothing = new RefundRequest("llm", "acct", List.of(new Refund("requests", 0, 0)),
        Deadline.none());
    assertThat(twins("refund of nothing", s -> s.buckets().refund(nothing), s -> s.buckets().refundAsync(nothing))
        .sent()).isEmpty();
  }

  @Test
  void slotCallsAnswerAndSendAsTheirBlockingTwinsAndListEveryPage() throws Exception {
    Deadline deadline = Deadline.after(Duration.ofSeconds(60));
    SlotRecord held = SlotRecord.slot("clusters", "acct", 0, "holder-1", null, NOW_SECOND + 60);
    SlotRecord other = SlotRecord.slot("clusters", "acct", 1, "holder-2", "r-1", NOW_SECOND + 60);
    Step<Boolean> claimed = twins("claim", s -> s.slots().claim(held, NOW_SECOND, deadline),
        s -> s.slots().claimAsync(held, NOW_SECOND, deadline));
    assertThat(claimed.answer()).isTrue();
    assertThat(claimed.sent()).isEqualTo(Map.of("PutItem", 1L));
    SlotRecord taken = SlotRecord.slot("clusters", "acct", 0, "holder-2", null, NOW_SECOND + 60);
    assertThat(twins("claim a live slot", s -> s.slots().claim(taken, NOW_SECOND, deadline),
        s -> s.slots().claimAsync(taken, NOW_SECOND, deadline)).answer()).isFalse();
    assertThat(twins("claim another", s -> s.slots().claim(other, NOW_SECOND, deadline),
        s -> s.slots().claimAsync(other, NOW_SECOND, deadline)).answer()).isTrue();
    SlotRecord renewed = SlotRecord.slot("clusters", "acct", 0, "holder-1", "r-0", NOW_SECOND + 120);
    assertThat(twins("update", s -> s.slots().update(renewed, NOW_SECOND),
        s -> s.slots().updateAsync(renewed, NOW_SECOND)).answer()).isTrue();
    SlotRecord stolen = SlotRecord.slot("clusters", "acct", 0, "holder-9", null, NOW_SECOND + 120);
    assertThat(twins("update by another holder", s -> s.slots().update(stolen, NOW_SECOND),
        s -> s.slots().updateAsync(stolen, NOW_SECOND)).answer()).isFalse();
    assertThat(twins("find by resource id", s -> s.slots().findByResourceId("r-1"),
        s -> s.slots().findByResourceIdAsync("r-1")).answer()).containsExactly(other);

    // foreign rows of about 300 KB each: more than one page of DynamoDB's 1 MB
    for (DynamoDbTestTables tables : List.of(blockingTables, asyncTables)) {
      try (DynamoDbClient client = DYNAMO.newClient()) {
        for (int row = 0; row < 4; row++) {
          int i = row;
          client.putItem(b -> b.tableName(tables.names.nonFungibleTable()).item(Map.of(
              "resourceCoordinate", AttributeValue.fromS(SlotRecord.coordinate("clusters", "acct")),
              "reservationId", AttributeValue.fromS("foreign-" + i),
              "expirationTime", AttributeValue.fromN(Long.toString(NOW_SECOND + 60)),
              "padding", AttributeValue.fromS("x".repeat(300_000)))));
        }
      }
    }
    Step<List<SlotRecord>> listed = twins("list", s -> s.slots().list("clusters", "acct", deadline),
        s -> s.slots().listAsync("clusters", "acct", deadline));
    assertThat(listed.answer()).hasSize(6);
    assertThat(listed.answer().subList(0, 2)).containsExactly(renewed, other);
    if (LocalDynamoDb.onDynalite()) {
      assertThat(listed.sent().get("Query")).as("pages").isGreaterThan(1L);
    }

    assertThat(twins("delete", s -> s.slots().delete(renewed), s -> s.slots().deleteAsync(renewed)).answer())
        .isTrue();
    assertThat(twins("delete again", s -> s.slots().delete(renewed), s -> s.slots().deleteAsync(renewed)).answer())
        .isFalse();
    SlotRecord foreign = listed.answer().get(2);
    assertThat(twins("delete a foreign row without resource id", s -> s.slots().delete(foreign),
        s -> s.slots().deleteAsync(foreign)).sent()).isEmpty();
  }

  @Test
  void limitReadsAnswerAndSendAsTheirBlockingTwins() throws Exception {
    for (RateLimitStore store : List.of(blocking, async)) {
      store.limits().put(new LimitRecord("api", "acct-1", 5, Duration.ofSeconds(10), "svc"));
      store.limits().put(new LimitRecord("api", "acct-2", 7, Duration.ofSeconds(10), "svc"));
    }
    Deadline deadline = Deadline.after(Duration.ofSeconds(30));
    Step<Optional<LimitRecord>> found = twins("find", s -> s.limits().find("api", "acct-1", deadline),
        s -> s.limits().findAsync("api", "acct-1", deadline));
    assertThat(found.answer().orElseThrow().limit()).isEqualTo(5);
    assertThat(found.sent()).isEqualTo(Map.of("GetItem", 1L));
    assertThat(twins("find nothing", s -> s.limits().find("api", "acct-3", deadline),
        s -> s.limits().findAsync("api", "acct-3", deadline)).answer()).isEmpty();
    Step<Optional<List<LimitRecord>>> listed = twins("list", s -> s.limits().listByResource("api", 10, deadline),
        s -> s.limits().listByResourceAsync("api", 10, deadline));
    assertThat(listed.answer().orElseThrow()).extracting(LimitRecord::accountId).containsExactly("acct-1", "acct-2");
    assertThat(listed.sent()).isEqualTo(Map.of("Query", 1L));
    assertThat(twins("too many", s -> s.limits().listByResource("api", 1, deadline),
        s -> s.limits().listByResourceAsync("api", 1, deadline)).answer()).isEmpty();
  }

  @Test
  void theListenerHearsAsyncRequestsAsItHearsBlockingOnes() throws Exception {
    RecordingListener heardBlocking = new RecordingListener();
    RecordingListener heardAsync = new RecordingListener();
    RateLimitStore blockingView = blocking.withListener(heardBlocking);
    RateLimitStore asyncView = async.withListener(heardAsync);
    blockingView.buckets().consume(bucket(T, UNKNOWN));
    blockingView.buckets().consume(bucket(T, UNKNOWN)); // a failed condition, then an admission
    blockingView.limits().find("api", "acct", Deadline.none());
    asyncView.buckets().consumeAsync(bucket(T, UNKNOWN)).get(30, TimeUnit.SECONDS);
    asyncView.buckets().consumeAsync(bucket(T, UNKNOWN)).get(30, TimeUnit.SECONDS);
    asyncView.limits().findAsync("api", "acct", Deadline.none()).get(30, TimeUnit.SECONDS);
    assertThat(heardAsync.snapshot()).isEqualTo(heardBlocking.snapshot())
        .containsEntry("store UpdateItem OK", 2L)
        .containsEntry("store UpdateItem CONDITION_FAILED", 1L)
        .containsEntry("store GetItem OK", 1L);
  }
}
