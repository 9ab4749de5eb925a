package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <h2>Refreshed ahead of expiry</h2>
 *
 * <p>A resource's rows are read again by the first decision after nine tenths of the time to live, on that
 * decision's thread, while every other thread keeps using the rows it has: a busy resource never makes all its
 * callers wait for the limit table at once, and a failed refresh is logged (once per interval, with a count) and
 * tried again by the next decision, the old rows serving meanwhile. Only a resource not asked about during the last tenth (or never) is read with its
 * callers waiting, one read for all of them.
 *
 * <p>Both caches expire on the time the deciding caller read from its clock ({@code nowNanos}), never on a clock
 * of their own, so a decision sees one instant and tests move time by passing it.
 */
final class LimitResolver {

  private static final Logger log = LoggerFactory.getLogger(LimitResolver.class);

  /** The most rows of one resource that are read and held at once. */
  static final int WHOLE_RESOURCE_ROWS = 1_000;

  private record Key(String resourceName, String accountId) {}

  /** One account's row (or "no row") as read at some time, good until {@code expiresAtNanos}. */
  private record AccountRow(Optional<LimitRecord> row, long expiresAtNanos) {}

  /**
   * A resource's rows by account as read at some time, or empty when it has too many; refreshed from
   * {@code refreshAtNanos} by whoever wins {@code refreshing}, good until {@code expiresAtNanos}.
   */
  private record Snapshot(Optional<Map<String, LimitRecord>> rows, long refreshAtNanos, long expiresAtNanos,
      AtomicBoolean refreshing) {}

  private final LimitStore limits;
  private final Clock clock;
  private final long ttlNanos;
  private final int wholeResourceRows;
  /** Per resource (a handful: limiters are made per resource in code), so a plain map. */
  private final ConcurrentHashMap<String, Snapshot> resources = new ConcurrentHashMap<>();
  /** Per account of resources with too many rows to hold whole; bounded, expired by {@link AccountRow}. */
  private final Cache<Key, AccountRow> accounts;

  private final RateLimiterListener listener;
  private final OutageLog refreshFailures;

  LimitResolver(LimitStore limits, Clock clock, Duration ttl) {
    this(limits, clock, ttl, WHOLE_RESOURCE_ROWS, RateLimiterListener.NONE);
  }

  LimitResolver(LimitStore limits, Clock clock, Duration ttl, RateLimiterListener listener) {
    this(limits, clock, ttl, WHOLE_RESOURCE_ROWS, listener);
  }

  LimitResolver(LimitStore limits, Clock clock, Duration ttl, int wholeResourceRows) {
    this(limits, clock, ttl, wholeResourceRows, RateLimiterListener.NONE);
  }

  LimitResolver(LimitStore limits, Clock clock, Duration ttl, int wholeResourceRows, RateLimiterListener listener) {
    this.listener = listener;
    this.refreshFailures =
        new OutageLog(log, "refreshing cached limit rows (they serve until they expire)", clock);
    this.limits = limits;
    this.clock = clock;
    this.ttlNanos = ttl.toNanos();
    this.wholeResourceRows = wholeResourceRows;
    this.accounts = ttl.isZero() ? null : Caffeine.newBuilder().maximumSize(100_000).build();
  }

  /**
   * The row for (resource, account), or empty, at {@code nowNanos} (epoch nanoseconds of the clock), a read that it
   * needs sent within the decision's {@code deadline}. (A caller that waits for another's read of the same resource
   * waits for that read, which its own deadline bounds.)
   */
  Optional<LimitRecord> find(String resourceName, String accountId, long nowNanos, Deadline deadline) {
    return Optional.ofNullable(lookup(resourceName, accountId, nowNanos, deadline).row());
  }

  /**
   * The row for (resource, account) at {@code nowNanos}, or null for none, and the time until which this resolver
   * gives that same answer.
   *
   * @param row the row, or null for none
   * @param untilNanos the answer holds for every {@code now < untilNanos}: until the resource's rows are due for a
   *     refresh, or the account's cached row expires; {@code nowNanos} itself when nothing is cached (time to live
   *     zero), so it holds for no later call
   */
  record Lookup(LimitRecord row, long untilNanos) {}

