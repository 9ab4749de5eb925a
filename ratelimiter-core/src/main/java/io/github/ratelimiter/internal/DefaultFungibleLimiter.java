package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.AsyncFungibleLimiter;
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
import io.github.ratelimiter.Charge;
import io.github.ratelimiter.RateLimiterListener.CostKind;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.BucketStore.Lane;
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
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
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
 *   <li><b>direct</b>: one store step for exactly these permits, or a local denial; on a remote store, when this
 *       process already has a call in flight on the bucket, a seat in the batch that goes as one step when that call
 *       ends ({@link Batch}, where the proof that it stays exact is).
 * </ol>
 *
 * <p>Reservations settled later ({@link #tryReserve}, {@link DefaultCharge}) are admitted by the same steps, always
 * by a store write of their own (never from a lease), and keep what a refund needs ({@link FungibleCall#tatsAfter});
 * a settle gives back ({@link #giveBack}) or charges debt ({@link #chargeDebt}); the design notes and the bound are
 * on {@link io.github.ratelimiter.store.Gcra}, "Refunds, settles and debt".
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
  final QuotaRate defaultQuota;
  /** The default quota's first limit: the whole of a single limit. */
  final Rate defaultRate;
  final BucketStore buckets;
  private final LimitResolver limits;
  final Clock clock;
  /** {@link #clock} as epoch nanoseconds: read exactly, or faster when it is the system clock. */
  final EpochNanos time;
  private final Duration blockedRetryAfter;
  private final FailureMode failureMode;
  private final Sleeper sleeper;
  private final RateLimiterListener listener;
  private final OutageLog outages;
  /** The longest one decision may take; {@code null}: unbounded (a store in process). */
  private final Duration decisionTimeout;
  /** Whether decisions on one bucket that find a call in flight go to the store together ({@link Batch}). */
  final boolean coalesce;
  /** Whether each account's ancestors are charged too ({@link io.github.ratelimiter.LimiterOptions#cascade()}). */
  final boolean cascade;
  /** How far past each limit a settle or post-paid charge may go, in limits ({@link LimiterOptions#maxDebt()}). */
  private final double maxDebt;
  /** When the next warning of costs beyond the maximum debt may be logged (epoch millis). */
  private final AtomicLong nextDebtWarning = new AtomicLong(Long.MIN_VALUE);
  /** Costs beyond the maximum debt since the last warning. */
  private final AtomicLong debtRefusals = new AtomicLong();
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
  final LeasedBuckets leases;
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
        null, false, RateLimiterListener.NONE, LimiterOptions.DEFAULT_MAX_DEBT);
  }

  DefaultFungibleLimiter(String resourceName, Quota defaultQuota, BucketStore buckets, LimitResolver limits,
      Clock clock, Duration limitCacheTtl, FailureMode failureMode, Sleeper sleeper, Leasing leasing,
      Duration decisionTimeout, boolean cascade, RateLimiterListener listener, double maxDebt) {
    this(resourceName, defaultQuota, buckets, limits, clock, limitCacheTtl, failureMode, sleeper, leasing,
        decisionTimeout, cascade, listener, maxDebt, ForkJoinPool.commonPool());
  }

  DefaultFungibleLimiter(String resourceName, Quota defaultQuota, BucketStore buckets, LimitResolver limits,
      Clock clock, Duration limitCacheTtl, FailureMode failureMode, Sleeper sleeper, Leasing leasing,
      Duration decisionTimeout, boolean cascade, RateLimiterListener listener, double maxDebt, Executor executor) {
    this.async = new DefaultAsyncFungibleLimiter(this, executor);
    this.resourceName = resourceName;
    this.maxDebt = maxDebt;
    this.cascade = cascade;
    this.defaultQuota = QuotaRate.of(defaultQuota);
    this.defaultRate = this.defaultQuota.rate(0);
    this.buckets = buckets;
    this.coalesce = buckets.remote();
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

  /** The non-blocking view, with the executor it completes on. */
  private final AsyncFungibleLimiter async;

  @Override
  public AsyncFungibleLimiter async() {
    return async;
  }

  /** A decision's deadline, from now; reads no time when decisions are unbounded. */
  Deadline startDeadline() {
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
    return decided(new FungibleCall(accountId, permits, time.now(), startDeadline()));
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
  FungibleCall admit(String accountId, Cost cost) {
    FungibleCall call = jointCall(accountId, cost);
    call.decision = decided(call);
    return call;
  }

  /** A call for one key of a decision across several keys, not yet decided. */
  FungibleCall jointCall(String accountId, Cost cost) {
    Arguments.requireId("accountId", accountId);
    FungibleCall call = new FungibleCall(accountId, 0, cost, time.now(), startDeadline());
    call.joint = true;
    return call;
  }

  /**
   * Gives back what {@code call} took, as far as it still lies ahead of now: per lane, the part of the admission's
   * slots {@code [tatAfter - cost, tatAfter)} after now, {@code min(cost, max(0, tatAfter - now))}. The slots already
   * passed are forfeited. That refund cannot create credit (the proof is in {@link io.github.ratelimiter.store.Gcra},
   * "Refunds, settles and debt"); and the stored {@code tat} after the refund is never below now. A call the store
   * did not charge (denied, degraded, undecided) needs nothing. A failed refund is reported, logged and lost:
   * under-admission only.
   */
  void refund(FungibleCall call) {
    if (call.tatsAfter == null) {
      return;
    }
    giveBack(call, costsOf(call), time.now());
  }

  /** What the call took of each lane, in nanoseconds. */
  static long[] costsOf(FungibleCall call) {
    long[] costs = new long[call.tatsAfter.length];
    for (int i = 0; i < costs.length; i++) {
      costs[i] = call.laneCosts == null ? call.costNanos : call.laneCosts[i];
    }
    return costs;
  }

  /**
   * Gives back, per lane, at most {@code most[i]} nanoseconds of the slots {@code call} took, and only the part of
   * them still ahead of now: the admission's slots end at {@code tatAfter}, so what goes back is
   * {@code min(most, max(0, tatAfter - now))}, taken from the end of its slots. One conditional write, applied only
   * while every lane is still at least at {@code tatAfter} ({@link BucketStore#refund}).
   */
  private void giveBack(FungibleCall call, long[] most, long now) {
    long[] amounts = refundAmounts(call, most, now);
    if (amounts == null) {
      return; // everything already passed: nothing to give back, nothing to send
    }
    boolean applied;
    try {
      applied = buckets.refund(refundRequest(call, amounts));
    } catch (RateLimiterException e) {
      refundFailed(call, amounts, e);
      return;
    }
    refunded(call, amounts, applied);
  }

  /**
   * Per lane, what a refund of at most {@code most} gives back at {@code now}: {@code min(most, max(0, tatAfter -
   * now))}; null when that is nothing on every lane.
   */
  long[] refundAmounts(FungibleCall call, long[] most, long now) {
    int n = call.tatsAfter.length;
    long[] amounts = new long[n];
    boolean any = false;
    for (int i = 0; i < n; i++) {
      amounts[i] = Math.min(most[i], Math.max(0, call.tatsAfter[i] - now));
      any |= amounts[i] > 0;
    }
    return any ? amounts : null;
  }

  /** The refund's one conditional write: each lane back by its amount while still at the admission's {@code tat}. */
  RefundRequest refundRequest(FungibleCall call, long[] amounts) {
    List<Refund> lanes = new ArrayList<>(amounts.length);
    for (int i = 0; i < amounts.length; i++) {
      lanes.add(new Refund(call.quota.name(i), amounts[i], call.tatsAfter[i]));
    }
    return new RefundRequest(resourceName, call.accountId, lanes, startDeadline());
  }

  /** A refund the store failed: the charge stays (this bucket under-admits by at most the amounts), reported. */
  void refundFailed(FungibleCall call, long[] amounts, RateLimiterException e) {
    outages.failed(e);
    reportLanes(call.accountId, call.quota, amounts, CostKind.REFUND, true);
  }

  /** A refund the store answered: the seen state follows it, and the listener hears it. */
  void refunded(FungibleCall call, long[] amounts, boolean applied) {
    QuotaRate quota = call.quota;
    int n = amounts.length;
    if (applied) {
      call.bucket.lowerLanes(quota.quota(), amounts);
      for (int i = 0; i < n; i++) {
        if (amounts[i] > 0) {
          listener.onCost(resourceName, quota.name(i), CostKind.REFUND, amounts[i] / quota.rate(i).interval(), 0);
        }
      }
    } else {
      // the bucket was moved back by another refund, reset or removed since: giving back now could create credit
      reportLanes(call.accountId, quota, amounts, CostKind.REFUND, false);
    }
  }

  /** Reports the lanes' {@code nanos} as lost (in each limit's units). */
  private void reportLanes(String accountId, QuotaRate quota, long[] nanos, CostKind kind, boolean storeFailed) {
    for (int i = 0; i < nanos.length; i++) {
      long interval = quota.rate(i).interval();
      if (nanos[i] > 0 && interval > 0) {
        listener.onCostLost(resourceName, accountId, quota.name(i), kind, nanos[i] / interval, storeFailed);
      }
    }
  }

  @Override
  public Charge tryReserve(String accountId, Cost estimate) {
    Arguments.requireId("accountId", accountId);
    if (estimate == null) {
      throw new IllegalArgumentException("estimate must not be null");
    }
    return reserved(admit(accountId, estimate), estimate);
  }

  /** The charge of a reserve's decided call: its amounts, when the store counted them, reported as reserved. */
  Charge reserved(FungibleCall call, Cost estimate) {
    if (call.tatsAfter != null) {
      long[] amounts = call.quota.actualAmounts(estimate, resourceName);
      for (int i = 0; i < amounts.length; i++) {
        if (amounts[i] > 0) {
          listener.onCost(resourceName, call.quota.name(i), CostKind.RESERVE, amounts[i], 0);
        }
      }
    }
    return new DefaultCharge(this, call, estimate);
  }

  /**
   * Settles a reservation: per lane, an actual amount below the estimate gives back the part of
   * {@code [start + actual, tatAfter)} still ahead of now (the slots {@code [start, start + actual)} stay charged),
   * one above it charges the extra as debt ({@link #chargeDebt}). Nothing is sent when they are equal. A failure is
   * reported and logged, never thrown.
   *
   * @param actual checked by {@link #checkActual} already
   */
  void settle(FungibleCall call, Cost estimate, Cost actual) {
    if (call.tatsAfter == null) {
      return; // degraded: nothing was counted, nothing to settle
    }
    Settlement settlement = settlement(call, estimate, actual);
    long now = time.now();
    if (settlement.back() != null) {
      giveBack(call, settlement.back(), now);
    }
    if (settlement.extra() != null) {
      try {
        chargeDebt(call.accountId, call.bucket, call.quota, settlement.extra(), now, CostKind.SETTLE,
            startDeadline());
      } catch (RateLimiterException e) {
        costsLost(call.accountId, call.quota, settlement.extra(), CostKind.SETTLE, e);
      }
    }
  }

  /**
   * What a settle moves, per lane: what goes back (nanoseconds, the estimate's excess; null when no lane gives
   * back) and what is charged on top (in each limit's units; null when no lane costs more than estimated).
   */
  record Settlement(long[] back, long[] extra) {}

  Settlement settlement(FungibleCall call, Cost estimate, Cost actual) {
    QuotaRate quota = call.quota;
    long[] estimated = quota.actualAmounts(estimate, resourceName);
    long[] actuals = quota.actualAmounts(actual, resourceName);
    int n = estimated.length;
    long[] back = new long[n];
    long[] extra = new long[n];
    boolean anyBack = false;
    boolean anyExtra = false;
    for (int i = 0; i < n; i++) {
      if (actuals[i] < estimated[i]) {
        back[i] = quota.rate(i).cost(estimated[i] - actuals[i]);
        anyBack = true;
      } else if (actuals[i] > estimated[i]) {
        extra[i] = actuals[i] - estimated[i];
        anyExtra = true;
      }
    }
    return new Settlement(anyBack ? back : null, anyExtra ? extra : null);
  }

  /** Costs the store failed to charge: logged once per interval and reported per lane, in each limit's units. */
  void costsLost(String accountId, QuotaRate quota, long[] amounts, CostKind kind, RateLimiterException e) {
    outages.failed(e);
    for (int i = 0; i < amounts.length; i++) {
      if (amounts[i] > 0) {
        listener.onCostLost(resourceName, accountId, quota.name(i), kind, amounts[i], true);
      }
    }
  }

  /** Checks an actual cost against the quota the reservation was decided on, before anything is sent. */
  void checkActual(FungibleCall call, Cost actual) {
    if (actual == null) {
      throw new IllegalArgumentException("actual must not be null");
    }
    (call.quota != null ? call.quota : defaultQuota).actualAmounts(actual, resourceName);
  }

  @Override
  public Decision charge(String accountId, Cost cost) {
    Arguments.requireId("accountId", accountId);
    if (cost == null) {
      throw new IllegalArgumentException("cost must not be null");
    }
    FungibleCall call = new FungibleCall(accountId, 0, cost, time.now(), startDeadline());
    long[] amounts = null;
    try {
      resolve(call);
      amounts = call.quota.actualAmounts(cost, resourceName);
      long[] tats = chargeDebt(accountId, call.bucket, call.quota, amounts, call.now, CostKind.CHARGE, call.deadline);
      return standing(call.quota, tats, call.now);
    } catch (RateLimiterException e) {
      return chargeFailed(call, amounts, e);
    }
  }

  /**
   * A post-paid charge the store failed: its amounts (when known) reported lost, then the failure mode: thrown, or
   * a degraded admission.
   */
  Decision chargeFailed(FungibleCall call, long[] amounts, RateLimiterException e) {
    if (amounts != null) {
      costsLost(call.accountId, call.quota, amounts, CostKind.CHARGE, e);
    } else {
      outages.failed(e);
    }
    if (failureMode == FailureMode.FAIL_CLOSED) {
      throw e;
    }
    Rate rate = call.rate == null ? defaultRate : call.rate;
    return new Decision(true, 0, Duration.ZERO, rate.limit(), rate.name(), true);
  }

  /**
   * Where an account stands after a charge left its lanes at {@code tats}: allowed when every lane is within its
   * limit ({@code tat <= now + tolerance}); else denied until the lane furthest in debt is paid off.
   */
  static Decision standing(QuotaRate quota, long[] tats, long now) {
    int furthest = -1;
    long longest = 0;
    int fewest = 0;
    long remaining = Long.MAX_VALUE;
    for (int i = 0; i < tats.length; i++) {
      Rate rate = quota.rate(i);
      long debt = tats[i] == BucketStore.UNKNOWN ? 0 : tats[i] - now - rate.tolerance();
      if (debt > longest) {
        longest = debt;
        furthest = i;
      }
      long left = rate.remaining(tats[i], now);
      if (left < remaining) {
        remaining = left;
        fewest = i;
      }
    }
    if (furthest < 0) {
      return new Decision(true, remaining, Duration.ZERO, quota.rate(fewest).limit(), quota.name(fewest), false);
    }
    return new Decision(false, 0, Duration.ofNanos(longest), quota.rate(furthest).limit(), quota.name(furthest),
        false);
  }

  /**
   * Charges {@code amounts} (each lane's, in its units) even past the limit: one GCRA step whose tolerance is
   * widened by the maximum debt, {@code max(tat, now) + cost - now <= tolerance + maxDebt}, on both stores the same
   * atomic step as a decision ({@link BucketStore#consume}). An amount larger than the widened tolerance is cut to
   * it first. When the step is refused (the bucket is already that far in debt), what still fits by the state the
   * refusal returned is charged with one more step; whatever was not charged is reported and logged.
   *
   * @return each lane's {@code tat} after the charge (as stored, when nothing could be charged)
   * @throws RateLimiterException if the store fails
   */
  private long[] chargeDebt(String accountId, KnownBucket bucket, QuotaRate quota, long[] amounts, long now,
      CostKind kind, Deadline deadline) {
    Debt debt = planDebt(bucket, quota, amounts);
    // nothing to charge (every limit that the cost names is 0): no write; the state is as last seen
    DebtStep step = debt.anyTake() ? debtStep(accountId, quota, debt.take, debt.wide, debt.seen, now, deadline)
        : new DebtStep(true, debt.seen);
    if (!step.charged()) {
      long[] fits = debt.fits(quota, step.tats(), now);
      if (fits != null) {
        step = debtStep(accountId, quota, fits, debt.wide, step.tats(), now, deadline);
      }
      debt.refused(fits, step.charged());
    }
    return debtCharged(accountId, bucket, quota, debt, step.tats(), now, kind);
  }

  /**
   * A charge past the limit, planned: per lane the widened tolerance ({@code wide}), what is taken ({@code take}: the
   * amount cut to the widened tolerance) and lost ({@code lost}: the rest), from the seen state ({@code seen}).
   */
  static final class Debt {
    final long[] wide;
    final long[] take;
    final long[] lost;
    final long[] seen;

    private Debt(long[] wide, long[] take, long[] lost, long[] seen) {
      this.wide = wide;
      this.take = take;
      this.lost = lost;
      this.seen = seen;
    }

    boolean anyTake() {
      for (long amount : take) {
        if (amount > 0) {
          return true;
        }
      }
      return false;
    }

    /**
     * When the first step was refused (the bucket already that far in debt): per lane, what still fits by the
     * state it returned; null when nothing does.
     */
    long[] fits(QuotaRate quota, long[] stored, long now) {
      long[] fits = new long[take.length];
      boolean any = false;
      for (int i = 0; i < fits.length; i++) {
        Rate rate = quota.rate(i);
        long start = stored[i] == BucketStore.UNKNOWN ? now : Math.max(stored[i], now);
        long room = rate.interval() == 0 ? 0 : Math.max(0, now + wide[i] - start) / rate.interval();
        fits[i] = Math.min(take[i], room);
        any |= fits[i] > 0;
      }
      return any ? fits : null;
    }

    /** After a refused first step: what the second charged ({@code fits}, when it did) and what was lost. */
    void refused(long[] fits, boolean charged) {
      for (int i = 0; i < take.length; i++) {
        long done = fits != null && charged ? fits[i] : 0;
        lost[i] += take[i] - done;
        take[i] = done;
      }
    }
  }

  /** Plans a charge of {@code amounts} past the limit ({@link Debt}). */
  Debt planDebt(KnownBucket bucket, QuotaRate quota, long[] amounts) {
    int n = amounts.length;
    long[] wide = new long[n];
    long[] take = new long[n];
    long[] lost = new long[n];
    for (int i = 0; i < n; i++) {
      Rate rate = quota.rate(i);
      long most = rate.blocks() ? 0 : rate.limit().limit() + (long) Math.floor(maxDebt * rate.limit().limit());
      wide[i] = rate.cost(most);
      take[i] = Math.min(amounts[i], most);
      lost[i] = amounts[i] - take[i];
    }
    return new Debt(wide, take, lost, bucket.seenLanes(quota.quota()));
  }

  /**
   * A charge's end, whatever its steps did: the seen state learns the lanes' {@code tats}, the listener hears what
   * was charged (and the debt it made) and what was lost, and a loss is logged.
   *
   * @return {@code tats}
   */
  long[] debtCharged(String accountId, KnownBucket bucket, QuotaRate quota, Debt debt, long[] tats, long now,
      CostKind kind) {
    int n = tats.length;
    if (n == 1) {
      bucket.raise(tats[0]);
    } else {
      bucket.raiseLanes(quota.quota(), tats);
    }
    boolean anyLost = false;
    for (int i = 0; i < n; i++) {
      Rate rate = quota.rate(i);
      if (debt.take[i] > 0) {
        long cost = rate.cost(debt.take[i]);
        long debtAfter = Math.max(0, tats[i] - now - rate.tolerance());
        long debtBefore = Math.max(0, tats[i] - cost - now - rate.tolerance());
        listener.onCost(resourceName, quota.name(i), kind, debt.take[i], (debtAfter - debtBefore) / rate.interval());
      }
      if (debt.lost[i] > 0) {
        anyLost = true;
        listener.onCostLost(resourceName, accountId, quota.name(i), kind, debt.lost[i], false);
      }
    }
    if (anyLost) {
      warnDebtRefused(accountId, quota, debt.lost, kind);
    }
    return tats;
  }

  /** A debt step's outcome: whether it charged, and every lane's {@code tat} after it (as stored when refused). */
  record DebtStep(boolean charged, long[] tats) {}

  /** {@link #debtStep} without waiting. */
  CompletableFuture<DebtStep> debtStepAsync(String accountId, QuotaRate quota, long[] amounts, long[] wide,
      long[] seen, long now, Deadline deadline) {
    if (quota.size() == 1) {
      return buckets.consumeAsync(new BucketRequest(resourceName, accountId, now, quota.rate(0).cost(amounts[0]),
          wide[0], seen[0], deadline)).thenApply(result -> new DebtStep(result.allowed(), new long[] {result.tat()}));
    }
    return buckets.consumeAsync(debtRequest(accountId, quota, amounts, wide, seen, now, deadline))
        .thenApply(result -> new DebtStep(result.allowed(), result.tats()));
  }

  /** A debt step of a quota of several limits: every lane's amount within its widened tolerance. */
  private QuotaRequest debtRequest(String accountId, QuotaRate quota, long[] amounts, long[] wide, long[] seen,
      long now, Deadline deadline) {
    List<Lane> lanes = new ArrayList<>(amounts.length);
    for (int i = 0; i < amounts.length; i++) {
      lanes.add(new Lane(quota.name(i), quota.rate(i).cost(amounts[i]), wide[i], seen[i]));
    }
    return new QuotaRequest(resourceName, accountId, now, lanes, deadline);
  }

  /** One store step of {@code amounts} (each lane's, in its units) within the widened tolerances {@code wide}. */
  private DebtStep debtStep(String accountId, QuotaRate quota, long[] amounts, long[] wide, long[] seen, long now,
      Deadline deadline) {
    if (quota.size() == 1) {
      BucketResult result = buckets.consume(new BucketRequest(resourceName, accountId, now,
          quota.rate(0).cost(amounts[0]), wide[0], seen[0], deadline));
      return new DebtStep(result.allowed(), new long[] {result.tat()});
    }
    QuotaResult result = buckets.consume(debtRequest(accountId, quota, amounts, wide, seen, now, deadline));
    return new DebtStep(result.allowed(), result.tats());
  }

  /** Logs costs beyond the maximum debt: one warning per interval, with the count since the last. */
  private void warnDebtRefused(String accountId, QuotaRate quota, long[] lost, CostKind kind) {
    debtRefusals.incrementAndGet();
    long nowMillis = clock.millis();
    long next = nextDebtWarning.get();
    if (nowMillis < next || !nextDebtWarning.compareAndSet(next, nowMillis + OutageLog.INTERVAL_MILLIS)) {
      return;
    }
    long count = debtRefusals.getAndSet(0);
    log.warn("{} {} cost{} of '{}' went beyond the maximum debt ({} of each limit) since the last warning (at most"
        + " one per {} s) and were not charged in full; last: account '{}', {} not charged of {}", count,
        kind.name().toLowerCase(java.util.Locale.ROOT), count == 1 ? "" : "s", resourceName, maxDebt,
        OutageLog.INTERVAL_MILLIS / 1000, accountId, Arrays.toString(lost), quota.quota().names());
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
      // the call's fields, not the call: a call object passed to a method the JIT does not inline (this one is
      // never executed while the store answers) is allocated on every decision (80 bytes)
      return storeFailed(call.accountId, call.permits, call.storeAsked, call.rate, e);
    }
    return reported(call, decision);
  }

  /** A decision made, as the listener hears it: the exit of the blocking and the non-blocking path alike. */
  Decision reported(FungibleCall call, Decision decision) {
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
    Decision blocked = blocked(call);
    if (blocked != null) {
      return blocked;
    }
    if (call.quota.size() > 1) {
      pricedQuota(call);
      return call.leased && !call.joint ? leases.decideQuota(call, quotaStepFn) : quotaStep(call);
    }
    priced(call);
    return call.leased && !call.joint ? leases.decide(call, directStep) : direct(call);
  }

  /** The denial of an account whose quota has a limit of 0 (blocked), or null. */
  Decision blocked(FungibleCall call) {
    int blocking = call.quota.blockingLane();
    if (blocking < 0) {
      return null;
    }
    Rate rate = call.quota.rate(blocking);
    return new Decision(false, 0, blockedRetryAfter, rate.limit(), rate.name(), false);
  }

  /**
   * A single limit's cost: the permits (from the cost by name, checking its names and size, or as asked, checked
   * against the limit) and their nanoseconds.
   */
  void priced(FungibleCall call) {
    Rate rate = call.rate;
    if (call.cost != null) {
      call.permits = call.quota.amounts(call.cost, 0, resourceName, call.accountId)[0]; // checks names and size
    } else if (call.permits > rate.limit().limit()) {
      throw new IllegalArgumentException("permits " + call.permits + " exceeds the limit " + rate.limit()
          + " of resource '" + resourceName + "' for account '" + call.accountId + "': it can never be granted");
    }
    call.costNanos = rate.cost(call.permits);
  }

  /** A quota of several limits: each lane's cost, and the permits of the first. */
  void pricedQuota(FungibleCall call) {
    QuotaRate quota = call.quota;
    call.laneCosts = quota.costs(quota.amounts(call.cost, call.permits, resourceName, call.accountId));
    if (call.cost != null) {
      call.permits = quota.amounts(call.cost, 0, resourceName, call.accountId)[0];
    }
  }

  /**
   * The quota step: one store step over every limit at once, all or nothing, unless the seen state of some limit
   * already denies locally.
   */
  private Decision quotaStep(FungibleCall call) {
    long[] seen = call.bucket.seenLanes(call.quota.quota());
    Decision local = quotaDeniedLocally(call, seen);
    if (local != null) {
      return local;
    }
    call.storeAsked = true;
    return quotaStepped(call, buckets.consume(quotaRequest(call, seen)));
  }

  /** The denial that the seen state of some limit already makes, or null. */
  Decision quotaDeniedLocally(FungibleCall call, long[] seen) {
    int denying = call.quota.certainlyDenying(seen, call.now, call.laneCosts);
    return denying < 0 ? null : call.quota.denied(seen, call.now, call.laneCosts, denying);
  }

  /** The quota step's request, from the seen state of every lane. */
  QuotaRequest quotaRequest(FungibleCall call, long[] seen) {
    return new QuotaRequest(resourceName, call.accountId, call.now, call.quota.lanes(call.laneCosts, seen),
        call.deadline);
  }

  /** The quota step's decision from the store's answer, which the seen state learns. */
  Decision quotaStepped(FungibleCall call, QuotaResult result) {
    QuotaRate quota = call.quota;
    call.bucket.raiseLanes(quota.quota(), result.tats());
    if (result.allowed() && call.joint) {
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
    if (account == null || !account.accountId().equals(call.accountId) || call.now - account.rateUntil() >= 0) {
      call.rate = defaultRate; // the rate a failure is reported with, should the lookup fail
      call.quota = defaultQuota;
      try {
        account = lookUp(call.accountId, call.now, call.deadline, account);
      } catch (RateLimiterException e) {
        call.storeAsked = true;
        throw e;
      }
    }
    resolved(call, account);
  }

  /**
   * Resolve without waiting: true when the account was decided last and its answer still holds (the call is
   * resolved), false when the limit resolver must be asked ({@link #lookedUp}).
   */
  boolean resolvedFromLast(FungibleCall call) {
    Account account = last;
    if (account == null || !account.accountId().equals(call.accountId) || call.now - account.rateUntil() >= 0) {
      return false;
    }
    resolved(call, account);
    return true;
  }

  /** The limit a row (or none: null) gives, for the non-blocking view. */
  Limit limitOfRow(LimitRecord row) {
    return limitOf(row);
  }

  /** The quota a row (or none: null) gives, for the non-blocking view. */
  Quota quotaOfRow(LimitRecord row) {
    return quotaOf(row).quota();
  }

  /** Resolves the call from the limit resolver's answer, as {@link #lookUp} does once it has it. */
  void lookedUp(FungibleCall call, LimitResolver.Lookup lookup) {
    Account previous = last;
    resolved(call, account(call.accountId, lookup, previous != null && previous.accountId().equals(call.accountId)
        ? previous : null));
  }

  /** The limit resolver, for the non-blocking view. */
  LimitResolver limits() {
    return limits;
  }

  private void resolved(FungibleCall call, Account account) {
    call.bucket = account.bucket();
    call.quota = account.quota();
    call.rate = call.quota.rate(0);
    call.leased = account.leased();
    call.parent = account.parent();
  }

  /** The account's rate and bucket from the limit resolver (which may read the store) and the bucket cache. */
  private Account lookUp(String accountId, long now, Deadline deadline, Account last) {
    boolean sameAccount = last != null && last.accountId().equals(accountId);
    LimitResolver.Lookup lookup = limits.lookup(resourceName, accountId, now, deadline);
    return account(accountId, lookup, sameAccount ? last : null);
  }

  /** The account's state from the resolver's answer: its quota, its bucket (the last account's when the same). */
  private Account account(String accountId, LimitResolver.Lookup lookup, Account sameAccount) {
    QuotaRate quota = quotaOf(lookup.row());
    KnownBucket bucket = sameAccount != null ? sameAccount.bucket() : known.get(accountId, unknown);
    boolean leasedRow = lookup.row() != null && lookup.row().leasing();
    Account account = new Account(accountId, bucket, quota, lookup.untilNanos(), leasesEveryKey || leasedRow,
        lookup.row() == null ? null : lookup.row().parentAccountId());
    this.last = account;
    return account;
  }


  /**
   * Direct: one store step for exactly these permits, unless the seen {@code tat} denies locally; near exhaustion,
   * one thread of this process at a time asks the store and the others wait for its answer once.
   */
  private Decision direct(FungibleCall call) {
    Rate rate = call.rate;
    long seen = call.bucket.seenTat();
    if (rate.certainlyDenied(seen, call.now, call.costNanos)) {
      return rate.denied(seen, call.now, call.costNanos);
    }
    if (rate.nearlyExhausted(seen, call.now, call.costNanos)) {
      return oneAtATime(call, seen);
    }
    if (coalesce && !call.joint) {
      return coalesced(call, seen);
    }
    return storeStep(call, seen);
  }

  /**
   * On a remote store ({@link BucketStore#remote()}): this decision's own store step when this process has no call
   * in flight on the bucket, else a seat in the batch that goes when that call ends ({@link Batch}), waited for
   * within this decision's deadline; a store failure of the batch is every member's.
   */
  private Decision coalesced(FungibleCall call, long seen) {
    KnownBucket bucket = call.bucket;
    Batch.Seat seat = bucket.enter(call.costNanos);
    if (seat == null) {
      try {
        return storeStep(call, seen);
      } finally {
        bucket.endCall();
      }
    }
    Batch batch = seat.batch();
    if (seat.leader()) {
      call.storeAsked = true;
      sendBatch(call, batch);
    }
    call.deadline.await(batch.outcome, "the batch of decisions on the same bucket was answered");
    Batch.Outcome outcome;
    try {
      outcome = batch.outcome.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RateLimiterException failure ? failure : e;
    }
    call.now = outcome.now();
    return batch.decision(seat.index(), call.rate, outcome);
  }

  /**
   * The leader's part: when the batch's turn comes, seal it and send it as one step at a fresh {@code now}; when that
   * is denied, one more step for the members that fit by the returned {@code tat}. Completes the batch's outcome, or
   * fails it with the store's failure (or the deadline's, when the turn did not come in time).
   */
  private void sendBatch(FungibleCall call, Batch batch) {
    KnownBucket bucket = call.bucket;
    try {
      call.deadline.await(batch.turn, "a store call on the same bucket answered");
    } catch (RateLimiterException e) {
      bucket.abandonBatch(batch);
      batch.outcome.completeExceptionally(e);
      return;
    }
    try {
      bucket.sealBatch(batch);
      batch.outcome.complete(batchSteps(call, batch));
    } catch (RateLimiterException e) {
      batch.outcome.completeExceptionally(e);
    } finally {
      bucket.endCall();
    }
  }

  /**
   * The batch's step at a fresh {@code now}: of the members that fit by the seen {@code tat} (a lower bound of the
   * stored one, so the others certainly do not fit, and a step never costs more than the tolerance, as the store
   * requires); when that is denied, the step of those that fit by the {@code tat} it returned.
   */
  private Batch.Outcome batchSteps(FungibleCall call, Batch batch) {
    long now = time.now();
    Rate rate = call.rate;
    long seen = call.bucket.seenTat();
    int fitting = batch.fitting(seen, now, rate.tolerance());
    if (fitting == 0) {
      return new Batch.Outcome(0, seen, now);
    }
    BucketResult first = buckets.consume(new BucketRequest(resourceName, call.accountId, now,
        batch.costOf(fitting), rate.tolerance(), seen, call.deadline));
    call.bucket.raise(first.tat());
    if (first.allowed()) {
      return new Batch.Outcome(fitting, first.tat(), now);
    }
    int fewer = batch.fitting(first.tat(), now, rate.tolerance());
    if (fewer == 0) {
      return new Batch.Outcome(0, first.tat(), now);
    }
    BucketResult second = buckets.consume(new BucketRequest(resourceName, call.accountId, now,
        batch.costOf(fewer), rate.tolerance(), first.tat(), call.deadline));
    call.bucket.raise(second.tat());
    return new Batch.Outcome(second.allowed() ? fewer : 0, second.tat(), now);
  }

  /**
   * Near exhaustion: this thread asks the store unless another thread of this process is asking about the same
   * bucket; then it waits for that answer once, within this decision's deadline, and decides on a fresh clock
   * reading, never queueing behind the calls that follow it. If that call failed (or the deadline passed first), it
   * shares the failure. (Apart from {@link #direct} so that the common path stays small enough to inline.)
   */
  private Decision oneAtATime(FungibleCall call, long seen) {
    KnownBucket bucket = call.bucket;
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> other = bucket.startStoreCall(mine);
    if (other == null) {
      RateLimiterException failure = null;
      try {
        // A call that ended between our reading and our registering raised the seen tat before it ended: read again
        long current = bucket.seenTat();
        Rate rate = call.rate;
        if (rate.certainlyDenied(current, call.now, call.costNanos)) {
          return rate.denied(current, call.now, call.costNanos);
        }
        return storeStep(call, current);
      } catch (RateLimiterException e) {
        failure = e;
        throw e;
      } finally {
        bucket.endStoreCall(mine, failure);
      }
    }
    awaitStoreCall(other, call.deadline);
    call.now = time.now();
    long later = bucket.seenTat();
    Rate rate = call.rate;
    if (rate.certainlyDenied(later, call.now, call.costNanos)) {
      return rate.denied(later, call.now, call.costNanos);
    }
    return storeStep(call, later);
  }

  /** One store step for exactly these permits, from the {@code tat} this process saw. */
  private Decision storeStep(FungibleCall call, long seen) {
    call.storeAsked = true;
    return stepped(call, buckets.consume(bucketRequest(call, seen)));
  }

  /** The direct step's request, from the {@code tat} this process saw. */
  BucketRequest bucketRequest(FungibleCall call, long seen) {
    return new BucketRequest(resourceName, call.accountId, call.now, call.costNanos, call.rate.tolerance(), seen,
        call.deadline);
  }

  /**
   * The direct step's decision from the store's answer, which the seen {@code tat} learns: always on a remote store
   * (it picks the write's busy/idle guess and sizes batches), and on a store in process only near exhaustion, where
   * local denials and one call at a time start. Far from it, on an in-process store the value is read by nothing,
   * and writing it would make every decision write a second word that all threads on the bucket share (measured on
   * two threads, JMH: 7.7 against 12.6 decisions per microsecond). Skipping a raise keeps it a lower bound.
   */
  Decision stepped(FungibleCall call, BucketResult result) {
    Rate rate = call.rate;
    if (coalesce || !result.allowed() || rate.nearlyExhausted(result.tat(), call.now, call.costNanos)) {
      call.bucket.raise(result.tat());
    }
    if (!result.allowed()) {
      return rate.denied(result.tat(), call.now, call.costNanos);
    }
    if (call.joint) {
      call.tatsAfter = new long[] {result.tat()}; // what a refund or settle needs; nothing for a plain decision
    }
    return rate.allowed(result.tat(), call.now);
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
  Decision storeFailed(FungibleCall call, RateLimiterException e) {
    return storeFailed(call.accountId, call.permits, call.storeAsked, call.rate, e);
  }

  /**
   * As above, from the call's fields: the call object itself never reaches a method that is not inlined on the
   * decision path, so the JIT can keep it off the heap (it is 88 bytes per decision otherwise).
   */
  private Decision storeFailed(String accountId, long permits, boolean storeAsked, Rate rate,
      RateLimiterException e) {
    outages.failed(e);
    if (failureMode == FailureMode.FAIL_CLOSED) {
      listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE, DecisionOutcome.ERROR, permits, storeAsked);
      throw e;
    }
    listener.onDecision(resourceName, accountId, LimiterKind.FUNGIBLE, DecisionOutcome.DEGRADED, permits, storeAsked);
    Rate applied = rate == null ? defaultRate : rate;
    return new Decision(true, 0, Duration.ZERO, applied.limit(), applied.name(), true);
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

  CapacityExhaustedException exhausted(String accountId, String asked, Decision decision) {
    if (decision.limit().blocks()) {
      return new CapacityExhaustedException("account '" + accountId + "' has no capacity for resource '"
          + resourceName + "' (its limit is 0)", resourceName, accountId, null);
    }
    return new CapacityExhaustedException("rate limit " + decision.limit() + " of resource '" + resourceName
        + "' exhausted for account '" + accountId + "' (" + asked + " asked); retry after "
        + decision.retryAfter(), resourceName, accountId, decision.retryAfter());
  }
}
