package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fungible limiters that routes and limited methods declared: one per resource, so that a route and a method
 * on the same resource share its buckets, and a resource declared twice with different default quotas (limits) or
 * failure modes fails at startup, naming both declarations. Thread-safe.
 */
public final class LimiterRegistry {

  /**
   * One declared limiter.
   *
   * @param resource the resource
   * @param defaultQuota its default quota: one limit, or several decided together
   * @param failureMode its failure mode
   * @param declaredBy every declaration, e.g. {@code ratelimiter.http.routes[0]}
   * @param limiter the limiter
   */
  public record Entry(String resource, Quota defaultQuota, FailureMode failureMode, List<String> declaredBy,
      FungibleLimiter limiter) {}

  private final RateLimiters limiters;
  private final FailureMode defaultFailureMode;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /**
   * @param limiters the limiters to make each limiter with
   * @param defaultFailureMode their failure mode: that of a declaration that names none
   */
  public LimiterRegistry(RateLimiters limiters, FailureMode defaultFailureMode) {
    this.limiters = Objects.requireNonNull(limiters, "limiters");
    this.defaultFailureMode = Objects.requireNonNull(defaultFailureMode, "defaultFailureMode");
  }

  /**
   * The resource's limiter, made on first use.
   *
   * @param failureMode the declaration's failure mode, or {@code null} for the default
   * @param declaredBy who declares it, for the listing and for conflict messages
   * @throws IllegalStateException if the resource was declared with another default quota or failure mode
   */
  public synchronized FungibleLimiter fungible(String resource, Quota defaultQuota, FailureMode failureMode,
      String declaredBy) {
    FailureMode mode = failureMode == null ? defaultFailureMode : failureMode;
    Entry entry = entries.get(resource);
    if (entry == null) {
      // No failure mode, or the default one: the same options as limiters.fungible(name, quota) in application code,
      // so that such code gets this very limiter.
      LimiterOptions options = failureMode == null || failureMode == defaultFailureMode ? LimiterOptions.defaults()
          : LimiterOptions.builder().failureMode(failureMode).build();
      FungibleLimiter limiter = limiters.fungible(resource, defaultQuota, options);
      entries.put(resource, new Entry(resource, defaultQuota, mode, new ArrayList<>(List.of(declaredBy)), limiter));
      return limiter;
    }
    if (!entry.defaultQuota().equals(defaultQuota) || entry.failureMode() != mode) {
      throw new IllegalStateException("resource '" + resource + "' is declared by " + declaredBy + " with "
          + described(defaultQuota) + " and " + mode + ", but by " + String.join(", ", entry.declaredBy()) + " with "
          + described(entry.defaultQuota()) + " and " + entry.failureMode()
          + ": one resource has one default limit (or quota) and failure mode; use another resource name");
    }
    if (!entry.declaredBy().contains(declaredBy)) {
      entry.declaredBy().add(declaredBy);
    }
    return entry.limiter();
  }

  private static String described(Quota quota) {
    return (quota.size() == 1 ? "limit " : "limits ") + quota;
  }

  /** Every declared limiter, in declaration order. */
  public synchronized List<Entry> entries() {
    List<Entry> copy = new ArrayList<>();
    for (Entry e : entries.values()) {
      copy.add(new Entry(e.resource(), e.defaultQuota(), e.failureMode(), List.copyOf(e.declaredBy()), e.limiter()));
    }
    return copy;
  }
}
