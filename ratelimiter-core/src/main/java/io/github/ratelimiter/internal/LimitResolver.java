package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads limit rows through a cache, so that in steady state a decision sends no request to the limit table. A
 * changed row takes effect within the time to live. Thread-safe.
 *
 * <h2>Whole resources, then single accounts</h2>
 *
 * <p>Most accounts have no row of their own: the caller's default applies to them. Caching "no row" per account
 * still costs one read the first time each account is seen and again after every expiry, so a service with 10,000
 * quiet tenants would pay a limit read on nearly every decision. Instead a resource's rows are read all at once, in
 * one consistent query, when there are at most {@link #WHOLE_RESOURCE_ROWS} of them (a few tens of kilobytes): then
 * the answer for every account, row or default, is in memory for the time to live, at the cost of one request per
 * resource per time to live. A resource with more rows than that is marked as such for the time to live, and its
 * accounts are read and cached one at a time, as a point read per account, "no row" included.
 */
final class LimitResolver {

  /** The most rows of one resource that are read and held at once. */
  static final int WHOLE_RESOURCE_ROWS = 1_000;

  private record Key(String resourceName, String accountId) {}

  private final LimitStore limits;
  private final int wholeResourceRows;
  /** Per resource: its rows by account, or empty when it has more than {@link #wholeResourceRows}. */
  private final Cache<String, Optional<Map<String, LimitRecord>>> resources;
  private final Cache<Key, Optional<LimitRecord>> accounts;

  LimitResolver(LimitStore limits, Clock clock, Duration ttl) {
    this(limits, clock, ttl, WHOLE_RESOURCE_ROWS);
  }

  LimitResolver(LimitStore limits, Clock clock, Duration ttl, int wholeResourceRows) {
    this.limits = limits;
    this.wholeResourceRows = wholeResourceRows;
    Ticker ticker = () -> Gcra.epochNanos(clock.instant());
    this.resources = ttl.isZero()
        ? null
        : Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(10_000).ticker(ticker).build();
    this.accounts = ttl.isZero()
        ? null
        : Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).ticker(ticker).build();
  }

  /** The row for (resource, account), or empty. */
  Optional<LimitRecord> find(String resourceName, String accountId) {
    if (resources == null) {
      return limits.find(resourceName, accountId);
    }
    Optional<Map<String, LimitRecord>> rows = resources.get(resourceName, this::readWhole);
    if (rows.isPresent()) {
      return Optional.ofNullable(rows.get().get(accountId));
    }
    return accounts.get(new Key(resourceName, accountId), key -> limits.find(resourceName, accountId));
  }

  private Optional<Map<String, LimitRecord>> readWhole(String resourceName) {
    return limits.listByResource(resourceName, wholeResourceRows).map(LimitResolver::byAccount);
  }

  private static Map<String, LimitRecord> byAccount(List<LimitRecord> rows) {
    Map<String, LimitRecord> byAccount = new HashMap<>(rows.size() * 2);
    for (LimitRecord row : rows) {
      byAccount.put(row.accountId(), row);
    }
    return Map.copyOf(byAccount);
  }
}
