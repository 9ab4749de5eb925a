package io.github.ratelimiter.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.BucketStore.QuotaRequest;
import io.github.ratelimiter.store.BucketStore.QuotaResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The leased path of a fungible limiter, for one resource: per key (its {@link KnownBucket}), the chunk of the
 * bucket's timeline this process holds, the demand it measures, and at most one lease write in flight. The
 * algorithm and its proof are in {@link Leases}; this class keeps the state, applies it atomically, and decides
 * whether a decision takes a lease or goes to the direct path, keeping the books that choice needs (direct decisions
 * in flight, throttling) itself.
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

  /** The lease state of one key (part of its {@link KnownBucket}). */
  static final class Lease {
    private volatile Chunk chunk = NO_CHUNK;
    private final LongAdder asked = new LongAdder();
    private volatile long since = Long.MIN_VALUE;
    private volatile long perSecond;
    private final AtomicBoolean rolling = new AtomicBoolean();
    private final AtomicReference<CompletableFuture<Void>> inFlight = new AtomicReference<>();
    /** Nanoseconds of the current interval a lease write of this key was in flight: no one asked meanwhile. */
    private final LongAdder stalled = new LongAdder();
    /** This process's direct decisions on the key in flight now. */
    private final AtomicInteger directInFlight = new AtomicInteger();
    /** Hot until then (epoch nanoseconds) whatever the demand, after the store throttled the key; 0: not. */
    private volatile long hotUntil;
    /** For a quota of several limits: the chunk of every lane held, or null. */
    private volatile QuotaChunk quotaChunk;

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
  }

  /**
   * A leased chunk of a quota: per lane, the slots {@code [cursor_i, end_i)} of that lane's timeline, taken by one
   * quota step; the cursors move together by compare-and-set of the whole array, so a grant takes its slots from
   * every lane or from none. A lane the chunk's step did not charge has {@code cursor = end = 0}: nothing to grant.
   */
  private record QuotaChunk(Quota quota, AtomicReference<long[]> cursors, long[] ends) {}

  private final String resourceName;
  private final BucketStore buckets;
  private final LongSupplier nanoClock;
  private final long refreshNanos;
  private final long hotThreshold;

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

  /**
   * Decides a call on a leased key: from the chunk this process holds, by taking a new chunk when the key is hot
   * here, or else by {@code direct} (one store step for exactly these permits), counted as a direct decision in
   * flight and noting when the store throttled it.
   *
   * @throws io.github.ratelimiter.RateLimiterException if the store fails
   */
  Decision decide(FungibleCall call, Function<FungibleCall, Decision> direct) {
    Lease lease = call.bucket.lease();
    long demand = lease.demand(call.now, call.permits, refreshNanos);
    Decision local = fromChunk(lease, call, call.now);
    if (local != null) {
      return local;
    }
    Limit limit = call.rate.limit();
    long maxLease = Leases.maxLease(limit.limit(), limit.window().toNanos(), refreshNanos);
    if ((demand < hotThreshold && !lease.pressed(call.now)) || maxLease <= 1) {
      return counted(lease, call, direct);
    }
    try {
      return lease(lease, call, demand, maxLease);
    } catch (RateLimiterException e) {
      call.storeAsked = true; // a failed lease write (or a wait for one that outlived the deadline) counts as asked
      throw e;
    }
  }

  /**
   * Decides a call on a leased key of a quota of several limits, as {@link #decide} does for one limit: a chunk is
   * a slice of every lane's timeline taken by one quota step ({@code m} times the call's amount on each lane), and a
   * grant takes the call's amount from every lane's slice at once, or is not made. Each lane then meets the slot
   * lemma of {@link Leases} on its own: every limit's bound holds, for all processes together, leased or not. Demand
   * is counted in decisions; a chunk holds {@code m} decisions of this call's amounts.
   *
   * @throws io.github.ratelimiter.RateLimiterException if the store fails
   */
  Decision decideQuota(FungibleCall call, Function<FungibleCall, Decision> quotaStep) {
    Lease lease = call.bucket.lease();
    long demand = lease.demand(call.now, 1, refreshNanos);
    Decision local = fromQuotaChunk(lease, call, call.now);
    if (local != null) {
      return local;
    }
    long maxLease = maxQuotaLease(call);
    if ((demand < hotThreshold && !lease.pressed(call.now)) || maxLease <= 1) {
      return counted(lease, call, quotaStep);
    }
    try {
      return leaseQuota(lease, call, demand, maxLease);
    } catch (RateLimiterException e) {
      call.storeAsked = true;
      throw e;
    }
  }

  /** The most decisions of the call's amounts one quota chunk may hold: the least over the lanes it charges. */
  private long maxQuotaLease(FungibleCall call) {
    QuotaRate quota = call.quota;
    long maxLease = Long.MAX_VALUE;
    for (int i = 0; i < quota.size(); i++) {
      if (call.laneCosts[i] > 0) {
        Rate rate = quota.rate(i);
        long amount = call.laneCosts[i] / rate.interval();
        maxLease = Math.min(maxLease,
            Leases.maxLease(rate.limit().limit(), rate.limit().window().toNanos(), refreshNanos) / amount);
      }
    }
    return maxLease;
  }

  /** How many decisions of the call's amounts fit every lane by its seen state. */
  private static long quotaFit(FungibleCall call, long[] seen, long now) {
    QuotaRate quota = call.quota;
    long[] costs = call.laneCosts;
    long fit = Long.MAX_VALUE;
    for (int i = 0; i < quota.size(); i++) {
      if (costs[i] > 0) {
        fit = Math.min(fit, quota.rate(i).remaining(seen[i], now) / (costs[i] / quota.rate(i).interval()));
      }
    }
    return fit;
  }

  /**
   * A quota chunk's write answered: the seen state learns it, and when admitted the chunk is held and the call's
   * grant taken from it; null when this attempt granted nothing.
   */
  private static Decision quotaLeased(Lease lease, FungibleCall call, QuotaResult result, long[] leaseCosts,
      long now) {
    QuotaRate quota = call.quota;
    call.bucket.raiseLanes(quota.quota(), result.tats());
    if (!result.allowed()) {
      return null;
    }
    long[] cursors = new long[leaseCosts.length];
    long[] ends = new long[leaseCosts.length];
    for (int i = 0; i < leaseCosts.length; i++) {
      if (leaseCosts[i] > 0) {
        ends[i] = result.tats()[i];
        cursors[i] = Leases.chunkStart(result.tats()[i], leaseCosts[i]);
      }
    }
    lease.quotaChunk = new QuotaChunk(quota.quota(), new AtomicReference<>(cursors), ends);
    return fromQuotaChunk(lease, call, now);
  }

  /** Takes a new chunk of every lane (or waits for another thread's) and grants from it, or denies. */
  private Decision leaseQuota(Lease lease, FungibleCall call, long demand, long maxLease) {
    QuotaRate quota = call.quota;
    KnownBucket bucket = call.bucket;
    long now = call.now;
    long[] costs = call.laneCosts;
    boolean idle = true;
    for (long tat : bucket.seenLanes(quota.quota())) {
      idle &= tat <= now;
    }
    long wanted = Leases.wanted(demand, refreshNanos, 1, maxLease, idle);
    long least = Leases.least(wanted, maxLease, 1);
    for (int attempt = 0; attempt < 2; attempt++) {
      long[] seen = bucket.seenLanes(quota.quota());
      long size = Leases.lease(wanted, least, quotaFit(call, seen, now));
      if (size == 0) {
        break;
      }
      CompletableFuture<Void> flight = new CompletableFuture<>();
      CompletableFuture<Void> other = lease.inFlight.compareAndExchange(null, flight);
      if (other != null) {
        call.deadline.await(other, "another thread's lease of this key was taken");
        long later = nanoClock.getAsLong();
        Decision after = fromQuotaChunk(lease, call, later);
        return after != null ? after : quotaDenied(call, bucket.seenLanes(quota.quota()), later, least);
      }
      try {
        long[] leaseCosts = new long[costs.length];
        for (int i = 0; i < costs.length; i++) {
          leaseCosts[i] = Math.multiplyExact(costs[i], size);
        }
        QuotaResult result = buckets.consume(new QuotaRequest(resourceName, call.accountId, now,
            quota.lanes(leaseCosts, seen), call.deadline));
        Decision first = quotaLeased(lease, call, result, leaseCosts, now);
        if (first != null) {
          return first;
        }
      } finally {
        leaseWritten(lease, flight, now);
      }
    }
    return quotaDenied(call, bucket.seenLanes(quota.quota()), now, least);
  }

  /** A grant of the call's amounts from every lane of the quota chunk held at {@code now}, or {@code null}. */
  private static Decision fromQuotaChunk(Lease lease, FungibleCall call, long now) {
    QuotaChunk chunk = lease.quotaChunk;
    QuotaRate quota = call.quota;
    if (chunk == null || !chunk.quota().equals(quota.quota())) {
      return null;
    }
    long[] costs = call.laneCosts;
    while (true) {
      long[] cursors = chunk.cursors().get();
      long[] next = cursors.clone();
      for (int i = 0; i < costs.length; i++) {
        if (costs[i] > 0) {
          next[i] = Leases.grant(cursors[i], chunk.ends()[i], now, costs[i], quota.rate(i).tolerance());
          if (next[i] == Leases.NONE) {
            return null;
          }
        }
      }
      if (chunk.cursors().compareAndSet(cursors, next)) {
        long[] seen = call.bucket.seenLanes(quota.quota());
        long[] left = new long[costs.length];
        for (int i = 0; i < costs.length; i++) {
          Rate rate = quota.rate(i);
          left[i] = Leases.held(next[i], chunk.ends()[i], now, rate.interval(), rate.tolerance())
              + rate.remaining(seen[i], now);
        }
        return quota.allowed(left, costs);
      }
    }
  }

  /** Denied here: retry once {@code least} decisions of these amounts fit every lane (at least one interval). */
  private static Decision quotaDenied(FungibleCall call, long[] seen, long now, long least) {
    QuotaRate quota = call.quota;
    long[] needed = new long[call.laneCosts.length];
    int lane = 0;
    Duration longest = Duration.ZERO;
    for (int i = 0; i < needed.length; i++) {
      needed[i] = Math.multiplyExact(call.laneCosts[i], least);
      if (needed[i] > 0) {
        Duration wait = quota.rate(i).retryAfter(seen[i], now, needed[i]);
        if (wait.compareTo(longest) >= 0) {
          longest = wait;
          lane = i;
        }
      }
    }
    return quota.denied(seen, now, needed, lane);
  }

  /** The direct path for a key that is cold here, counted while in flight; a throttled write makes the key hot. */
  private Decision counted(Lease lease, FungibleCall call, Function<FungibleCall, Decision> direct) {
    lease.directInFlight.incrementAndGet();
    try {
      return direct.apply(call);
    } catch (ThrottlingException e) {
      lease.hotUntil = call.now + THROTTLED_INTERVALS * refreshNanos; // its item is at its write ceiling: lease it
      throw e;
    } finally {
      lease.directInFlight.decrementAndGet();
    }
  }

  /** Takes a new chunk (or waits for another thread's) and grants from it, or denies. */
  private Decision lease(Lease lease, FungibleCall call, long demand, long maxLease) {
    Rate rate = call.rate;
    KnownBucket bucket = call.bucket;
    long now = call.now;
    long wanted = Leases.wanted(demand, refreshNanos, call.permits, maxLease, bucket.seenTat() <= now);
    long least = Leases.least(wanted, maxLease, call.permits);
    for (int attempt = 0; attempt < 2; attempt++) {
      long known = bucket.seenTat();
      long size = Leases.lease(wanted, least, rate.remaining(known, now));
      if (size == 0) {
        break;
      }
      CompletableFuture<Void> flight = new CompletableFuture<>();
      CompletableFuture<Void> other = lease.inFlight.compareAndExchange(null, flight);
      if (other != null) {
        // Another thread is taking a chunk for this key: wait for its answer once, then try that chunk afresh.
        call.deadline.await(other, "another thread's lease of this key was taken");
        long later = nanoClock.getAsLong();
        Decision after = fromChunk(lease, call, later);
        return after != null ? after : denied(lease, call, bucket.seenTat(), later, least);
      }
      try {
        long leaseCost = rate.cost(size);
        BucketResult result = buckets.consume(new BucketRequest(resourceName, call.accountId, now, leaseCost,
            rate.tolerance(), known, call.deadline));
        Decision first = leased(lease, call, result, leaseCost, now);
        if (first != null) {
          return first;
        }
      } finally {
        leaseWritten(lease, flight, now);
      }
    }
    return denied(lease, call, bucket.seenTat(), now, least);
  }

  // The non-blocking path: the same steps, the same state, and the same algorithm; a store write is a future, and a
  // decision that finds another thread's lease write in flight continues when it ends rather than waiting for it.

  /**
   * {@link #decide} without waiting: a grant from the chunk held completes at once; a new chunk is written with
   * {@link BucketStore#consumeAsync}; a cold key goes to {@code direct} (counted while in flight).
   */
  CompletableFuture<Decision> decideAsync(FungibleCall call,
      Function<FungibleCall, CompletableFuture<Decision>> direct) {
    Lease lease = call.bucket.lease();
    long demand = lease.demand(call.now, call.permits, refreshNanos);
    Decision local = fromChunk(lease, call, call.now);
    if (local != null) {
      return CompletableFuture.completedFuture(local);
    }
    Limit limit = call.rate.limit();
    long maxLease = Leases.maxLease(limit.limit(), limit.window().toNanos(), refreshNanos);
    if ((demand < hotThreshold && !lease.pressed(call.now)) || maxLease <= 1) {
      return countedAsync(lease, call, direct);
    }
    KnownBucket bucket = call.bucket;
    long wanted = Leases.wanted(demand, refreshNanos, call.permits, maxLease, bucket.seenTat() <= call.now);
    long least = Leases.least(wanted, maxLease, call.permits);
    return askedOnFailure(call, leaseAsync(lease, call, wanted, least, 0));
  }

  /** {@link #decideQuota} without waiting, as {@link #decideAsync} is to {@link #decide}. */
  CompletableFuture<Decision> decideQuotaAsync(FungibleCall call,
      Function<FungibleCall, CompletableFuture<Decision>> quotaStep) {
    Lease lease = call.bucket.lease();
    long demand = lease.demand(call.now, 1, refreshNanos);
    Decision local = fromQuotaChunk(lease, call, call.now);
    if (local != null) {
      return CompletableFuture.completedFuture(local);
    }
    long maxLease = maxQuotaLease(call);
    if ((demand < hotThreshold && !lease.pressed(call.now)) || maxLease <= 1) {
      return countedAsync(lease, call, quotaStep);
    }
    boolean idle = true;
    for (long tat : call.bucket.seenLanes(call.quota.quota())) {
      idle &= tat <= call.now;
    }
    long wanted = Leases.wanted(demand, refreshNanos, 1, maxLease, idle);
    long least = Leases.least(wanted, maxLease, 1);
    return askedOnFailure(call, leaseQuotaAsync(lease, call, wanted, least, 0));
  }

  /** A failed lease write (or one waited for) counts as asked, as on the blocking path. */
  private static CompletableFuture<Decision> askedOnFailure(FungibleCall call, CompletableFuture<Decision> decision) {
    return decision.whenComplete((done, failure) -> {
      if (failure != null) {
        call.storeAsked = true;
      }
    });
  }

  /** {@link #counted} without waiting. */
  private CompletableFuture<Decision> countedAsync(Lease lease, FungibleCall call,
      Function<FungibleCall, CompletableFuture<Decision>> direct) {
    lease.directInFlight.incrementAndGet();
    CompletableFuture<Decision> decision;
    try {
      decision = direct.apply(call);
    } catch (RuntimeException e) {
      lease.directInFlight.decrementAndGet();
      throw e;
    }
    return decision.whenComplete((done, failure) -> {
      if (failure != null && Futures.unwrap(failure) instanceof ThrottlingException) {
        lease.hotUntil = call.now + THROTTLED_INTERVALS * refreshNanos;
      }
      lease.directInFlight.decrementAndGet();
    });
  }

  /** {@link #lease} without waiting: attempt {@code attempt} of two. */
  private CompletableFuture<Decision> leaseAsync(Lease lease, FungibleCall call, long wanted, long least,
      int attempt) {
    Rate rate = call.rate;
    KnownBucket bucket = call.bucket;
    long now = call.now;
    long known = bucket.seenTat();
    long size = attempt < 2 ? Leases.lease(wanted, least, rate.remaining(known, now)) : 0;
    if (size == 0) {
      return CompletableFuture.completedFuture(denied(lease, call, bucket.seenTat(), now, least));
    }
    CompletableFuture<Void> flight = new CompletableFuture<>();
    CompletableFuture<Void> other = lease.inFlight.compareAndExchange(null, flight);
    if (other != null) {
      // Another thread is taking a chunk for this key: when it has its answer, try that chunk afresh, once.
      return other.thenApply(ended -> {
        long later = nanoClock.getAsLong();
        Decision after = fromChunk(lease, call, later);
        return after != null ? after : denied(lease, call, bucket.seenTat(), later, least);
      });
    }
    long leaseCost = rate.cost(size);
    CompletableFuture<BucketResult> write = Futures.of(() -> buckets.consumeAsync(new BucketRequest(resourceName,
        call.accountId, now, leaseCost, rate.tolerance(), known, call.deadline)));
    return write.handle((result, failure) -> {
      try {
        if (failure != null) {
          throw new CompletionException(Futures.unwrap(failure));
        }
        return leased(lease, call, result, leaseCost, now);
      } finally {
        leaseWritten(lease, flight, now);
      }
    }).thenCompose(decision -> decision != null
        ? CompletableFuture.completedFuture(decision)
        : leaseAsync(lease, call, wanted, least, attempt + 1));
  }

  /** {@link #leaseQuota} without waiting: attempt {@code attempt} of two. */
  private CompletableFuture<Decision> leaseQuotaAsync(Lease lease, FungibleCall call, long wanted, long least,
      int attempt) {
    QuotaRate quota = call.quota;
    KnownBucket bucket = call.bucket;
    long now = call.now;
    long[] costs = call.laneCosts;
    long[] seen = bucket.seenLanes(quota.quota());
    long size = attempt < 2 ? Leases.lease(wanted, least, quotaFit(call, seen, now)) : 0;
    if (size == 0) {
      return CompletableFuture.completedFuture(quotaDenied(call, bucket.seenLanes(quota.quota()), now, least));
    }
    CompletableFuture<Void> flight = new CompletableFuture<>();
    CompletableFuture<Void> other = lease.inFlight.compareAndExchange(null, flight);
    if (other != null) {
      return other.thenApply(ended -> {
        long later = nanoClock.getAsLong();
        Decision after = fromQuotaChunk(lease, call, later);
        return after != null ? after : quotaDenied(call, bucket.seenLanes(quota.quota()), later, least);
      });
    }
    long[] leaseCosts = new long[costs.length];
    for (int i = 0; i < costs.length; i++) {
      leaseCosts[i] = Math.multiplyExact(costs[i], size);
    }
    CompletableFuture<QuotaResult> write = Futures.of(() -> buckets.consumeAsync(new QuotaRequest(resourceName,
        call.accountId, now, quota.lanes(leaseCosts, seen), call.deadline)));
    return write.handle((result, failure) -> {
      try {
        if (failure != null) {
          throw new CompletionException(Futures.unwrap(failure));
        }
        return quotaLeased(lease, call, result, leaseCosts, now);
      } finally {
        leaseWritten(lease, flight, now);
      }
    }).thenCompose(decision -> decision != null
        ? CompletableFuture.completedFuture(decision)
        : leaseQuotaAsync(lease, call, wanted, least, attempt + 1));
  }

  /**
   * A lease write answered: the seen {@code tat} learns it, and when admitted the chunk is held and the call's grant
   * taken from it; null when this attempt granted nothing.
   */
  private static Decision leased(Lease lease, FungibleCall call, BucketResult result, long leaseCost, long now) {
    call.bucket.raise(result.tat());
    if (!result.allowed()) {
      return null;
    }
    Rate rate = call.rate;
    long cursor = Leases.grant(Leases.chunkStart(result.tat(), leaseCost), result.tat(), now, call.costNanos,
        rate.tolerance());
    Chunk chunk = new Chunk(cursor, result.tat());
    lease.chunk = chunk;
    return allowed(chunk, call, now);
  }

  /**
   * A lease write of this key ended, answered or not: its time counts as stalled (no one asked meanwhile), and the
   * decisions waiting for it go on.
   */
  private void leaseWritten(Lease lease, CompletableFuture<Void> flight, long startedAt) {
    lease.stalled.add(Math.max(0, nanoClock.getAsLong() - startedAt));
    lease.inFlight.set(null);
    flight.complete(null);
  }

  /** A grant from the chunk held at {@code now}, or {@code null} when it cannot. */
  private static Decision fromChunk(Lease lease, FungibleCall call, long now) {
    Chunk chunk = lease.chunk;
    while (true) {
      long cursor = chunk.cursor.get();
      long next = Leases.grant(cursor, chunk.end, now, call.costNanos, call.rate.tolerance());
      if (next == Leases.NONE) {
        return null;
      }
      if (chunk.cursor.compareAndSet(cursor, next)) {
        return allowed(chunk, call, now);
      }
    }
  }

  private static Decision allowed(Chunk chunk, FungibleCall call, long now) {
    Rate rate = call.rate;
    long held = Leases.held(chunk.cursor.get(), chunk.end, now, rate.interval(), rate.tolerance());
    return new Decision(true, held + rate.remaining(call.bucket.seenTat(), now), Duration.ZERO, rate.limit(),
        rate.name(), false);
  }

  /** Denied here: retry once {@code least} permits fit in the bucket (at least one emission interval). */
  private static Decision denied(Lease lease, FungibleCall call, long known, long now, long least) {
    Rate rate = call.rate;
    Chunk chunk = lease.chunk;
    long held = Leases.held(chunk.cursor.get(), chunk.end, now, rate.interval(), rate.tolerance());
    Duration wait = rate.retryAfter(known, now, rate.cost(least));
    return new Decision(false, held + rate.remaining(known, now),
        wait.isZero() ? Duration.ofNanos(rate.interval()) : wait, rate.limit(), rate.name(), false);
  }
}
