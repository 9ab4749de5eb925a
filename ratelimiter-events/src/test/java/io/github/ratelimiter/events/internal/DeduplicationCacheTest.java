package io.github.ratelimiter.events.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.ratelimiter.events.EventProcessor;
import io.github.ratelimiter.events.EventProcessorManager;
import io.github.ratelimiter.events.ProcessingResult.Outcome;
import io.github.ratelimiter.events.ProcessorPredicate;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeduplicationCacheTest {

  private static final EventProcessor CLUSTER_TERMINATED = EventProcessor.builder()
      .source("aws.emr").detailType("EMR Cluster State Change").idPath("detail.clusterId")
      .when(ProcessorPredicate.in("detail.state", List.of("TERMINATED", "TERMINATED_WITH_ERRORS")))
      .build();

  private final ManualClock clock = ManualClock.create();

  private DefaultEventProcessorManager manager(long size, Duration ttl) {
    return (DefaultEventProcessorManager) EventProcessorManager.builder()
        .store(InMemoryStore.create()).clock(clock).processor(CLUSTER_TERMINATED)
        .deduplicationCacheSize(size).deduplicationTtl(ttl).build();
  }

  private static ObjectNode runningCluster(int n) {
    ObjectNode event = JsonNodeFactory.instance.objectNode()
        .put("id", "event-" + n).put("source", "aws.emr").put("detail-type", "EMR Cluster State Change");
    event.putObject("detail").put("clusterId", "j-" + n).put("state", "RUNNING");
    return event;
  }

  /** Regression: the Python library kept every event id in a list, so each event cost more than the last. */
  @Test
  void oneHundredThousandDistinctEventsKeepTheCacheBounded() {
    DefaultEventProcessorManager manager = manager(1_000, Duration.ofHours(1));

    for (int n = 0; n < 100_000; n++) {
      assertThat(manager.processEvent(runningCluster(n)).outcome()).isEqualTo(Outcome.IGNORED);
      if (n % 10_000 == 0) {
        assertThat(manager.cachedEvents()).isLessThanOrEqualTo(1_000);
      }
    }

    assertThat(manager.cachedEvents()).isLessThanOrEqualTo(1_000);
    assertThat(manager.processEvent(runningCluster(99_999)).outcome()).isEqualTo(Outcome.DUPLICATE);
  }

  @Test
  void entriesExpireAfterTheTtlOnTheInjectedClock() {
    DefaultEventProcessorManager manager = manager(1_000, Duration.ofMinutes(5));
    manager.processEvent(runningCluster(1));
    clock.advance(Duration.ofMinutes(4));
    manager.processEvent(runningCluster(2));
    assertThat(manager.cachedEvents()).isEqualTo(2);

    clock.advance(Duration.ofMinutes(1));
    assertThat(manager.cachedEvents()).isEqualTo(1);
    assertThat(manager.processEvent(runningCluster(1)).outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(manager.processEvent(runningCluster(2)).outcome()).isEqualTo(Outcome.DUPLICATE);
  }

  @Test
  void aZeroSizeDisablesDeduplication() {
    DefaultEventProcessorManager manager = manager(0, Duration.ofHours(1));
    manager.processEvent(runningCluster(1));
    assertThat(manager.processEvent(runningCluster(1)).outcome()).isEqualTo(Outcome.IGNORED);
    assertThat(manager.cachedEvents()).isZero();
  }
}