  /**
   * As {@link #find}, and until when that answer holds (see {@link Lookup}). A caller
   * may keep using it for any time before then instead of asking again: the rows behind it are not read again before
   * then, so a changed row still takes effect within the time to live.
   */
  Lookup lookup(String resourceName, String accountId, long nowNanos, Deadline deadline) {
    if (accounts == null) {
      return new Lookup(readAccount(resourceName, accountId, deadline).orElse(null), nowNanos);
    }
    Snapshot snapshot = resources.get(resourceName);
    if (snapshot == null || nowNanos - snapshot.expiresAtNanos() >= 0) {
      // One reader per resource at a time; the others wait for its rows rather than read them too.
      snapshot = readOnce(readingResources, resourceName, deadline, () -> freshSnapshot(resourceName, nowNanos), () -> {
        Snapshot fresh = snapshot(readWhole(resourceName, deadline), nowNanos);
        resources.put(resourceName, fresh);
        return fresh;
      });
    } else if (nowNanos - snapshot.refreshAtNanos() >= 0 && snapshot.refreshing().compareAndSet(false, true)) {
      snapshot = refresh(resourceName, snapshot, nowNanos, deadline);
    }
    if (snapshot.rows().isPresent()) {
      // A snapshot is replaced only from its refresh time on (by a refresh, or when it has expired).
      return new Lookup(snapshot.rows().get().get(accountId), snapshot.refreshAtNanos());
    }
    Key key = new Key(resourceName, accountId);
    AccountRow cached = accounts.getIfPresent(key);
    if (cached == null || nowNanos - cached.expiresAtNanos() >= 0) {
      // One reader per account at a time, as for resources.
      cached = readOnce(readingAccounts, key, deadline, () -> freshAccount(key, nowNanos), () -> {
        AccountRow read = new AccountRow(readAccount(resourceName, accountId, deadline), nowNanos + ttlNanos);
        accounts.put(key, read);
        return read;
      });
    }
    return accountLookup(cached, snapshot);
  }

  /** Reads of a resource's rows in flight for the non-blocking path: one per resource, the others wait for it. */
  private final ConcurrentHashMap<String, CompletableFuture<Snapshot>> readingResources = new ConcurrentHashMap<>();
  /** Reads of an account's row in flight for the non-blocking path: one per account. */
  private final ConcurrentHashMap<Key, CompletableFuture<AccountRow>> readingAccounts = new ConcurrentHashMap<>();

  /**
   * {@link #lookup} without waiting, with the same cache and the same answers: complete at once while the cached rows
   * hold; else one read per resource (or account) in flight, which the other decisions on it wait for (the blocking
   * path's readers wait for theirs too). A snapshot due for its refresh serves at once while the refresh reads in the
   * background: no decision waits for a refresh.
   */
  CompletableFuture<Lookup> lookupAsync(String resourceName, String accountId, long nowNanos, Deadline deadline) {
    if (accounts == null) {
      return readAccountAsync(resourceName, accountId, deadline)
          .thenApply(row -> new Lookup(row.orElse(null), nowNanos));
    }
    Snapshot snapshot = resources.get(resourceName);
    if (snapshot == null || nowNanos - snapshot.expiresAtNanos() >= 0) {
      return readSnapshotAsync(resourceName, nowNanos, deadline)
          .thenCompose(read -> fromSnapshotAsync(resourceName, accountId, read, nowNanos, deadline));
    }
    if (nowNanos - snapshot.refreshAtNanos() >= 0 && snapshot.refreshing().compareAndSet(false, true)) {
      Snapshot stale = snapshot;
      Futures.of(() -> readWholeAsync(resourceName, deadline)).whenComplete((rows, failure) -> {
        if (failure == null) {
          resources.replace(resourceName, stale, snapshot(rows, nowNanos));
        } else {
          Throwable cause = Futures.unwrap(failure);
          refreshFailures.failed(cause instanceof RuntimeException e ? e : new CompletionException(cause));
          stale.refreshing().set(false);
        }
      });
    }
    return fromSnapshotAsync(resourceName, accountId, snapshot, nowNanos, deadline);
  }

  /** The resource's rows, read once however many decisions ask meanwhile, then cached. */
  private CompletableFuture<Snapshot> readSnapshotAsync(String resourceName, long nowNanos, Deadline deadline) {
    return readOnceAsync(readingResources, resourceName, () -> freshSnapshot(resourceName, nowNanos),
        () -> readWholeAsync(resourceName, deadline).thenApply(rows -> {
          Snapshot fresh = snapshot(rows, nowNanos);
          resources.put(resourceName, fresh);
          return fresh;
        }));
  }

  /** The resource's cached rows while they hold at {@code nowNanos}, or null. */
  private Snapshot freshSnapshot(String resourceName, long nowNanos) {
    Snapshot snapshot = resources.get(resourceName);
    return snapshot != null && nowNanos - snapshot.expiresAtNanos() < 0 ? snapshot : null;
  }

  /** The account's cached row while it holds at {@code nowNanos}, or null. */
  private AccountRow freshAccount(Key key, long nowNanos) {
    AccountRow row = accounts.getIfPresent(key);
    return row != null && nowNanos - row.expiresAtNanos() < 0 ? row : null;
  }

