package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.Deadline;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The leased path of a fungible limiter, for one resource: per key, the chunk of the bucket's timeline this process
 * holds, the demand it measures, and at most one lease write in flight. The algorithm and its proof are in
 * {@link Leases}; this class only keeps the state and applies it atomically.
 *
 * <p>Thread-safe: a chunk's cursor moves by compare-and-set, a new chunk is published by one volatile write, and
 * only one thread per key writes a lease at a time (the others wait for its answer once, then take from the new
 * chunk or are denied).
 */
final class LeasedBuckets {

  /** Slots {@code [cursor, end)}; the cursor only moves forward. */
  private static final class Chunk {
    final AtomicLong cursor;
    final long end;

    Chunk(long cursor, long end) {
      this.cursor = new AtomicLong(cursor);
      this.end = end;
    }
  }

  /** No slots at all: every grant would end after {@code now > 0 = end}. */
  private static final Chunk NO_CHUNK = new Chunk(0, 0);

  /**
   * Direct decisions of this process on one key in flight at once from which the key counts as hot, whatever the
   * rate: threads queued on one item. A closed-loop caller on a slow or throttled store asks at most
   * {@code threads / latency} per second, which may never reach the hot threshold although leasing is what would
   * speed it up.
   */
  static final int HOT_IN_FLIGHT = 4;

  /** How many refresh intervals a key counts as hot after the store throttled a direct decision on it. */
  static final int THROTTLED_INTERVALS = 10;

  /** What this process knows of one key. */
  static final class Key {
    volatile Chunk chunk = NO_CHUNK;
    final LongAdder asked = new LongAdder();
    volatile long since = Long.MIN_VALUE;
    volatile long perSecond;
    final AtomicBoolean rolling = new AtomicBoolean();
    final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();
    /** Nanoseconds of the current interval a lease write of this key was in flight: no one asked meanwhile. */
    final LongAdder stalled = new LongAdder();
    /** This process's direct decisions on the key in flight now. */
    final AtomicInteger directInFlight = new AtomicInteger();
    /** Hot until then (epoch nanoseconds) whatever the demand, after the store throttled the key; 0: not. */
    volatile long hotUntil;

    /**
     * Counts the permits asked and returns the demand rate: that of the last complete refresh interval, or, if
     * higher, what has been asked in the current one spread over a whole interval (so a key turns hot within its
     * first refresh interval, not after it). Time spent waiting for a lease write does not count as an interval's
     * time: the threads that would have asked were waiting, so a slow write does not make a hot key look cold.
     */
    long demand(long now, long permits, long refreshNanos) {
      asked.add(permits);
      long start = since;
      if (start == Long.MIN_VALUE) {
        since = now;
      } else if (now - start >= refreshNanos && rolling.compareAndSet(false, true)) {
        try {
          long measured = now - start - stalled.sum();
          if (measured >= refreshNanos / 4) { // else lease writes took most of it: too little to judge by
            perSecond = Leases.perSecond(asked.sumThenReset(), measured);
            stalled.reset();
            since = now;
            return perSecond;
          }
        } finally {
          rolling.set(false);
        }
      }
      return Math.max(perSecond, Leases.perSecond(asked.sum(), refreshNanos));
    }

    /** Whether the key counts as hot at {@code now} whatever its measured demand (see {@link #HOT_IN_FLIGHT}). */
    boolean pressed(long now) {
      return directInFlight.get() >= HOT_IN_FLIGHT || now < hotUntil;
    }

    /**
     * Notes a direct decision on the key (one the leased path left to the caller) starting; the caller ends it with
     * {@link #directEnded()}, whatever happens. Several in flight at once make the key hot.
     */
    void directStarted() {
      directInFlight.incrementAndGet();
    }

    /** Ends a direct decision begun with {@link #directStarted()}. */
    void directEnded() {
      directInFlight.decrementAndGet();
    }
  }

  private final String resourceName;
  private final BucketStore buckets;
  private final LongSupplier nanoClock;
  private final long refreshNanos;
  private final long hotThreshold;
  private final Cache<String, Key> keys = Caffeine.newBuilder().maximumSize(100_000).build();

  /**
   * @param nanoClock epoch nanoseconds now, read again only by a thread that waited for another's lease
   */
  LeasedBuckets(String resourceName, BucketStore buckets, Leasing leasing, LongSupplier nanoClock) {
    this.resourceName = resourceName;
    this.buckets = buckets;
    this.nanoClock = nanoClock;
    this.refreshNanos = leasing.refreshInterval().toNanos();
    this.hotThreshold = leasing.hotThreshold();
  }

  /** What this process knows of the account's key, made on first use (one lookup per decision: pass it on). */
  Key key(String accountId) {
    return keys.get(accountId, k -> new Key());
  }

