package io.github.ratelimiter.server.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The service's meters, named in the spirit of envoyproxy/ratelimit's statistics
 * ({@code ratelimit.service.rate_limit.<key>.total_hits} there, a {@code key} tag here):
 *
 * <ul>
 *   <li>{@code ratelimit.service.rate_limit.total_hits}, {@code .within_limit}, {@code .over_limit},
 *       {@code .near_limit} (admitted with less than 20% of the limit left), {@code .shadow_mode} (over the limit
 *       in shadow mode, answered OK), {@code .degraded} (admitted without the store, fail-open): hits, by
 *       {@code key} (the rule's full key, e.g. {@code messaging.to_number}; per request value for
 *       {@code detailed_metric} and {@code value_to_metric})
 *   <li>{@code ratelimit.service.should_rate_limit.errors} by {@code reason} ({@code invalid_argument},
 *       {@code store}, {@code deadline}, {@code internal})
 *   <li>{@code ratelimit.service.config_load} by {@code outcome} ({@code success}, {@code error})
 *   <li>{@code ratelimit.service.response_time}: the time to decide a request
 * </ul>
 *
 * <p>Per-value keys are capped: a rule's first {@link #MAX_KEYS_PER_RULE} distinct keys get meters of their own,
 * every later one is folded into {@code <full key>.other}, so a caller sending ever-new values cannot grow the
 * registry without bound. Thread-safe.
 */
final class ServerMeters {

  /** Distinct per-value keys per rule before folding into {@code <full key>.other}. */
  static final int MAX_KEYS_PER_RULE = 100;

  /** The counters of one key. */
  record KeyCounters(Counter totalHits, Counter withinLimit, Counter overLimit, Counter nearLimit,
      Counter shadowMode, Counter degraded) {}

  private final MeterRegistry registry;
  private final Map<String, KeyCounters> byKey = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> keysPerRule = new ConcurrentHashMap<>();
  private final Counter invalid;
  private final Counter storeErrors;
  private final Counter deadlines;
  private final Counter internal;
  private final Counter configSuccess;
  private final Counter configError;
  final Timer responseTime;

  ServerMeters(MeterRegistry registry) {
    this.registry = registry;
    this.invalid = error("invalid_argument");
    this.storeErrors = error("store");
    this.deadlines = error("deadline");
    this.internal = error("internal");
    this.configSuccess = Counter.builder("ratelimit.service.config_load").tag("outcome", "success")
        .description("configuration loads and reloads").register(registry);
    this.configError = Counter.builder("ratelimit.service.config_load").tag("outcome", "error")
        .description("configuration loads and reloads").register(registry);
    this.responseTime = Timer.builder("ratelimit.service.response_time")
        .description("time to decide one ShouldRateLimit request").register(registry);
  }

  private Counter error(String reason) {
    return Counter.builder("ratelimit.service.should_rate_limit.errors").tag("reason", reason)
        .description("requests answered with an error").register(registry);
  }

  /** The counters of a match's key, folded into {@code <rule>.other} past the cap. */
  KeyCounters counters(RateLimitConfig.Match match) {
    String key = match.metricKey();
    KeyCounters counters = byKey.get(key);
    if (counters != null) {
      return counters;
    }
    if (match.perValueMetric()) {
      Set<String> keys = keysPerRule.computeIfAbsent(match.rule().fullKey(), k -> ConcurrentHashMap.newKeySet());
      if (!keys.contains(key)) {
        synchronized (keys) {
          if (keys.size() >= MAX_KEYS_PER_RULE && !keys.contains(key)) {
            key = match.rule().fullKey() + ".other";
          } else {
            keys.add(key);
          }
        }
      }
    }
    return byKey.computeIfAbsent(key, this::register);
  }

  private KeyCounters register(String key) {
    return new KeyCounters(counter("total_hits", key), counter("within_limit", key), counter("over_limit", key),
        counter("near_limit", key), counter("shadow_mode", key), counter("degraded", key));
  }

  private Counter counter(String name, String key) {
    return Counter.builder("ratelimit.service.rate_limit." + name).tag("key", key).register(registry);
  }

  void invalidRequest() {
    invalid.increment();
  }

  void storeError() {
    storeErrors.increment();
  }

  void deadlineExceeded() {
    deadlines.increment();
  }

  void internalError() {
    internal.increment();
  }

  void configLoaded(boolean success) {
    (success ? configSuccess : configError).increment();
  }
}
