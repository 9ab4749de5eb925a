package io.github.ratelimiter.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ratelimiter.events.internal.DefaultEventProcessorManager;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Releases non-fungible tokens when EventBridge (formerly CloudWatch Events) says that their resources ended.
 *
 * <pre>{@code
 * EventProcessorManager manager = EventProcessorManager.builder()
 *     .store(store)                                            // the store the limiters use
 *     .processors(EventRules.fromResource("rules.yaml"))      // or EventProcessor.builder()...build()
 *     .build();
 * ProcessingResult result = manager.processEvent(eventJson);   // RELEASED, NO_MATCHING_TOKEN, IGNORED, ...
 * }</pre>
 *
 * <p><b>Routing.</b> Processors are filed under their source and detail-type. An event goes to the processors filed
 * under its own source and detail-type; only when there are none, to the processors of its source that have no
 * detail-type. Processors never replace one another: several may share a key, and each is tried in the order added.
 *
 * <p><b>Releasing.</b> For each resource id that a matching processor finds, every token row carrying that id is
 * looked up through the store's resource index and deleted with a write conditioned on the row's holder and
 * resource id, so a slot that has since been taken by another resource is never freed. Releasing is idempotent.
 *
 * <p><b>De-duplication.</b> Events whose outcome is final ({@link ProcessingResult#isFinal()}: released or ignored)
 * are remembered by their {@code id} in a cache bounded in size and time ({@link Builder#deduplicationCacheSize},
 * {@link Builder#deduplicationTtl}); a repeat answers {@link ProcessingResult.Outcome#DUPLICATE} without a store
 * request. An event whose token was not found is not remembered, so a redelivery after the token appears
 * releases it.
 *
 * <p><b>Failures.</b> No event makes processing fail forever: a document that is not an event answers
 * {@link ProcessingResult.Outcome#MALFORMED}, a predicate that throws makes the event ignored. Only a store failure
 * throws (a {@link io.github.ratelimiter.RateLimiterException}), and nothing is remembered then, so a retry works.
 *
 * <p>Thread-safe. Concurrent deliveries of one event may both reach the store; one releases, the other finds no
 * token.
 */
public interface EventProcessorManager {

  /** A builder with the defaults: system UTC clock, 10,000 remembered events for one hour. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Processes an event.
   *
   * @param event an EventBridge event document
   * @throws io.github.ratelimiter.RateLimiterException if the store fails
   */
  ProcessingResult processEvent(JsonNode event);

  /**
   * Parses the JSON text of an event and processes it; text that is not a JSON object answers
   * {@link ProcessingResult.Outcome#MALFORMED}.
   *
   * @throws io.github.ratelimiter.RateLimiterException if the store fails
   */
  ProcessingResult processEvent(String eventJson);

  /**
   * Processes an event given as maps and lists, as a {@code RequestHandler<Map<String, Object>, ?>} receives it.
   *
   * @throws io.github.ratelimiter.RateLimiterException if the store fails
   */
  ProcessingResult processEvent(Map<String, ?> event);

  /** The processors, in the order added. */
  List<EventProcessor> processors();

  /** Configures an {@link EventProcessorManager}. Not thread-safe; each setter fails fast on a bad value. */
  final class Builder {
    private RateLimitStore store;
    private final List<EventProcessor> processors = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private long deduplicationCacheSize = 10_000;
    private Duration deduplicationTtl = Duration.ofHours(1);

    private Builder() {}

    /** The store whose non-fungible tokens are released (required). */
    public Builder store(RateLimitStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** Adds a processor. */
    public Builder processor(EventProcessor processor) {
      processors.add(Objects.requireNonNull(processor, "processor"));
      return this;
    }

    /** Adds processors, e.g. those of {@link EventRules}. */
    public Builder processors(Collection<EventProcessor> processors) {
      for (EventProcessor processor : Objects.requireNonNull(processors, "processors")) {
        processor(processor);
      }
      return this;
    }

    /** The clock that times the de-duplication cache; default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How many event ids are remembered at most; default 10,000. Zero disables de-duplication.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder deduplicationCacheSize(long size) {
      if (size < 0) {
        throw new IllegalArgumentException("deduplicationCacheSize must not be negative: " + size);
      }
      this.deduplicationCacheSize = size;
      return this;
    }

    /**
     * How long an event id is remembered after its event was processed; default one hour.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder deduplicationTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "deduplicationTtl");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("deduplicationTtl must be positive: " + ttl);
      }
      this.deduplicationTtl = ttl;
      return this;
    }

    /**
     * Builds the manager.
     *
     * @throws IllegalStateException if no store was set or no processor was added
     */
    public EventProcessorManager build() {
      if (store == null) {
        throw new IllegalStateException("store is required: call store(...) with the limiters' store");
      }
      if (processors.isEmpty()) {
        throw new IllegalStateException("at least one processor is required: call processor(...) or processors(...)");
      }
      return new DefaultEventProcessorManager(
          store.slots(), processors, clock, deduplicationCacheSize, deduplicationTtl);
    }
  }
}
