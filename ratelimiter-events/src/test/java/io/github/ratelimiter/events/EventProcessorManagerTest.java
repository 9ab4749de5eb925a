package io.github.ratelimiter.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.events.ProcessingResult.Outcome;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventProcessorManagerTest {

  private static final String ACCOUNT = "123456789012";
  private static final EventProcessor CLUSTER_TERMINATED = EventProcessor.builder()
      .source("aws.emr").detailType("EMR Cluster State Change").idPath("detail.clusterId")
      .when(ProcessorPredicate.in("detail.state", List.of("TERMINATED", "TERMINATED_WITH_ERRORS")))
      .build();
  private static final EventProcessor STEP_FAILED = EventProcessor.builder()
      .source("aws.emr").detailType("EMR Step Status Change").idPath("detail.stepId")
      .when(ProcessorPredicate.equalTo("detail.state", "FAILED"))
      .build();

  private final InMemoryStore store = InMemoryStore.create();
  private final ManualClock clock = ManualClock.create();
  private final RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).build();
  private final NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
  private final NonFungibleLimiter steps = limiters.nonFungible("emr-step", 10);

  private EventProcessorManager manager(EventProcessor... processors) {
    return EventProcessorManager.builder().store(store).clock(clock).processors(List.of(processors)).build();
  }

  static String clusterEvent(String id, String clusterId, String state) {
    return """
        {"version": "0", "id": "%s", "detail-type": "EMR Cluster State Change", "source": "aws.emr",
         "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
         "detail": {"severity": "INFO", "name": "Development Cluster", "clusterId": "%s", "state": "%s"}}
        """.formatted(id, clusterId, state);
  }

  static String stepEvent(String id, String stepId, String state) {
    return """
        {"version": "0", "id": "%s", "detail-type": "EMR Step Status Change", "source": "aws.emr",
         "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
         "detail": {"severity": "ERROR", "actionOnFailure": "CONTINUE", "stepId": "%s", "name": "CustomJAR",
                    "clusterId": "j-123456789ABCD", "state": "%s"}}
        """.formatted(id, stepId, state);
  }

  private List<String> tokens(NonFungibleLimiter limiter) {
    return limiter.activeTokens(ACCOUNT).stream().map(ActiveToken::resourceId).toList();
  }

  @Test
  void releasesTheTokenOfATerminatedClusterAndKeepsOthers() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    clusters.reserve(ACCOUNT).createToken("j-BBB");

    ProcessingResult result = manager(CLUSTER_TERMINATED).processEvent(clusterEvent("e1", "j-AAA", "TERMINATED"));

    assertThat(result.outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(result.resourceIds()).containsExactly("j-AAA");
    assertThat(result.releasedTokens()).isEqualTo(1);
    assertThat(result.eventId()).isEqualTo("e1");
    assertThat(result.source()).isEqualTo("aws.emr");
    assertThat(result.detailType()).isEqualTo("EMR Cluster State Change");
    assertThat(tokens(clusters)).containsExactly("j-BBB");
  }

  @Test
  void eventsWhosePredicateIsFalseAreIgnored() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");

    ProcessingResult result = manager(CLUSTER_TERMINATED).processEvent(clusterEvent("e1", "j-AAA", "RUNNING"));

    assertThat(result.outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(result.message()).isEqualTo("no processor's predicate holds");
    assertThat(tokens(clusters)).containsExactly("j-AAA");
  }

  /** Regression: the Python library filed processors by source alone, so the second replaced the first. */
  @Test
  void twoProcessorsForOneSourceWithDifferentDetailTypesBothWork() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    steps.reserve(ACCOUNT).createToken("s-STEP1");
    EventProcessorManager manager = manager(CLUSTER_TERMINATED, STEP_FAILED);

    assertThat(manager.processEvent(clusterEvent("e1", "j-AAA", "TERMINATED")).outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(manager.processEvent(stepEvent("e2", "s-STEP1", "FAILED")).outcome()).isEqualTo(Outcome.RELEASED);

    assertThat(tokens(clusters)).isEmpty();
    assertThat(tokens(steps)).isEmpty();
  }

  @Test
  void detailTypeProcessorsComeFirstAndSourceOnlyProcessorsAreTheFallback() {
    EventProcessor anyEmrEvent = EventProcessor.builder().source("aws.emr").idPath("detail.clusterId").build();
    clusters.reserve(ACCOUNT).createToken("j-123456789ABCD");
    clusters.reserve(ACCOUNT).createToken("j-RUNNING");
    EventProcessorManager manager = manager(anyEmrEvent, CLUSTER_TERMINATED);

    // Cluster state changes go to their own processor, whose predicate says no to RUNNING.
    assertThat(manager.processEvent(clusterEvent("e1", "j-RUNNING", "RUNNING")).outcome())
        .isEqualTo(Outcome.IGNORED);
    // Step changes have no processor of their own: the source-only one takes them.
    ProcessingResult step = manager.processEvent(stepEvent("e2", "s-1", "COMPLETED"));
    assertThat(step.outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(step.resourceIds()).containsExactly("j-123456789ABCD");
    assertThat(tokens(clusters)).containsExactly("j-RUNNING");
  }

  @Test
  void processorsSharingAKeyAreAllTried() {
    EventProcessor byName = EventProcessor.builder()
        .source("aws.emr").detailType("EMR Cluster State Change").idPath("detail.name")
        .when(ProcessorPredicate.equalTo("detail.state", "TERMINATED"))
        .build();
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    clusters.reserve(ACCOUNT).createToken("Development Cluster");

    ProcessingResult result = manager(CLUSTER_TERMINATED, byName)
        .processEvent(clusterEvent("e1", "j-AAA", "TERMINATED"));

    assertThat(result.outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(result.resourceIds()).containsExactly("j-AAA", "Development Cluster");
    assertThat(result.releasedTokens()).isEqualTo(2);
    assertThat(tokens(clusters)).isEmpty();
  }

  /**
   * Regression: the Python library remembered a lookup miss as handled, so when the resource index caught up the
   * redelivered event did nothing and the slot stayed held until its TTL.
   */
  @Test
  void lookupMissFollowedByRedeliveryAfterTheTokenAppearsReleasesIt() {
    EventProcessorManager manager = manager(CLUSTER_TERMINATED);
    String event = clusterEvent("e1", "j-LATE", "TERMINATED_WITH_ERRORS");

    ProcessingResult miss = manager.processEvent(event);
    assertThat(miss.outcome()).isEqualTo(Outcome.NO_MATCHING_TOKEN);
    assertThat(miss.resourceIds()).containsExactly("j-LATE");
    assertThat(miss.isFinal()).isFalse();

    clusters.reserve(ACCOUNT).createToken("j-LATE");
    ProcessingResult redelivery = manager.processEvent(event);

    assertThat(redelivery.outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(tokens(clusters)).isEmpty();
  }

  @Test
  void aRedeliveredReleaseIsADuplicateUntilTheCacheForgetsIt() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    EventProcessorManager manager = EventProcessorManager.builder().store(store).clock(clock)
        .processor(CLUSTER_TERMINATED).deduplicationTtl(Duration.ofMinutes(10)).build();
    String event = clusterEvent("e1", "j-AAA", "TERMINATED");

    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.RELEASED);
    clock.advance(Duration.ofMinutes(9));
    ProcessingResult duplicate = manager.processEvent(event);
    assertThat(duplicate.outcome()).isEqualTo(Outcome.DUPLICATE);
    assertThat(duplicate.message()).startsWith("already processed: RELEASED");

    clock.advance(Duration.ofMinutes(1));
    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.NO_MATCHING_TOKEN);
  }

  @Test
  void ignoredEventsAreRememberedToo() {
    EventProcessorManager manager = manager(CLUSTER_TERMINATED);
    String event = clusterEvent("e1", "j-AAA", "STARTING");
    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.DUPLICATE);
  }

  @Test
  void eventsWithoutAnIdAreProcessedEveryTime() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    EventProcessorManager manager = manager(CLUSTER_TERMINATED);
    String event = "{\"source\": \"aws.emr\", \"detail-type\": \"EMR Cluster State Change\","
        + " \"detail\": {\"clusterId\": \"j-AAA\", \"state\": \"TERMINATED\"}}";
    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.RELEASED);
    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.NO_MATCHING_TOKEN);
  }

  @Test
  void unknownSourcesAreIgnoredWithTheReason() {
    ProcessingResult result = manager(CLUSTER_TERMINATED).processEvent(
        "{\"id\": \"e1\", \"source\": \"aws.s3\", \"detail-type\": \"Object Created\", \"detail\": {}}");
    assertThat(result.outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(result.message()).isEqualTo("no processor for source 'aws.s3' and detail-type 'Object Created'");
  }

  @Test
  void documentsThatAreNotEventsAreMalformedAndNeverThrow() {
    EventProcessorManager manager = manager(CLUSTER_TERMINATED);
    assertThat(manager.processEvent("{\"id\": \"e1\", \"source\": ").outcome()).isEqualTo(Outcome.MALFORMED);
    assertThat(manager.processEvent("not json at all").message()).startsWith("not JSON");
    assertThat(manager.processEvent("[1, 2]").message()).startsWith("not a JSON object");
    ProcessingResult noSource = manager.processEvent("{\"id\": \"e2\", \"detail\": {}}");
    assertThat(noSource.outcome()).isEqualTo(Outcome.MALFORMED);
    assertThat(noSource.eventId()).isEqualTo("e2");
    assertThat(noSource.message()).isEqualTo("no string 'source' (found <absent>)");
    assertThat(manager.processEvent("{\"id\": \"e3\", \"source\": 7}").outcome()).isEqualTo(Outcome.MALFORMED);
    // Never remembered: the same id with a proper body is processed.
    assertThat(manager.processEvent(clusterEvent("e2", "j-X", "RUNNING")).outcome()).isEqualTo(Outcome.IGNORED);
  }

  @Test
  void aMatchingEventWithoutAUsableIdIsIgnoredWithTheReason() {
    ProcessingResult result = manager(CLUSTER_TERMINATED).processEvent("""
        {"id": "e1", "source": "aws.emr", "detail-type": "EMR Cluster State Change",
         "detail": {"clusterId": 42, "state": "TERMINATED"}}""");
    assertThat(result.outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(result.message()).isEqualTo("no resource id (a non-blank string) at 'detail.clusterId': found 42");
  }

  @Test
  void aPredicateThatThrowsIgnoresTheEventInsteadOfFailingIt() {
    EventProcessor fragile = EventProcessor.builder().source("aws.emr").idPath("detail.clusterId")
        .when(ProcessorPredicate.of("detail.state", state -> state.textValue().startsWith("TERM")))
        .build();
    ProcessingResult result = manager(fragile).processEvent(
        "{\"id\": \"e1\", \"source\": \"aws.emr\", \"detail\": {\"clusterId\": \"j-1\", \"state\": 3}}");
    assertThat(result.outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(result.message()).contains("threw java.lang.NullPointerException");
  }

  @Test
  void acceptsEventsAsMaps() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    ProcessingResult result = manager(CLUSTER_TERMINATED).processEvent(Map.of(
        "id", "e1", "source", "aws.emr", "detail-type", "EMR Cluster State Change",
        "detail", Map.of("clusterId", "j-AAA", "state", "TERMINATED")));
    assertThat(result.outcome()).isEqualTo(Outcome.RELEASED);
  }

  /**
   * The lookup and the delete are two requests: between them the token may be released and its slot taken by
   * another resource. The delete is conditioned on the row's holder and resource id, so the new token survives.
   */
  @Test
  void aStaleLookupNeverFreesASlotRetakenByAnotherResource() {
    NonFungibleLimiter single = limiters.nonFungible("emr-single", 1);   // one slot: the new token must reuse it
    single.reserve(ACCOUNT).createToken("j-OLD");
    SlotStore real = store.slots();
    SlotStore racing = new ForwardingSlots(real) {
      @Override
      public List<SlotRecord> findByResourceId(String resourceId) {
        List<SlotRecord> stale = real.findByResourceId(resourceId);
        single.release("j-OLD");
        single.reserve(ACCOUNT).createToken("j-NEW");
        return stale;
      }
    };
    EventProcessorManager manager = EventProcessorManager.builder()
        .store(new ForwardingStore(store, racing)).processor(CLUSTER_TERMINATED).build();

    ProcessingResult result = manager.processEvent(clusterEvent("e1", "j-OLD", "TERMINATED"));

    assertThat(result.outcome()).isEqualTo(Outcome.NO_MATCHING_TOKEN);
    assertThat(single.activeTokens(ACCOUNT)).extracting(ActiveToken::resourceId).containsExactly("j-NEW");
  }

  @Test
  void aStoreFailurePropagatesAndIsNotRememberedSoARetryWorks() {
    clusters.reserve(ACCOUNT).createToken("j-AAA");
    AtomicInteger failuresLeft = new AtomicInteger(1);
    SlotStore flaky = new ForwardingSlots(store.slots()) {
      @Override
      public List<SlotRecord> findByResourceId(String resourceId) {
        if (failuresLeft.getAndDecrement() > 0) {
          throw new RateLimiterException("the resource index is unavailable");
        }
        return super.findByResourceId(resourceId);
      }
    };
    EventProcessorManager manager = EventProcessorManager.builder()
        .store(new ForwardingStore(store, flaky)).processor(CLUSTER_TERMINATED).build();
    String event = clusterEvent("e1", "j-AAA", "TERMINATED");

    assertThatThrownBy(() -> manager.processEvent(event)).isInstanceOf(RateLimiterException.class);
    assertThat(manager.processEvent(event).outcome()).isEqualTo(Outcome.RELEASED);
  }

  @Test
  void builderFailsFastOnBadValues() {
    EventProcessorManager.Builder builder = EventProcessorManager.builder();
    assertThatThrownBy(() -> builder.deduplicationCacheSize(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("deduplicationCacheSize must not be negative: -1");
    assertThatThrownBy(() -> builder.deduplicationTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("deduplicationTtl must be positive: PT0S");
    assertThatThrownBy(() -> builder.processor(CLUSTER_TERMINATED).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("store is required");
    assertThatThrownBy(() -> EventProcessorManager.builder().store(store).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one processor");
  }

  /** A slot store that forwards every call. */
  static class ForwardingSlots implements SlotStore {
    private final SlotStore delegate;

    ForwardingSlots(SlotStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
      return delegate.list(resourceName, accountId, deadline);
    }

    @Override
    public boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline) {
      return delegate.claim(row, nowEpochSecond, deadline);
    }

    @Override
    public boolean update(SlotRecord row, long nowEpochSecond) {
      return delegate.update(row, nowEpochSecond);
    }

    @Override
    public boolean delete(SlotRecord row) {
      return delegate.delete(row);
    }

    @Override
    public List<SlotRecord> findByResourceId(String resourceId) {
      return delegate.findByResourceId(resourceId);
    }
  }

  /** A store whose slots are replaced. */
  record ForwardingStore(RateLimitStore delegate, SlotStore slots) implements RateLimitStore {
    @Override
    public LimitStore limits() {
      return delegate.limits();
    }

    @Override
    public BucketStore buckets() {
      return delegate.buckets();
    }
  }
}
