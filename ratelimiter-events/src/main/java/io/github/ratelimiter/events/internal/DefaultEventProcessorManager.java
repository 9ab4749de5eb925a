package io.github.ratelimiter.events.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.ratelimiter.events.EventProcessor;
import io.github.ratelimiter.events.EventProcessorManager;
import io.github.ratelimiter.events.ProcessingResult;
import io.github.ratelimiter.events.ProcessingResult.Outcome;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link EventProcessorManager}: routes an event to its processors, releases the tokens they name, and
 * remembers final outcomes by event id.
 *
 * <p>Thread-safe: the routing tables are immutable once built, the cache is a Caffeine cache.
 */
public final class DefaultEventProcessorManager implements EventProcessorManager {

  private static final Logger log = LoggerFactory.getLogger(EventProcessorManager.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** The longest resource id looked up; longer ones cannot be index keys, so looking them up would always fail. */
  private static final int MAX_ID_BYTES = 1024;

  private record Route(String source, String detailType) {}

  private final SlotStore slots;
  private final List<EventProcessor> processors;
  private final Map<Route, List<EventProcessor>> byDetailType;
  private final Map<String, List<EventProcessor>> bySourceOnly;
  private final Cache<String, ProcessingResult> processed;

  /** Builds the manager; {@link EventProcessorManager.Builder} has validated the arguments. */
  public DefaultEventProcessorManager(SlotStore slots, List<EventProcessor> processors, Clock clock,
      long deduplicationCacheSize, Duration deduplicationTtl) {
    this.slots = Objects.requireNonNull(slots, "slots");
    this.processors = List.copyOf(processors);
    Map<Route, List<EventProcessor>> typed = new HashMap<>();
    Map<String, List<EventProcessor>> untyped = new HashMap<>();
    for (EventProcessor processor : this.processors) {
      if (processor.detailType().isPresent()) {
        typed.computeIfAbsent(new Route(processor.source(), processor.detailType().get()), k -> new ArrayList<>())
            .add(processor);
      } else {
        untyped.computeIfAbsent(processor.source(), k -> new ArrayList<>()).add(processor);
      }
    }
    typed.replaceAll((route, list) -> List.copyOf(list));
    untyped.replaceAll((source, list) -> List.copyOf(list));
    this.byDetailType = Map.copyOf(typed);
    this.bySourceOnly = Map.copyOf(untyped);
    this.processed = Caffeine.newBuilder()
        .maximumSize(deduplicationCacheSize)
        .expireAfterWrite(deduplicationTtl)
        .ticker(ticker(clock))
        // Maintenance (eviction) runs on the calling thread: nothing runs between invocations in a frozen Lambda
        // container, and tests see a deterministic size.
        .executor(Runnable::run)
        .build();
  }

  /** Caffeine's time source read from the injected clock, in nanoseconds since the epoch. */
  static Ticker ticker(Clock clock) {
    return () -> {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    };
  }

  @Override
  public List<EventProcessor> processors() {
    return processors;
  }

  @Override
  public ProcessingResult processEvent(String eventJson) {
    Objects.requireNonNull(eventJson, "eventJson");
    JsonNode event;
    try {
      event = MAPPER.readTree(eventJson);
    } catch (JsonProcessingException e) {
      return malformed(null, "not JSON: " + e.getOriginalMessage() + " in " + preview(eventJson));
    }
    return processEvent(event);
  }

  @Override
  public ProcessingResult processEvent(Map<String, ?> event) {
    Objects.requireNonNull(event, "event");
    JsonNode node;
    try {
      node = MAPPER.valueToTree(event);
    } catch (IllegalArgumentException e) {
      return malformed(null, "not convertible to JSON: " + e.getMessage());
    }
    return processEvent(node);
  }

  /*
   * How an event is processed, and why.
   *
   * 1. Shape. A document that is not an object with a string `source` is MALFORMED: logged, never cached (it has
   *    no trustworthy id), and never thrown, so one bad record cannot fail a whole batch.
   * 2. De-duplication. EventBridge delivers at least once and SQS redelivers, so the same event `id` may arrive
   *    many times. A cached final outcome answers DUPLICATE with no store request. Only final outcomes are cached:
   *    RELEASED, and IGNORED (the rules said no; they will say no again). NO_MATCHING_TOKEN is not final: on
   *    DynamoDB the resource index is eventually consistent, so a lookup can miss a token written a moment
   *    before; caching that miss would turn the redelivery that could release it into a no-op and leave the slot
   *    held until its TTL (the Python library's bug). The cache is bounded in size and expires entries after a
   *    fixed time read from the injected clock: an unbounded list made every event slower than the last.
   * 3. Routing. Processors filed under (source, detail-type) take the event; only when there are none do the
   *    processors filed under the source alone. Several processors may share a key; none replaces another.
   * 4. Matching. A processor matches when its predicate holds; it then names a resource id (a non-blank string
   *    at its id path, at most 1024 UTF-8 bytes). A predicate that throws, or a matching processor without a
   *    usable id, leaves the event IGNORED with the reason logged at WARN: retrying would fail identically.
   * 5. Releasing. For each distinct id: findByResourceId (the resource index), then delete(row) for each row; the
   *    store conditions every delete on the row's holder and resource id, so a slot since taken by another
   *    resource is never freed. The event is RELEASED when every id released at least one row, otherwise
   *    NO_MATCHING_TOKEN (ids that did release stay released; a retry is idempotent).
   * 6. Store failures propagate before anything is cached, so the caller's retry (Lambda, SQS) tries again.
   */
  @Override
  public ProcessingResult processEvent(JsonNode event) {
    Objects.requireNonNull(event, "event");
    if (!event.isObject()) {
      return malformed(null, "not a JSON object: " + JsonValues.describe(event));
    }
    String eventId = text(event, "id");
    JsonNode sourceNode = event.path("source");
    if (!sourceNode.isTextual() || sourceNode.textValue().isBlank()) {
      return malformed(eventId, "no string 'source' (found " + JsonValues.describe(sourceNode) + ")");
    }
    String source = sourceNode.textValue();
    String detailType = text(event, "detail-type");

    if (eventId != null) {
      ProcessingResult earlier = processed.getIfPresent(eventId);
      if (earlier != null) {
        log.debug("event {} already processed ({}): skipped", eventId, earlier.outcome());
        return new ProcessingResult(Outcome.DUPLICATE, eventId, source, detailType, List.of(), 0,
            "already processed: " + earlier.outcome() + " (" + earlier.message() + ")");
      }
    }

    ProcessingResult result = process(event, eventId, source, detailType);
    if (eventId != null && result.isFinal()) {
      processed.put(eventId, result);
    }
    return result;
  }

  private ProcessingResult process(JsonNode event, String eventId, String source, String detailType) {
    List<EventProcessor> candidates = detailType == null ? null : byDetailType.get(new Route(source, detailType));
    if (candidates == null) {
      candidates = bySourceOnly.get(source);
    }
    if (candidates == null) {
      String message = "no processor for source '" + source + "' and detail-type '" + detailType + "'";
      log.info("event {} ignored: {}", eventId, message);
      return result(Outcome.IGNORED, eventId, source, detailType, List.of(), 0, message);
    }

    Set<String> resourceIds = new LinkedHashSet<>();
    List<String> problems = new ArrayList<>();
    for (EventProcessor processor : candidates) {
      boolean matches;
      try {
        matches = processor.matches(event);
      } catch (RuntimeException e) {
        problems.add("predicate of " + processor + " threw " + e);
        continue;
      }
      if (!matches) {
        continue;
      }
      String id = processor.resourceId(event).orElse(null);
      if (id == null) {
        problems.add("no resource id (a non-blank string) at '" + processor.idPath() + "': found "
            + JsonValues.describe(EventPath.parse("idPath", processor.idPath()).resolve(event)));
      } else if (id.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
        problems.add("resource id at '" + processor.idPath() + "' is longer than " + MAX_ID_BYTES + " bytes");
      } else {
        resourceIds.add(id);
      }
    }

    if (resourceIds.isEmpty()) {
      if (!problems.isEmpty()) {
        String message = String.join("; ", problems);
        log.warn("event {} ({} / {}) ignored: {}", eventId, source, detailType, message);
        return result(Outcome.IGNORED, eventId, source, detailType, List.of(), 0, message);
      }
      String message = "no processor's predicate holds";
      log.debug("event {} ({} / {}) ignored: {}", eventId, source, detailType, message);
      return result(Outcome.IGNORED, eventId, source, detailType, List.of(), 0, message);
    }

    int released = 0;
    List<String> missing = new ArrayList<>();
    for (String resourceId : resourceIds) {
      int deleted = release(resourceId);
      released += deleted;
      if (deleted == 0) {
        missing.add(resourceId);
      }
    }
    if (missing.isEmpty()) {
      String message = "released " + released + " token(s) of " + resourceIds;
      log.info("event {} ({} / {}): {}", eventId, source, detailType, message);
      return result(Outcome.RELEASED, eventId, source, detailType, List.copyOf(resourceIds), released, message);
    }
    String message = "no token carries resource id(s) " + missing
        + " (never tokenized, already released or expired, or not yet in the resource index); not remembered, so"
        + " a redelivery retries";
    log.info("event {} ({} / {}): {}", eventId, source, detailType, message);
    return result(Outcome.NO_MATCHING_TOKEN, eventId, source, detailType, List.copyOf(resourceIds), released,
        message);
  }

  /** Deletes every row that carries the resource id; the number deleted. */
  private int release(String resourceId) {
    int deleted = 0;
    for (SlotRecord row : slots.findByResourceId(resourceId)) {
      if (slots.delete(row)) {
        deleted++;
        log.debug("released the '{}' token of account '{}' (reservation {}) for resource id '{}'",
            row.resourceName(), row.accountId(), row.reservationId(), resourceId);
      }
    }
    return deleted;
  }

  private static ProcessingResult result(Outcome outcome, String eventId, String source, String detailType,
      List<String> resourceIds, int released, String message) {
    return new ProcessingResult(outcome, eventId, source, detailType, resourceIds, released, message);
  }

  private static ProcessingResult malformed(String eventId, String message) {
    log.warn("malformed event{}: {}", eventId == null ? "" : " " + eventId, message);
    return new ProcessingResult(Outcome.MALFORMED, eventId, null, null, List.of(), 0, message);
  }

  private static String text(JsonNode event, String field) {
    JsonNode node = event.path(field);
    return node.isTextual() ? node.textValue() : null;
  }

  private static String preview(String text) {
    String flat = text.replaceAll("\\s+", " ");
    return "'" + (flat.length() <= 80 ? flat : flat.substring(0, 77) + "...") + "'";
  }

  /** The number of remembered events, after pending evictions (for tests). */
  long cachedEvents() {
    processed.cleanUp();
    return processed.estimatedSize();
  }
}
