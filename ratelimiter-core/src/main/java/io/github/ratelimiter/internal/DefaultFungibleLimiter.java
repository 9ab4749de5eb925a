package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.BucketStore.QuotaRequest;
import io.github.ratelimiter.store.BucketStore.QuotaResult;
import io.github.ratelimiter.store.BucketStore.Refund;
import io.github.ratelimiter.store.BucketStore.RefundRequest;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link FungibleLimiter} over any {@link BucketStore}; the arithmetic is {@link io.github.ratelimiter.store.Gcra}'s.
 *
 * <p>A decision is a {@link FungibleCall} taken through named steps, and reported once, at one exit:
 * <ol>
 *   <li><b>resolve</b>: the account's {@link Rate} (its limit row, else the default) and its {@link KnownBucket},
 *       the one place this process keeps what it knows of the bucket;
 *   <li><b>leased</b>, for a key that leases ({@link LeasedBuckets}): from the chunk held, a new chunk, or the
 *       direct step;
 *   <li><b>direct</b>: one store step for exactly these permits, or a local denial.
 * </ol>
 *
 * <p>Per bucket it keeps the largest {@code tat} it has seen. Since {@code tat} never decreases, a request that this
 * value already denies is answered here, exactly, without a store request. When that value says the bucket holds the
 * last permit or so, the threads of this process ask the store one at a time (see {@link Rate#nearlyExhausted}), so
 * a bucket at its limit does not turn every refill into a burst of failed writes.
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
  private final QuotaRate defaultQuota;
  /** The default quota's first limit: the whole of a single limit. */
  private final Rate defaultRate;
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
  /** Whether each account's ancestors are charged too ({@link io.github.ratelimiter.LimiterOptions#cascade()}). */
  private final boolean cascade;
  /** Per account, what this process knows of its bucket. */
  private final Cache<String, KnownBucket> known = Caffeine.newBuilder().maximumSize(100_000).build();
  private final Function<String, KnownBucket> unknown = account -> new KnownBucket();
  /**
   * The account decided last, in front of {@link #known} and the limit lookup: a run of decisions for one account
   * (one thread, a hot tenant) skips the cache, and the limit resolver until its answer may change. A plain field: a
   * stale or lost write only costs a lookup, and a bucket the cache has since evicted still holds a true lower
   * bound of the stored {@code tat}.
   */
  private Account last;

  /**
   * An account's bucket, and its rate as the limit resolver answered, which holds for every {@code now < rateUntil}
   * (see {@link LimitResolver.Lookup}), and whether its key is leased.
   */
  private record Account(String accountId, KnownBucket bucket, QuotaRate quota, long rateUntil, boolean leased,
      String parent) {}

  /** The leased path for hot keys (see {@link Leases}); used for the keys {@link Account#leased()} says. */
  private final LeasedBuckets leases;
  /** The direct step, as the leased path calls it. */
  private final Function<FungibleCall, Decision> directStep = this::direct;
  /** The quota step, as the leased path of a quota calls it. */
  private final Function<FungibleCall, Decision> quotaStepFn = this::quotaStep;
  /**
   * Whether every key may be leased ({@link io.github.ratelimiter.LimiterOptions#leasing()} set); else only the
   * accounts whose limit row switches it on ({@link LimitRecord#leasing()}), with {@link Leasing#defaults()}.
   */
  private final boolean leasesEveryKey;
  /** Accounts whose row was seen without a window, so that this is logged once per account. */
  private final Cache<String, Boolean> windowlessSeen = Caffeine.newBuilder().maximumSize(10_000).build();

  /** A limiter no listener hears, of one limit. */
  DefaultFungibleLimiter(String resourceName, Limit defaultLimit, BucketStore buckets, LimitResolver limits,
      Clock clock, Duration limitCacheTtl, FailureMode failureMode, Sleeper sleeper, Leasing leasing) {
    this(resourceName, Quota.of(defaultLimit), buckets, limits, clock, limitCacheTtl, failureMode, sleeper, leasing,
        null, false, RateLimiterListener.NONE);
  }

  DefaultFungibleLimiter(String resourceName, Quota defaultQuota, BucketStore buckets, LimitResolver limits,
      Clock clock, Duration limitCacheTtl, FailureMode failureMode, Sleeper sleeper, Leasing leasing,
      Duration decisionTimeout, boolean cascade, RateLimiterListener listener) {
    this.resourceName = resourceName;
    this.cascade = cascade;
    this.defaultQuota = QuotaRate.of(defaultQuota);
    this.defaultRate = this.defaultQuota.rate(0);
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
    return limitOf(limits.lookup(resourceName, accountId, time.now(), startDeadline()).row());
  }

  /** The limit a row (or none: null) gives. */
  private Limit limitOf(LimitRecord row) {
    if (row == null) {
      return defaultRate.limit();
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
    Limit defaultLimit = defaultRate.limit();
    if (windowlessSeen.asMap().putIfAbsent(row.accountId(), Boolean.TRUE) == null) {
      log.warn("the limit row of '{}' for account '{}' has no window (windowSec 0 or absent): its limit {} applies"
          + " per the default window {}; give the row a windowSec (logged once per account)", resourceName,
          row.accountId(), row.limit(), defaultLimit.window());
    }
    return Limit.of(row.limit(), defaultLimit.window());
  }

  @Override
  public Quota quotaFor(String accountId) {
    Arguments.requireId("accountId", accountId);
    return quotaOf(limits.lookup(resourceName, accountId, time.now(), startDeadline()).row()).quota();
  }

  /**
   * The account's quota by its row: none, the default; a row of one limit, the default with its first limit replaced
   * by the row's; a row of several limits (or a named one), the row's quota.
   */
  private QuotaRate quotaOf(LimitRecord row) {
    if (row == null) {
      return defaultQuota;
    }
    if (row.window() == null || (row.moreLimits().isEmpty() && row.limitName() == null)) {
      return quotaOf(limitOf(row));
    }
    return QuotaRate.of(row.quota(defaultQuota.name(0)));
  }

  /** The default quota with its first limit replaced by {@code first}. */
  private QuotaRate quotaOf(Limit first) {
    return first.equals(defaultRate.limit()) ? defaultQuota : defaultQuota.withFirst(first);
  }

  @Override
  public Decision tryAcquire(String accountId, long permits) {
    Arguments.requireId("accountId", accountId);
    Arguments.requirePositive("permits", permits);
    return decided(new FungibleCall(accountId, permits, null, time.now(), startDeadline()));
  }

  @Override
  public Decision tryAcquire(String accountId, Cost cost) {
    Arguments.requireId("accountId", accountId);
    if (cost == null) {
      throw new IllegalArgumentException("cost must not be null");
    }
    return decided(new FungibleCall(accountId, 0, cost, time.now(), startDeadline()));
  }

  /**
   * One key's part of a decision across several keys ({@link DefaultRateLimiters#tryAcquireAll}): decided as
   * {@link #tryAcquire(String, Cost)} is, but always by a store write of its own (never from a lease), and returned
   * with what a refund needs.
   */
  FungibleCall charge(String accountId, Cost cost) {
    Arguments.requireId("accountId", accountId);
    FungibleCall call = new FungibleCall(accountId, 0, cost, time.now(), startDeadline());
    call.joint = true;
    call.decision = decided(call);
    return call;
  }

  /**
   * Gives back what {@code call} took, as far as it still lies ahead of now: per lane, the part of the admission's
   * slots {@code [tatAfter - cost, tatAfter)} after now, {@code min(cost, max(0, tatAfter - now))}. The slots already
   * passed are forfeited. That refund cannot create credit: every request admitted after the charge had its
   * {@code start = max(tat, now')} with {@code now' <= now}, so in the history without the charge its slots would
   * have started no later than they do minus the forfeited part (the proof is in the design notes of
   * {@link io.github.ratelimiter.RateLimiters#tryAcquireAll}); and the stored {@code tat} after the refund is never
   * below now. A call the store did not charge (denied, degraded, undecided) needs nothing. A failed refund is
   * logged and lost: under-admission only.
   */
  void refund(FungibleCall call) {
    if (call.tatsAfter == null) {
      return;
    }
    long now = time.now();
    QuotaRate quota = call.quota;
    List<Refund> lanes = new ArrayList<>(call.tatsAfter.length);
    long[] amounts = new long[call.tatsAfter.length];
    for (int i = 0; i < call.tatsAfter.length; i++) {
      long cost = call.laneCosts == null ? call.costNanos : call.laneCosts[i];
      amounts[i] = Math.min(cost, Math.max(0, call.tatsAfter[i] - now));
      lanes.add(new Refund(quota.name(i), amounts[i], call.tatsAfter[i]));
    }
    try {
      if (buckets.refund(new RefundRequest(resourceName, call.accountId, lanes, startDeadline()))) {
        call.bucket.lowerLanes(quota.quota(), amounts);
      }
    } catch (RateLimiterException e) {
      outages.failed(e); // the charge stays: this bucket under-admits by at most what was to be refunded
    }
  }

  /** Decides the call and reports it: the one exit of every decision. */
  private Decision decided(FungibleCall call) {
    if (cascade && !call.joint) {
      try {
        resolve(call);
        if (call.parent != null) {
          return cascaded(call);
        }
      } catch (RateLimiterException e) {
        return storeFailed(call, e);
      }
    }
    Decision decision;
    try {
      decision = decide(call);
    } catch (RateLimiterException e) {
      return storeFailed(call, e);
    }
    listener.onDecision(resourceName, call.accountId, LimiterKind.FUNGIBLE,
        decision.allowed() ? DecisionOutcome.ALLOWED : DecisionOutcome.DENIED, call.permits, call.storeAsked);
    if (decision.denied()) {
      listener.onDenied(resourceName, call.accountId, decision.limitName());
    }
    return decision;
  }

  /**
   * A cascading decision: the account and each ancestor (its row's parent, the parent's row's parent, ...), each on
   * its own quota, decided together; every key's charge is reported as its own decision.
   */
  private Decision cascaded(FungibleCall call) {
    List<String> accounts = new ArrayList<>();
    accounts.add(call.accountId);
    Set<String> seen = new HashSet<>(accounts);
    String parent = call.parent;
    while (parent != null && accounts.size() <= LimiterOptions.MAX_ANCESTORS && seen.add(parent)) {
      accounts.add(parent);
      LimitRecord row = limits.lookup(resourceName, parent, call.now, call.deadline).row();
      parent = row == null ? null : row.parentAccountId();
    }
    int n = accounts.size();
    DefaultFungibleLimiter[] limiters = new DefaultFungibleLimiter[n];
    Cost[] costs = new Cost[n];
    Cost cost = call.cost != null ? call.cost : Cost.permits(call.permits);
    Arrays.fill(limiters, this);
    Arrays.fill(costs, cost);
    return JointDecisions.decide(limiters, accounts.toArray(String[]::new), costs).decision();
  }

  /**
   * The steps of one decision: resolve, then, for a single limit, leased or direct, and for a quota of several, the
   * quota step, each leased or not.
   *
   * @throws RateLimiterException if the store failed (or the deadline passed) on the way
   */
  private Decision decide(FungibleCall call) {
    resolve(call);
    QuotaRate quota = call.quota;
    int blocking = quota.blockingLane();
    if (blocking >= 0) {
      Rate rate = quota.rate(blocking);
      return new Decision(false, 0, blockedRetryAfter, rate.limit(), rate.name(), false);
    }
    if (quota.size() > 1) {
      call.laneCosts = quota.costs(quota.amounts(call.cost, call.permits, resourceName, call.accountId));
      if (call.cost != null) {
        call.permits = quota.amounts(call.cost, 0, resourceName, call.accountId)[0];
      }
      return call.leased && !call.joint ? leases.decideQuota(call, quotaStepFn) : quotaStep(call);
    }
    Rate rate = call.rate;
    if (call.cost != null) {
      call.permits = quota.amounts(call.cost, 0, resourceName, call.accountId)[0]; // checks names and size
    } else if (call.permits > rate.limit().limit()) {
      throw new IllegalArgumentException("permits " + call.permits + " exceeds the limit " + rate.limit()
          + " of resource '" + resourceName + "' for account '" + call.accountId + "': it can never be granted");
    }
    call.costNanos = rate.cost(call.permits);
    return call.leased && !call.joint ? leases.decide(call, directStep) : direct(call);
  }

  /**
   * The quota step: one store step over every limit at once, all or nothing, unless the seen state of some limit
   * already denies locally.
   */
  private Decision quotaStep(FungibleCall call) {
    QuotaRate quota = call.quota;
    long[] seen = call.bucket.seenLanes(quota.quota());
    int denying = quota.certainlyDenying(seen, call.now, call.laneCosts);
    if (denying >= 0) {
      return quota.denied(seen, call.now, call.laneCosts, denying);
    }
    call.storeAsked = true;
    QuotaResult result = buckets.consume(new QuotaRequest(resourceName, call.accountId, call.now,
        quota.lanes(call.laneCosts, seen), call.deadline));
    call.bucket.raiseLanes(quota.quota(), result.tats());
    if (result.allowed()) {
      call.tatsAfter = result.tats();
    }
    return result.allowed() ? quota.allowed(result.tats(), call.now, call.laneCosts)
        : quota.denied(result.tats(), call.now, call.laneCosts, result.denyingLane());
  }

  /**
   * Resolve: the account's rate, bucket and leasing, from the last account decided while the resolver's answer
   * holds, else from the limit resolver (which may read the store) and the bucket cache.
   */
  private void resolve(FungibleCall call) {
    Account account = last;
    boolean sameAccount = account != null && account.accountId().equals(call.accountId);
    if (!sameAccount || call.now - account.rateUntil() >= 0) {
      call.rate = defaultRate; // the rate a failure is reported with, should the lookup fail
      call.quota = defaultQuota;
      LimitResolver.Lookup lookup;
      try {
        lookup = limits.lookup(resourceName, call.accountId, call.now, call.deadline);
      } catch (RateLimiterException e) {
        call.storeAsked = true;
        throw e;
      }
      QuotaRate quota = quotaOf(lookup.row());
      KnownBucket bucket = sameAccount ? account.bucket() : known.get(call.accountId, unknown);
      boolean leasedRow = lookup.row() != null && lookup.row().leasing();
      account = new Account(call.accountId, bucket, quota, lookup.untilNanos(), leasesEveryKey || leasedRow,
          lookup.row() == null ? null : lookup.row().parentAccountId());
      last = account;
    }
    call.bucket = account.bucket();
    call.quota = account.quota();
    call.rate = call.quota.rate(0);
    call.leased = account.leased();
    call.parent = account.parent();
  }

  /**
   * Direct: one store step for exactly these permits, unless the seen {@code tat} denies locally; near exhaustion,
   * one thread of this process at a time asks the store and the others wait for its answer once.
   */
  private Decision direct(FungibleCall call) {
    Rate rate = call.rate;
    KnownBucket bucket = call.bucket;
    boolean waited = false;
    while (true) {
      long seen = bucket.seenTat();
      if (rate.certainlyDenied(seen, call.now, call.costNanos)) {
        return rate.denied(seen, call.now, call.costNanos);
      }
      CompletableFuture<Void> mine = null;
      if (!waited && rate.nearlyExhausted(seen, call.now, call.costNanos)) {
        mine = new CompletableFuture<>();
        CompletableFuture<Void> other = bucket.startStoreCall(mine);
        if (other != null) {
          // Another thread is asking the store for the last permits: its answer will most likely deny us locally.
          // Wait for it once, within this decision's deadline, then decide on a fresh clock reading; never queue
          // behind the calls that follow it. If that call failed (or our deadline passed first), share the failure.
          awaitStoreCall(other, call.deadline);
          waited = true;
          call.now = time.now();
          continue;
        }
      }
      RateLimiterException failure = null;
      try {
        call.storeAsked = true;
        BucketResult result = buckets.consume(new BucketRequest(resourceName, call.accountId, call.now, call.costNanos,
            rate.tolerance(), seen, call.deadline));
        bucket.raise(result.tat());
        if (result.allowed()) {
          call.tatsAfter = new long[] {result.tat()};
        }
        return result.allowed() ? rate.allowed(result.tat(), call.now) : rate.denied(result.tat(), call.now, call.costNanos);
      } catch (RateLimiterException e) {
        failure = e;
        throw e;
      } finally {
        if (mine != null) {
          bucket.endStoreCall(mine, failure);
        }
      }
    }
  }

  /**
   * Waits for another thread's store call on the same bucket, within {@code deadline}; returns when it got an answer
   * (which it recorded in the seen {@code tat}).
   *
   * @throws RateLimiterException that call's store failure, or the deadline's when it passes first
   */
  private static void awaitStoreCall(CompletableFuture<Void> call, Deadline deadline) {
    deadline.await(call, "another thread's UpdateItem on the same bucket answered");
    try {
      call.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RateLimiterException failure) {
        throw failure;
      }
    }
  }

  /**
   * The exit of a decision the store failed: thrown ({@link FailureMode#FAIL_CLOSED}) or admitted and marked
   * degraded ({@link FailureMode#FAIL_OPEN}), heard by the listener either way and logged once per interval.
   */
  private Decision storeFailed(FungibleCall call, RateLimiterException e) {
    outages.failed(e);
    if (failureMode == FailureMode.FAIL_CLOSED) {
      listener.onDecision(resourceName, call.accountId, LimiterKind.FUNGIBLE, DecisionOutcome.ERROR, call.permits,
          call.storeAsked);
      throw e;
    }
    listener.onDecision(resourceName, call.accountId, LimiterKind.FUNGIBLE, DecisionOutcome.DEGRADED, call.permits,
        call.storeAsked);
    Rate rate = call.rate == null ? defaultRate : call.rate;
    return new Decision(true, 0, Duration.ZERO, rate.limit(), rate.name(), true);
  }

  @Override
  public Decision acquire(String accountId, long permits) {
    Decision decision = tryAcquire(accountId, permits);
    if (decision.denied()) {
      throw exhausted(accountId, permits + " permits", decision);
    }
    return decision;
  }

  @Override
  public Decision acquire(String accountId, Cost cost) {
    Decision decision = tryAcquire(accountId, cost);
    if (decision.denied()) {
      throw exhausted(accountId, "cost " + cost, decision);
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
        throw exhausted(accountId, permits + " permits", decision);
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

  private CapacityExhaustedException exhausted(String accountId, String asked, Decision decision) {
    if (decision.limit().blocks()) {
      return new CapacityExhaustedException("account '" + accountId + "' has no capacity for resource '"
          + resourceName + "' (its limit is 0)", resourceName, accountId, null);
    }
    return new CapacityExhaustedException("rate limit " + decision.limit() + " of resource '" + resourceName
        + "' exhausted for account '" + accountId + "' (" + asked + " asked); retry after "
        + decision.retryAfter(), resourceName, accountId, decision.retryAfter());
  }
}
