package io.github.ratelimiter.server.internal;

import com.google.protobuf.util.Durations;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.DescriptorStatus;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.RateLimit.Unit;
import io.github.ratelimiter.server.RequestBounds;
import io.github.ratelimiter.server.internal.DescriptorDecisions.Check;
import io.github.ratelimiter.server.internal.DescriptorDecisions.Outcome;
import io.github.ratelimiter.server.internal.RateLimitConfig.Match;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One {@code ShouldRateLimit}, in envoyproxy/ratelimit's order ({@code service/ratelimit.go}): validate the request,
 * look each descriptor up in the configuration, drop what {@code replaces} names, answer {@code unlimited} ones at
 * once, decide the rest through the {@link DescriptorDecisions} seam, then build the statuses and count.
 *
 * <p>The one intended difference: a request's enforcing descriptors are decided together
 * ({@code allOrNothing}), so when one is over nothing is charged on any (see {@link JointDescriptorDecisions} for
 * how). Shadow-mode descriptors never deny: they are decided each on
 * its own after the enforcing ones, charged when the request is admitted and only looked at when it is not.
 * Thread-safe: the configuration is read once per request from {@code generation}. Non-blocking: the request and
 * the configuration are checked on the calling thread, the store's part continues as futures (see
 * {@link DescriptorDecisions}), and the statuses are built and counted by whichever thread completes the last of them.
 */
final class Decider {

  /** What {@code unlimited} descriptors report as {@code limit_remaining}, as envoyproxy/ratelimit does. */
  static final int MAX_UINT32 = -1;

  /** A configuration and the decisions on the limiters built for it; swapped as one on reload. */
  record Generation(RateLimitConfig config, DescriptorDecisions decisions) {}

  private final Supplier<Generation> generation;
  private final RequestBounds bounds;
  private final ServerMeters meters;

  Decider(Supplier<Generation> generation, RequestBounds bounds, ServerMeters meters) {
    this.generation = generation;
    this.bounds = bounds;
    this.meters = meters;
  }