  /**
   * One read per key in flight, on the blocking path: the first caller reads here (unless the cache was filled since
   * it looked), the others wait for its answer within their deadline, or share its failure. No lock is held while
   * reading, so a virtual thread reading the store never pins its carrier.
   */
  private static <K, V> V readOnce(ConcurrentHashMap<K, CompletableFuture<V>> reading, K key, Deadline deadline,
      Supplier<V> cached, Supplier<V> read) {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> other = reading.putIfAbsent(key, mine);
    if (other != null) {
      deadline.await(other, "another thread's read of the same limit rows answered");
      try {
        return other.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
    }
    try {
      V value = cached.get();
      if (value == null) {
        value = read.get();
      }
      mine.complete(value);
      return value;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      reading.remove(key, mine);
    }
  }

  /** {@link #readOnce} on the non-blocking path: the others get the first caller's future. */
  private static <K, V> CompletableFuture<V> readOnceAsync(ConcurrentHashMap<K, CompletableFuture<V>> reading,
      K key, Supplier<V> cached, Supplier<CompletableFuture<V>> read) {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> other = reading.putIfAbsent(key, mine);
    if (other != null) {
      return other;
    }
    V value = cached.get();
    if (value != null) {
      reading.remove(key, mine);
      mine.complete(value);
      return mine;
    }
    Futures.of(read).whenComplete((answer, failure) -> {
      reading.remove(key, mine);
      if (failure != null) {
        mine.completeExceptionally(Futures.unwrap(failure));
      } else {
        mine.complete(answer);
      }
    });
    return mine;
  }

  /** The account's answer from a snapshot: its rows when held whole, else the account's own cached or read row. */
  private CompletableFuture<Lookup> fromSnapshotAsync(String resourceName, String accountId, Snapshot snapshot,
      long nowNanos, Deadline deadline) {
    if (snapshot.rows().isPresent()) {
      return CompletableFuture.completedFuture(
          new Lookup(snapshot.rows().get().get(accountId), snapshot.refreshAtNanos()));
    }
    Key key = new Key(resourceName, accountId);
    AccountRow cached = accounts.getIfPresent(key);
    if (cached != null && nowNanos - cached.expiresAtNanos() < 0) {
      return CompletableFuture.completedFuture(accountLookup(cached, snapshot));
    }
    return readOnceAsync(readingAccounts, key, () -> freshAccount(key, nowNanos),
        () -> readAccountAsync(resourceName, accountId, deadline).thenApply(row -> {
          AccountRow read = new AccountRow(row, nowNanos + ttlNanos);
          accounts.put(key, read);
          return read;
        })).thenApply(row -> accountLookup(row, snapshot));
  }

  /** Until the account's row expires, or the resource's rows are read again (they may then be held whole). */
  private static Lookup accountLookup(AccountRow row, Snapshot snapshot) {
    long until = row.expiresAtNanos() - snapshot.refreshAtNanos() < 0
        ? row.expiresAtNanos() : snapshot.refreshAtNanos();
    return new Lookup(row.row().orElse(null), until);
  }

  private CompletableFuture<Optional<LimitRecord>> readAccountAsync(String resourceName, String accountId,
      Deadline deadline) {
    return Futures.of(() -> limits.findAsync(resourceName, accountId, deadline)).whenComplete(
        (row, failure) -> listener.onLimitRefresh(resourceName, failure == null));
  }

  private CompletableFuture<Optional<Map<String, LimitRecord>>> readWholeAsync(String resourceName,
      Deadline deadline) {
    return Futures.of(() -> limits.listByResourceAsync(resourceName, wholeResourceRows, deadline))
        .whenComplete((rows, failure) -> listener.onLimitRefresh(resourceName, failure == null))
        .thenApply(rows -> rows.map(LimitResolver::byAccount));
  }

  private Optional<LimitRecord> readAccount(String resourceName, String accountId, Deadline deadline) {
    try {
      Optional<LimitRecord> row = limits.find(resourceName, accountId, deadline);
      listener.onLimitRefresh(resourceName, true);
      return row;
    } catch (RuntimeException e) {
      listener.onLimitRefresh(resourceName, false);
      throw e;
    }
  }

  private Snapshot snapshot(Optional<Map<String, LimitRecord>> rows, long nowNanos) {
    return new Snapshot(rows, nowNanos + ttlNanos - ttlNanos / 10, nowNanos + ttlNanos, new AtomicBoolean());
  }

  private Snapshot refresh(String resourceName, Snapshot stale, long nowNanos, Deadline deadline) {
    try {
      Snapshot fresh = snapshot(readWhole(resourceName, deadline), nowNanos);
      resources.replace(resourceName, stale, fresh);
      return fresh;
    } catch (RuntimeException e) {
      refreshFailures.failed(e);
      stale.refreshing().set(false);
      return stale;
    }
  }

  private Optional<Map<String, LimitRecord>> readWhole(String resourceName, Deadline deadline) {
    try {
      Optional<Map<String, LimitRecord>> rows =
          limits.listByResource(resourceName, wholeResourceRows, deadline).map(LimitResolver::byAccount);
      listener.onLimitRefresh(resourceName, true);
      return rows;
    } catch (RuntimeException e) {
      listener.onLimitRefresh(resourceName, false);
      throw e;
    }
  }

  private static Map<String, LimitRecord> byAccount(List<LimitRecord> rows) {
    Map<String, LimitRecord> byAccount = new HashMap<>(rows.size() * 2);
    for (LimitRecord row : rows) {
      byAccount.put(row.accountId(), row);
    }
    return Map.copyOf(byAccount);
  }
}