  /**
   * Decides from the chunk this process holds, or by taking a new chunk when the key is hot here.
   *
   * @param key the account's key, from {@link #key(String)}
   * @param seen the largest {@code tat} this process has seen for the key, shared with the direct path
   * @param deadline the decision's: bounds the lease write and any wait for another thread's
   * @return the decision, or {@code null} when the key is cold at this process and its chunk cannot grant the
   *     request: the caller then takes the direct path (one store step for exactly these permits)
   * @throws io.github.ratelimiter.RateLimiterException if the store fails while leasing
   */
  Decision tryAcquire(Key key, String accountId, AtomicLong seen, Limit limit, long now, long permits, long interval,
      long tolerance, Deadline deadline) {
    long demand = key.demand(now, permits, refreshNanos);
    long cost = Gcra.costNanos(interval, permits);
    Decision local = fromChunk(key, seen, limit, now, cost, interval, tolerance);
    if (local != null) {
      return local;
    }
    long maxLease = Leases.maxLease(limit.limit(), limit.window().toNanos(), refreshNanos);
    if ((demand < hotThreshold && !key.pressed(now)) || maxLease <= 1) {
      return null;
    }
    long wanted = Leases.wanted(demand, refreshNanos, permits, maxLease, seen.get() <= now);
    long least = Leases.least(wanted, maxLease, permits);
    for (int attempt = 0; attempt < 2; attempt++) {
      long known = seen.get();
      long lease = Leases.lease(wanted, least, Gcra.remaining(known, now, interval, tolerance));
      if (lease == 0) {
        break;
      }
      CompletableFuture<Void> flight = new CompletableFuture<>();
      CompletableFuture<Void> other = key.inFlight.compareAndExchange(null, flight);
      if (other != null) {
        // Another thread is taking a chunk for this key: wait for its answer once, then try that chunk afresh.
        deadline.await(other, "another thread's lease of this key was taken");
        long later = nanoClock.getAsLong();
        Decision after = fromChunk(key, seen, limit, later, cost, interval, tolerance);
        return after != null ? after : denied(key, seen.get(), limit, later, least, interval, tolerance);
      }
      long writing = now;
      try {
        long leaseCost = Gcra.costNanos(interval, lease);
        BucketResult result =
            buckets.consume(new BucketRequest(resourceName, accountId, now, leaseCost, tolerance, known, deadline));
        DefaultFungibleLimiter.raise(seen, result.tat()); // the holder the direct path raises too
        if (result.allowed()) {
          long cursor = Leases.grant(Leases.chunkStart(result.tat(), leaseCost), result.tat(), now, cost, tolerance);
          Chunk chunk = new Chunk(cursor, result.tat());
          key.chunk = chunk;
          return allowed(chunk, seen, limit, now, interval, tolerance);
        }
      } finally {
        key.stalled.add(Math.max(0, nanoClock.getAsLong() - writing));
        key.inFlight.set(null);
        flight.complete(null);
      }
    }
    return denied(key, seen.get(), limit, now, least, interval, tolerance);
  }

  /**
   * Notes that the store throttled a direct decision on the key at {@code now}: it counts as hot for the next
   * {@link #THROTTLED_INTERVALS} refresh intervals, so its decisions move to leases, which write it far less often.
   */
  void throttled(Key key, long now) {
    key.hotUntil = now + THROTTLED_INTERVALS * refreshNanos;
  }

  /** A grant from the chunk held, or {@code null} when it cannot. */
  private static Decision fromChunk(Key key, AtomicLong seen, Limit limit, long now, long cost, long interval,
      long tolerance) {
    Chunk chunk = key.chunk;
    while (true) {
      long cursor = chunk.cursor.get();
      long next = Leases.grant(cursor, chunk.end, now, cost, tolerance);
      if (next == Leases.NONE) {
        return null;
      }
      if (chunk.cursor.compareAndSet(cursor, next)) {
        return allowed(chunk, seen, limit, now, interval, tolerance);
      }
    }
  }

  private static Decision allowed(Chunk chunk, AtomicLong seen, Limit limit, long now, long interval,
      long tolerance) {
    long held = Leases.held(chunk.cursor.get(), chunk.end, now, interval, tolerance);
    return new Decision(true, held + Gcra.remaining(seen.get(), now, interval, tolerance), Duration.ZERO, limit,
        false);
  }

  /** Denied here: retry once {@code least} permits fit in the bucket (at least one emission interval). */
  private static Decision denied(Key key, long known, Limit limit, long now, long least, long interval,
      long tolerance) {
    Chunk chunk = key.chunk;
    long held = Leases.held(chunk.cursor.get(), chunk.end, now, interval, tolerance);
    Duration wait = Gcra.retryAfter(known, now, Gcra.costNanos(interval, least), tolerance);
    return new Decision(false, held + Gcra.remaining(known, now, interval, tolerance),
        wait.isZero() ? Duration.ofNanos(interval) : wait, limit, false);
  }
}
