package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link FungibleLimiter} over any {@link BucketStore}; the arithmetic is {@link Gcra}'s.
 *
 * <p>Besides the store it keeps, per account, the largest {@code tat} it has seen. Since {@code tat} never
 * decreases, a request that this value already denies is answered here, exactly, without a store request. When that
 * value says the bucket holds the last permit or so, the threads of this process ask the store one at a time (see
 * {@link #nearlyExhausted}), so a bucket at its limit does not turn every refill into a burst of failed writes.
 *
 * <p><b>Time per decision.</b> Each decision starts a {@link Deadline} from the decision timeout and carries it into
 * every store call it makes (the limit read when the cached limits have expired, the bucket's one to three requests,
 * a lease) and every wait for another thread's call: a store sends each request with what is left as its call
 * timeout, and a wait ends when the deadline does. So a decision ends within the decision timeout, plus the time to
 * throw, however many threads ask and however slow the store is; past it the decision fails as a store failure
 * (the failure mode applies). Besides, a decision waits for at most one other thread's call, then decides on a fresh
 * clock reading (so its {@code retryAfter} is measured from when it decides), and when the call it waited for failed
 * it shares that failure instead of calling the store itself.
 */
final class DefaultFungibleLimiter implements FungibleLimiter {

  private static final Logger log = LoggerFactory.getLogger(DefaultFungibleLimiter.class);

  private final String resourceName;
  private final Limit defaultLimit;
  private final BucketStore buckets;
  private final LimitResolver limits;
  private final Clock clock;
  /** {@link #clock} as epoch nanoseconds: read exactly, or faster when it is the system clock. */
  private final EpochNanos time;
  private final Duration blockedRetryAfter;
  private final FailureMode failureMode;
  private final Sleeper sleeper;
  private final RateLimiterListener listener;
  private final OutageLog outages;
  /** The longest one decision may take; {@code null}: unbounded (a store in process). */
  private final Duration decisionTimeout;
  /** The default limit's emission interval, worked out once: most accounts have no limit row of their own. */
  private final long defaultInterval;
  /**
   * Per account, a {@code tat} this process has seen (the largest, but for races, see {@link #raise}); a holder, so
   * that raising it is no cache write.
   */
  private final Cache<String, AtomicLong> seenTat = Caffeine.newBuilder().maximumSize(100_000).build();
  private final Function<String, AtomicLong> unseen = account -> new AtomicLong(BucketStore.UNKNOWN);
  /**
   * The account decided last, in front of {@link #seenTat} and the limit lookup: a run of decisions for one account
   * (one thread, a hot tenant) skips the cache, and the limit resolver until its answer may change. A plain field: a
   * stale or lost write only costs a lookup, and a holder that the cache has since evicted is still a true lower
   * bound of the stored {@code tat}.
   */
  private Last last;

  /**
   * An account's seen {@code tat} holder, and its limit (with the limit's emission interval, 0 when it blocks) as
   * the limit resolver answered, which holds for every {@code now < limitUntil} (see {@link LimitResolver.Lookup}),
   * and whether the account's key may be leased.
   */
  private record Last(String accountId, AtomicLong tat, Limit limit, long interval, long limitUntil,
      boolean leased) {}
  private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
  /** The leased path for hot keys (see {@link Leases}); used for the keys {@link Last#leased()} says. */
  private final LeasedBuckets leases;
  /**
   * Whether every key may be leased ({@link io.github.ratelimiter.LimiterOptions#leasing()} set); else only the
   * accounts whose limit row switches it on ({@link LimitRecord#leasing()}), with {@link Leasing#defaults()}.
   */
  private final boolean leasesEveryKey;
  /** Accounts whose row was seen without a window, so that this is logged once per account. */
  private final Cache<String, Boolean> windowlessSeen = Caffeine.newBuilder().maximumSize(10_000).build();

  /** A limiter no listener hears. */
  DefaultFungibleLimiter(String resourceName, Limit defaultLimit, BucketStore buckets, LimitResolver limits,
      Clock clock, Duration limitCacheTtl, FailureMode failureMode, Sleeper sleeper, Leasing leasing) {
    this(resourceName, defaultLimit, buckets, limits, clock, limitCacheTtl, failureMode, sleeper, leasing, null,
        RateLimiterListener.NONE);
  }

  DefaultFungibleLimiter(String resourceName, Limit defaultLimit, BucketStore buckets, LimitResolver limits,
      Clock clock, Duration limitCacheTtl, FailureMode failureMode, Sleeper sleeper, Leasing leasing,
      Duration decisionTimeout, RateLimiterListener listener) {
    this.resourceName = resourceName;
    this.defaultLimit = defaultLimit;
    this.defaultInterval = defaultLimit.blocks() ? 0 : Gcra.intervalNanos(defaultLimit);
    this.buckets = buckets;
    this.limits = limits;
    this.clock = clock;
    this.time = EpochNanos.of(clock);
    this.blockedRetryAfter = limitCacheTtl.isZero() ? Duration.ofSeconds(1) : limitCacheTtl;
    this.failureMode = failureMode;
    this.sleeper = sleeper;
    this.leasesEveryKey = leasing != null;
    this.leases = new LeasedBuckets(resourceName, buckets, leasing == null ? Leasing.defaults() : leasing, time::now);
    this.listener = listener;
    this.outages = OutageLog.of(log, resourceName, failureMode, clock);
    this.decisionTimeout = decisionTimeout;
  }

  /** A decision's deadline, from now; reads no time when decisions are unbounded. */
  private Deadline startDeadline() {
    return decisionTimeout == null ? Deadline.none() : Deadline.after(decisionTimeout);
  }

  @Override
  public String resourceName() {
    return resourceName;
  }

  @Override
  public Limit limitFor(String accountId) {
    Arguments.requireId("accountId", accountId);
    return limitAt(accountId, time.now(), startDeadline());
  }

  private Limit limitAt(String accountId, long now, Deadline deadline) {
    return limitOf(limits.lookup(resourceName, accountId, now, deadline).row());
  }

  /** The limit a row (or none: null) gives. */
  private Limit limitOf(LimitRecord row) {
    if (row == null) {
      return defaultLimit;
    }
    if (row.window() == null) {
      return windowless(row);
    }
    return Limit.of(row.limit(), row.window());
  }

  /**
   * A row without a window (the Python loader writes {@code windowSec} 0 for an entry without one): its limit applies
   * on the default limit's window, and that is logged once per account, not per decision.
   */
  private Limit windowless(LimitRecord row) {
    if (windowlessSeen.asMap().putIfAbsent(row.accountId(), Boolean.TRUE) == null) {
      log.warn("the limit row of '{}' for account '{}' has no window (windowSec 0 or absent): its limit {} applies"
          + " per the default window {}; give the row a windowSec (logged once per account)", resourceName,
          row.accountId(), row.limit(), defaultLimit.window());
    }
    return Limit.of(row.limit(), defaultLimit.window());
  }

  @Override
  public Decision tryAcquire(String accountId, long permits) {
    Arguments.requireId("accountId", accountId);
    Arguments.requirePositive("permits", permits);
    long now = time.now();
    Deadline deadline = startDeadline();
    Last last = this.last;
    boolean sameAccount = last != null && last.accountId().equals(accountId);
    if (!sameAccount || now - last.limitUntil() >= 0) {
      Limit limit;
      long limitUntil;
      boolean leasedRow;
      try {
        LimitResolver.Lookup lookup = limits.lookup(resourceName, accountId, now, deadline);
        limit = limitOf(lookup.row());
        limitUntil = lookup.untilNanos();
        leasedRow = lookup.row() != null && lookup.row().leasing();
      } catch (RateLimiterException e) {
        return storeFailed(e, defaultLimit, accountId, permits);
      }
      long interval = limit == defaultLimit ? defaultInterval : limit.blocks() ? 0 : Gcra.intervalNanos(limit);
      AtomicLong tat = sameAccount ? last.tat() : seenTat.get(accountId, unseen);
      last = new Last(accountId, tat, limit, interval, limitUntil, leasesEveryKey || leasedRow);
      this.last = last;
    }
    Limit limit = last.limit();
    if (limit.blocks()) {
      listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE, DecisionOutcome.DENIED, permits, false);
      return new Decision(false, 0, blockedRetryAfter, limit, false);
    }
    if (permits > limit.limit()) {
      throw new IllegalArgumentException("permits " + permits + " exceeds the limit " + limit + " of resource '"
          + resourceName + "' for account '" + accountId + "': it can never be granted");
    }
    long interval = last.interval();
    long tolerance = Gcra.toleranceNanos(interval, limit.limit());
    long cost = Gcra.costNanos(interval, permits);
    AtomicLong seen = last.tat();
    LeasedBuckets.Key leaseKey = last.leased() ? leases.key(accountId) : null;
    if (leaseKey != null) {
      try {
        Decision leased =
            leases.tryAcquire(leaseKey, accountId, seen, limit, now, permits, interval, tolerance, deadline);
        if (leased != null) {
          // decided from the lease held locally; a write that takes a lease is heard as a store request
          listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE,
              leased.allowed() ? DecisionOutcome.ALLOWED : DecisionOutcome.DENIED, permits, false);
          return leased;
        }
      } catch (RateLimiterException e) {
        return storeFailed(e, limit, accountId, permits);
      }
    }
    boolean waited = false;
    while (true) {
      long known = seen.get();
      if (Gcra.certainlyDenied(known, now, cost, tolerance)) {
        listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE, DecisionOutcome.DENIED, permits, false);
        return denied(known, now, cost, interval, tolerance, limit);
      }
      CompletableFuture<Void> flight = null;
      if (!waited && nearlyExhausted(known, now, cost, tolerance)) {
        flight = new CompletableFuture<>();
        CompletableFuture<Void> other = inFlight.putIfAbsent(accountId, flight);
        if (other != null) {
          // Another thread is asking the store for the last permits: its answer will most likely deny us locally.
          // Wait for it once, within this decision's deadline, then decide on a fresh clock reading; never queue
          // behind the calls that follow it.
          RateLimiterException failure = awaitFlight(other, deadline);
          if (failure != null) {
            // that thread's call failed (or our deadline passed first): share the failure rather than call too
            return storeFailed(failure, limit, accountId, permits, false);
          }
          waited = true;
          now = time.now();
          continue;
        }
      }
      RateLimiterException failure = null;
      if (leaseKey != null) {
        leaseKey.directStarted();
      }
      try {
        BucketResult result =
            buckets.consume(new BucketRequest(resourceName, accountId, now, cost, tolerance, known, deadline));
        raise(seen, result.tat());
        listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE,
            result.allowed() ? DecisionOutcome.ALLOWED : DecisionOutcome.DENIED, permits, true);
        if (result.allowed()) {
          return new Decision(true, Gcra.remaining(result.tat(), now, interval, tolerance), Duration.ZERO, limit,
              false);
        }
        return denied(result.tat(), now, cost, interval, tolerance, limit);
      } catch (RateLimiterException e) {
        failure = e;
        if (leaseKey != null && e instanceof ThrottlingException) {
          leases.throttled(leaseKey, now); // this key's item is at its write ceiling: lease it
        }
        return storeFailed(e, limit, accountId, permits, true);
      } finally {
        if (leaseKey != null) {
          leaseKey.directEnded();
        }
        if (flight != null) {
          inFlight.remove(accountId, flight);
          if (failure != null) {
            flight.completeExceptionally(failure);
          } else {
            flight.complete(null);
          }
        }
      }
    }
  }

  /**
   * Waits for another thread's store call on the same bucket, within {@code deadline}: its store failure, or null
   * when it got an answer (which it recorded in the seen {@code tat}); the deadline's failure when it passes first.
   */
  private static RateLimiterException awaitFlight(CompletableFuture<Void> flight, Deadline deadline) {
    try {
      deadline.await(flight, "another thread's UpdateItem on the same bucket answered");
    } catch (RateLimiterException passed) {
      return passed;
    }
    try {
      flight.join();
      return null;
    } catch (CompletionException e) {
      return e.getCause() instanceof RateLimiterException failure ? failure : null;
    }
  }

  /**
   * Raises the seen {@code tat} to {@code tat} unless it is already as large: a check and an ordered write, not a
   * compare-and-set loop. Two threads racing here can leave the smaller of their two values; that is still a
   * {@code tat} the store held, and the stored one never decreases, so the seen value stays a lower bound of it and
   * every local denial stays exact. A race only makes this process deny locally a little less until the next answer.
   * The one way the holder is raised, by the direct path and by {@link LeasedBuckets} alike (a compare-and-set on
   * one side would guarantee nothing against a plain write on the other).
   */
  static void raise(AtomicLong seen, long tat) {
    if (seen.get() < tat) {
      seen.setRelease(tat);
    }
  }

  /**
   * Whether the last seen state leaves room for this request but not for another like it: the bucket is at its
   * limit, and every thread of this process that asks now would race for the same permit. Then only one asks the
   * store at a time; the others wait for its answer, which usually denies them locally. Far from exhaustion requests
   * go to the store concurrently, since there is room for all of them.
   */
  private static boolean nearlyExhausted(long known, long now, long cost, long tolerance) {
    return known != BucketStore.UNKNOWN && Math.max(known, now) + 2 * cost - now > tolerance;
  }

  private static Decision denied(long tat, long now, long cost, long interval, long tolerance, Limit limit) {
    return new Decision(false, Gcra.remaining(tat, now, interval, tolerance),
        Gcra.retryAfter(tat, now, cost, tolerance), limit, false);
  }

  /**
   * The answer when the store failed: thrown ({@link FailureMode#FAIL_CLOSED}) or admitted and marked degraded
   * ({@link FailureMode#FAIL_OPEN}), heard by the listener either way and logged once per interval.
   */
  private Decision storeFailed(RateLimiterException e, Limit limit, String accountId, long permits) {
    return storeFailed(e, limit, accountId, permits, true);
  }

  /** As above; {@code storeAsked} is false when the failure is another thread's, shared by a waiter. */
  private Decision storeFailed(RateLimiterException e, Limit limit, String accountId, long permits,
      boolean storeAsked) {
    outages.failed(e);
    if (failureMode == FailureMode.FAIL_CLOSED) {
      listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE, DecisionOutcome.ERROR, permits,
          storeAsked);
      throw e;
    }
    listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE, DecisionOutcome.DEGRADED, permits,
        storeAsked);
    return new Decision(true, 0, Duration.ZERO, limit, true);
  }

  @Override
  public Decision acquire(String accountId, long permits) {
    Decision decision = tryAcquire(accountId, permits);
    if (decision.denied()) {
      throw exhausted(accountId, permits, decision);
    }
    return decision;
  }

  @Override
  public Decision acquire(String accountId, long permits, Duration maxWait) {
    if (maxWait == null || maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be null or negative: " + maxWait);
    }
    Instant deadline = clock.instant().plus(maxWait);
    while (true) {
      Decision decision = tryAcquire(accountId, permits);
      if (decision.allowed()) {
        return decision;
      }
      Duration left = Duration.between(clock.instant(), deadline);
      if (decision.limit().blocks() || decision.retryAfter().compareTo(left) > 0) {
        throw exhausted(accountId, permits, decision);
      }
      try {
        sleeper.sleep(decision.retryAfter());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RateLimiterException("interrupted while waiting for " + permits + " permits of '" + resourceName
            + "' for account '" + accountId + "'", e);
      }
    }
  }

  private CapacityExhaustedException exhausted(String accountId, long permits, Decision decision) {
    if (decision.limit().blocks()) {
      return new CapacityExhaustedException("account '" + accountId + "' has no capacity for resource '"
          + resourceName + "' (its limit is 0)", resourceName, accountId, null);
    }
    return new CapacityExhaustedException("rate limit " + decision.limit() + " of resource '" + resourceName
        + "' exhausted for account '" + accountId + "' (" + permits + " permits asked); retry after "
        + decision.retryAfter(), resourceName, accountId, decision.retryAfter());
  }
}