  /**
   * Decides the request without waiting: what can be checked in process (the request, the configuration) at once,
   * the store's part as futures.
   *
   * @return the response; completed exceptionally with an {@link InvalidRequestException} naming the field of a bad
   *     request, or a {@link io.github.ratelimiter.RateLimiterException} when the store fails and the failure mode
   *     is fail-closed. Complete at once when nothing needed the store.
   */
  CompletableFuture<RateLimitResponse> decide(RateLimitRequest request) {
    try {
      return decideOrThrow(request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<RateLimitResponse> decideOrThrow(RateLimitRequest request) {
    validate(request);
    Generation current = generation.get();
    int count = request.getDescriptorsCount();
    long[] hits = new long[count];
    Match[] matches = new Match[count];
    Set<String> replaced = new HashSet<>();
    for (int i = 0; i < count; i++) {
      RateLimitDescriptor descriptor = request.getDescriptors(i);
      hits[i] = descriptor.hasHitsAddend() ? descriptor.getHitsAddend().getValue()
          : Math.max(1, Integer.toUnsignedLong(request.getHitsAddend()));
      matches[i] = descriptor.hasLimit() ? override(request.getDomain(), descriptor)
          : current.config().match(request.getDomain(), descriptor);
      if (matches[i] != null) {
        replaced.addAll(matches[i].rule().replaces());
      }
    }
    List<Check> enforcing = new ArrayList<>();
    List<Integer> enforcingIndex = new ArrayList<>();
    List<Check> shadow = new ArrayList<>();
    List<Integer> shadowIndex = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Match match = matches[i];
      if (match == null || match.rule().unlimited()) {
        continue;
      }
      List<LimitSpec> kept = new ArrayList<>();
      for (LimitSpec spec : match.rule().limits()) {
        if (spec.name().isEmpty() || !replaced.contains(spec.name())) {
          kept.add(spec);
        }
      }
      if (kept.isEmpty()) {
        continue;
      }
      Check check = new Check(match.rule().fullKey(), match.account(), kept, hits[i]);
      if (match.rule().shadowMode()) {
        shadow.add(check);
        shadowIndex.add(i);
      } else {
        enforcing.add(check);
        enforcingIndex.add(i);
      }
    }
    DescriptorDecisions decisions = current.decisions();
    // written by one completion, then read by the next (CompletableFuture completion orders them)
    Outcome[] outcomes = new Outcome[count];
    CompletableFuture<List<Outcome>> enforced = enforcing.isEmpty()
        ? CompletableFuture.completedFuture(List.of()) : decisions.decide(enforcing, true);
    return enforced.thenCompose(decided -> {
      boolean admitted = true;
      for (int j = 0; j < decided.size(); j++) {
        outcomes[enforcingIndex.get(j)] = decided.get(j);
        admitted &= decided.get(j).allowed();
      }
      if (shadow.isEmpty()) {
        return CompletableFuture.completedFuture(admitted);
      }
      List<Check> shadowChecks = shadow;
      if (!admitted) {
        shadowChecks = shadow.stream().map(c -> new Check(c.resource(), c.account(), c.limits(), 0)).toList();
      }
      boolean overall = admitted;
      return decisions.decide(shadowChecks, false).thenApply(shadowDecided -> {
        for (int j = 0; j < shadowDecided.size(); j++) {
          outcomes[shadowIndex.get(j)] = shadowDecided.get(j);
        }
        return overall;
      });
    }).thenApply(admitted -> {
      RateLimitResponse.Builder response = RateLimitResponse.newBuilder()
          .setOverallCode(admitted ? Code.OK : Code.OVER_LIMIT);
      for (int i = 0; i < count; i++) {
        response.addStatuses(status(matches[i], outcomes[i], hits[i], admitted));
      }
      return response.build();
    });
  }

  private DescriptorStatus status(Match match, Outcome outcome, long hits, boolean admitted) {
    if (match != null && match.rule().unlimited()) {
      return DescriptorStatus.newBuilder().setCode(Code.OK).setLimitRemaining(MAX_UINT32).build();
    }
    if (outcome == null) {
      return DescriptorStatus.newBuilder().setCode(Code.OK).build();
    }
    boolean shadowMode = match.rule().shadowMode();
    ServerMeters.KeyCounters counters = meters.counters(match);
    counters.totalHits().increment(hits);
    if (outcome.degraded()) {
      counters.degraded().increment(hits);
    }
    if (!outcome.allowed()) {
      (shadowMode ? counters.shadowMode() : counters.overLimit()).increment(hits);
      if (shadowMode) {
        counters.overLimit().increment(hits);
      }
    } else {
      counters.withinLimit().increment(hits);
      long limit = outcome.limit().requestsPerUnit();
      if (hits > 0 && admitted && outcome.remaining() * 5 < limit) {
        counters.nearLimit().increment(hits);
      }
    }
    LimitSpec spec = outcome.limit();
    RateLimitResponse.RateLimit.Builder currentLimit = RateLimitResponse.RateLimit.newBuilder()
        .setRequestsPerUnit((int) spec.requestsPerUnit())
        .setUnit(spec.unit());
    if (!spec.name().isEmpty()) {
      currentLimit.setName(spec.name());
    }
    return DescriptorStatus.newBuilder()
        .setCode(outcome.allowed() || shadowMode ? Code.OK : Code.OVER_LIMIT)
        .setCurrentLimit(currentLimit)
        .setLimitRemaining((int) Math.min(outcome.remaining(), 0xFFFF_FFFFL))
        .setDurationUntilReset(Durations.fromNanos(outcome.untilReset().toNanos()))
        .build();
  }

  /**
   * The request's own limit for a descriptor ({@code RateLimitDescriptor.limit}, set by Envoy's
   * {@code limit} override action): never in shadow mode, its bucket named by the descriptor's keys.
   */
  private static Match override(String domain, RateLimitDescriptor descriptor) {
    Unit unit = switch (descriptor.getLimit().getUnit()) {
      case SECOND -> Unit.SECOND;
      case MINUTE -> Unit.MINUTE;
      case HOUR -> Unit.HOUR;
      case DAY -> Unit.DAY;
      case MONTH -> Unit.MONTH;
      case YEAR -> Unit.YEAR;
      default -> throw new InvalidRequestException("descriptors[].limit.unit",
          "must be a known unit: " + descriptor.getLimit().getUnit());
    };
    StringBuilder key = new StringBuilder("override:").append(domain);
    for (RateLimitDescriptor.Entry entry : descriptor.getEntriesList()) {
      key.append('.').append(entry.getKey());
    }
    String fullKey = key.toString();
    if (fullKey.getBytes(StandardCharsets.UTF_8).length > ConfigLoader.MAX_RESOURCE_BYTES) {
      throw new InvalidRequestException("descriptors[].entries", "the keys of a descriptor with a limit override"
          + " are longer than " + ConfigLoader.MAX_RESOURCE_BYTES + " UTF-8 bytes together");
    }
    LimitSpec spec = new LimitSpec("", Integer.toUnsignedLong(descriptor.getLimit().getRequestsPerUnit()), unit);
    Rule rule = new Rule(fullKey, List.of(spec), false, false, false, List.of(), "request");
    return new Match(rule, RateLimitConfig.account(descriptor.getEntriesList(), null), fullKey, false);
  }

  /** Checks the request against the protocol and the bounds, naming the first bad field. */
  void validate(RateLimitRequest request) {
    if (request.getDomain().isEmpty()) {
      throw new InvalidRequestException("domain", "rate limit domain must not be empty");
    }
    int count = request.getDescriptorsCount();
    if (count == 0) {
      throw new InvalidRequestException("descriptors", "rate limit descriptor list must not be empty");
    }
    if (count > bounds.maxDescriptors()) {
      throw new InvalidRequestException("descriptors", count + " descriptors, at most " + bounds.maxDescriptors());
    }
    if (Integer.toUnsignedLong(request.getHitsAddend()) > bounds.maxHitsAddend()) {
      throw new InvalidRequestException("hits_addend", "at most " + bounds.maxHitsAddend() + ": "
          + Integer.toUnsignedString(request.getHitsAddend()));
    }
    for (int i = 0; i < count; i++) {
      RateLimitDescriptor descriptor = request.getDescriptors(i);
      String field = "descriptors[" + i + "]";
      if (descriptor.getEntriesCount() == 0) {
        throw new InvalidRequestException(field + ".entries", "a descriptor must have at least one entry");
      }
      if (descriptor.getEntriesCount() > bounds.maxEntries()) {
        throw new InvalidRequestException(field + ".entries", descriptor.getEntriesCount() + " entries, at most "
            + bounds.maxEntries());
      }
      if (descriptor.hasHitsAddend()) {
        long addend = descriptor.getHitsAddend().getValue();
        if (addend < 0 || addend > bounds.maxHitsAddend()) {
          throw new InvalidRequestException(field + ".hits_addend", "at most " + bounds.maxHitsAddend() + ": "
              + Long.toUnsignedString(addend));
        }
      }
      for (int e = 0; e < descriptor.getEntriesCount(); e++) {
        RateLimitDescriptor.Entry entry = descriptor.getEntries(e);
        String entryField = field + ".entries[" + e + "]";
        if (entry.getKey().isEmpty()) {
          throw new InvalidRequestException(entryField + ".key", "must not be empty");
        }
        int keyBytes = entry.getKey().getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes > bounds.maxKeyBytes()) {
          throw new InvalidRequestException(entryField + ".key", keyBytes + " UTF-8 bytes, at most "
              + bounds.maxKeyBytes());
        }
        int valueBytes = entry.getValue().getBytes(StandardCharsets.UTF_8).length;
        if (valueBytes > bounds.maxValueBytes()) {
          throw new InvalidRequestException(entryField + ".value", valueBytes + " UTF-8 bytes, at most "
              + bounds.maxValueBytes());
        }
      }
    }
  }
}
