package io.github.ratelimiter.internal;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener.CostKind;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The non-blocking view of a {@link DefaultFungibleLimiter}: the same {@link FungibleCall} taken through the same
 * steps (resolve, leased, direct) on the same per-key state, with each store call made by the store's {@code Async}
 * twin, and reported at the same one exit ({@link DefaultFungibleLimiter#reported}, {@link
 * DefaultFungibleLimiter#storeFailed}). Only the orchestration lives here; every rule (the arithmetic, what is denied
 * locally, what a step's answer teaches) is the blocking limiter's own method.
 *
 * <p>A decision's future is bounded by its deadline ({@link Futures#within}); once complete in process it is
 * returned as it is, else handed to the executor ({@link Futures#handOff}). Near exhaustion, a decision that finds
 * another decision's store call in flight on the same bucket continues when that call ends (no thread waits), on a
 * fresh clock reading, exactly as a blocking one does after its wait.
 */
final class DefaultAsyncFungibleLimiter implements AsyncFungibleLimiter {

  private final DefaultFungibleLimiter limiter;
  private final Executor executor;
  private final Function<FungibleCall, CompletableFuture<Decision>> directStep = this::direct;
  private final Function<FungibleCall, CompletableFuture<Decision>> quotaStep = this::quotaStep;

  DefaultAsyncFungibleLimiter(DefaultFungibleLimiter limiter, Executor executor) {
    this.limiter = limiter;
    this.executor = executor;
  }

  @Override
  public String resourceName() {
    return limiter.resourceName();
  }

  @Override
  public FungibleLimiter blocking() {
    return limiter;
  }

  @Override
  public CompletableFuture<Decision> tryAcquire(String accountId, long permits) {
    Arguments.requireId("accountId", accountId);
    Arguments.requirePositive("permits", permits);
    return decided(new FungibleCall(accountId, permits, limiter.time.now(), limiter.startDeadline()));
  }

  @Override
  public CompletableFuture<Decision> tryAcquire(String accountId, Cost cost) {
    Arguments.requireId("accountId", accountId);
    if (cost == null) {
      throw new IllegalArgumentException("cost must not be null");
    }
    return decided(new FungibleCall(accountId, 0, cost, limiter.time.now(), limiter.startDeadline()));
  }

  @Override
  public CompletableFuture<Limit> limitFor(String accountId) {
    Arguments.requireId("accountId", accountId);
    return lookUp(accountId).thenApply(lookup -> limiter.limitOfRow(lookup.row()));
  }

  @Override
  public CompletableFuture<Quota> quotaFor(String accountId) {
    Arguments.requireId("accountId", accountId);
    return lookUp(accountId).thenApply(lookup -> limiter.quotaOfRow(lookup.row()));
  }

  /** The account's row by the limit resolver, within a deadline of its own, handed off when it waited. */
  private CompletableFuture<LimitResolver.Lookup> lookUp(String accountId) {
    Deadline deadline = limiter.startDeadline();
    return Futures.handOff(Futures.within(Futures.of(() -> limiter.limits().lookupAsync(limiter.resourceName(),
        accountId, limiter.time.now(), deadline)), deadline, "the account's limit row was read"), executor);
  }

  @Override
  public CompletableFuture<Charge> tryReserve(String accountId, Cost estimate) {
    Arguments.requireId("accountId", accountId);
    if (estimate == null) {
      throw new IllegalArgumentException("estimate must not be null");
    }
    return admit(accountId, estimate).thenApply(call -> limiter.reserved(call, estimate));
  }

  @Override
  public CompletableFuture<Decision> charge(String accountId, Cost cost) {
    Arguments.requireId("accountId", accountId);
    if (cost == null) {
      throw new IllegalArgumentException("cost must not be null");
    }
    FungibleCall call = new FungibleCall(accountId, 0, cost, limiter.time.now(), limiter.startDeadline());
    long[][] amounts = new long[1][];
    CompletableFuture<Decision> charged = Futures.of(() -> resolved(call).thenCompose(resolved -> {
      amounts[0] = call.quota.actualAmounts(cost, limiter.resourceName());
      return chargeDebt(call.accountId, call.bucket, call.quota, amounts[0], call.now, CostKind.CHARGE,
          call.deadline);
    }).thenApply(tats -> DefaultFungibleLimiter.standing(call.quota, tats, call.now)));
    CompletableFuture<Decision> bounded = Futures.within(charged, call.deadline, "the charge was written");
    return Futures.handOff(bounded.handle((decision, failure) -> failure == null ? decision
        : Futures.byPolicy(failure, e -> limiter.chargeFailed(call, amounts[0], e))), executor);
  }

  /** The call resolved: at once from the last account, else by the limit resolver's read (a failure as asked). */
  private CompletableFuture<FungibleCall> resolved(FungibleCall call) {
    if (limiter.resolvedFromLast(call)) {
      return CompletableFuture.completedFuture(call);
    }
    call.rate = limiter.defaultRate; // the rate a failure is reported with, should the lookup fail
    call.quota = limiter.defaultQuota;
    return limiter.limits().lookupAsync(limiter.resourceName(), call.accountId, call.now, call.deadline)
        .handle((lookup, failure) -> {
          if (failure != null) {
            call.storeAsked = true;
            throw new CompletionException(Futures.unwrap(failure));
          }
          limiter.lookedUp(call, lookup);
          return call;
        });
  }

  /**
   * {@link DefaultFungibleLimiter}'s charge past the limit without waiting: the same plan, the same one or two steps,
   * the same report.
   */
  private CompletableFuture<long[]> chargeDebt(String accountId, KnownBucket bucket, QuotaRate quota,
      long[] amounts, long now, CostKind kind, Deadline deadline) {
    DefaultFungibleLimiter.Debt debt = limiter.planDebt(bucket, quota, amounts);
    CompletableFuture<DefaultFungibleLimiter.DebtStep> first = debt.anyTake()
        ? limiter.debtStepAsync(accountId, quota, debt.take, debt.wide, debt.seen, now, deadline)
        : CompletableFuture.completedFuture(new DefaultFungibleLimiter.DebtStep(true, debt.seen));
    return first.thenCompose(step -> {
      if (step.charged()) {
        return CompletableFuture.completedFuture(step);
      }
      long[] fits = debt.fits(quota, step.tats(), now);
      CompletableFuture<DefaultFungibleLimiter.DebtStep> second = fits == null
          ? CompletableFuture.completedFuture(step)
          : limiter.debtStepAsync(accountId, quota, fits, debt.wide, step.tats(), now, deadline);
      return second.thenApply(last -> {
        debt.refused(fits, last.charged() && fits != null);
        return last;
      });
    }).thenApply(step -> limiter.debtCharged(accountId, bucket, quota, debt, step.tats(), now, kind));
  }

  /** A reservation's settle ({@link DefaultFungibleLimiter#settle}) without waiting; never fails. */
  CompletableFuture<Void> settle(FungibleCall call, Cost estimate, Cost actual) {
    if (call.tatsAfter == null) {
      return CompletableFuture.completedFuture(null);
    }
    DefaultFungibleLimiter.Settlement settlement = limiter.settlement(call, estimate, actual);
    long now = limiter.time.now();
    CompletableFuture<Void> back = settlement.back() == null
        ? CompletableFuture.completedFuture(null) : giveBack(call, settlement.back(), now);
    if (settlement.extra() == null) {
      return back;
    }
    Deadline deadline = limiter.startDeadline();
    return back.thenCompose(given -> Futures.of(() -> chargeDebt(call.accountId, call.bucket, call.quota,
        settlement.extra(), now, CostKind.SETTLE, deadline)).handle((tats, failure) -> {
          if (failure != null && Futures.unwrap(failure) instanceof RateLimiterException e) {
            limiter.costsLost(call.accountId, call.quota, settlement.extra(), CostKind.SETTLE, e);
          }
          return null;
        }));
  }

  /** Where futures that waited for the store complete. */
  Executor executor() {
    return executor;
  }

  @Override
  public CompletableFuture<Decision> acquire(String accountId, long permits) {
    return tryAcquire(accountId, permits).thenApply(decision -> admitted(accountId, permits + " permits", decision));
  }

  @Override
  public CompletableFuture<Decision> acquire(String accountId, Cost cost) {
    return tryAcquire(accountId, cost).thenApply(decision -> admitted(accountId, "cost " + cost, decision));
  }

  private Decision admitted(String accountId, String asked, Decision decision) {
    if (decision.denied()) {
      throw new CompletionException(limiter.exhausted(accountId, asked, decision));
    }
    return decision;
  }

  @Override
  public CompletableFuture<Decision> acquire(String accountId, long permits, Duration maxWait) {
    if (maxWait == null || maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be null or negative: " + maxWait);
    }
    Arguments.requireId("accountId", accountId);
    Arguments.requirePositive("permits", permits);
    return acquireBy(accountId, permits, limiter.clock.instant().plus(maxWait));
  }

  /** One try, and when denied with a wait that fits before {@code until}, another after it, on the timer thread. */
  private CompletableFuture<Decision> acquireBy(String accountId, long permits, Instant until) {
    return tryAcquire(accountId, permits).thenCompose(decision -> {
      if (decision.allowed()) {
        return CompletableFuture.completedFuture(decision);
      }
      Duration left = Duration.between(limiter.clock.instant(), until);
      if (decision.limit().blocks() || decision.retryAfter().compareTo(left) > 0) {
        return CompletableFuture.failedFuture(limiter.exhausted(accountId, permits + " permits", decision));
      }
      CompletableFuture<Decision> next = new CompletableFuture<>();
      // the next try runs on the executor: a decision made in process completes on the thread that asks
      Futures.schedule(() -> executor.execute(() -> acquireBy(accountId, permits, until).whenComplete(
          (again, failure) -> {
            if (failure != null) {
              next.completeExceptionally(Futures.unwrap(failure));
            } else {
              next.complete(again);
            }
          })), decision.retryAfter().toNanos());
      return next;
    });
  }

  /**
   * Decides the call and reports it at the blocking limiter's one exit: a store failure (or the deadline) goes
   * through its failure mode, anything else (a bad cost found once the quota is known) fails the future as is.
   */
  CompletableFuture<Decision> decided(FungibleCall call) {
    CompletableFuture<Decision> steps = Futures.of(() -> steps(call));
    if (steps.isDone()) { // decided in process: reported here, on the calling thread
      Decision decision = null;
      Throwable failure = null;
      try {
        decision = steps.getNow(null);
      } catch (CompletionException | CancellationException e) {
        failure = e;
      }
      try {
        return CompletableFuture.completedFuture(reported(call, decision, failure));
      } catch (CompletionException e) {
        return CompletableFuture.failedFuture(e.getCause());
      }
    }
    CompletableFuture<Decision> bounded =
        Futures.within(steps, call.deadline, "the decision's store calls answered");
    return Futures.handOff(bounded.handle((decision, failure) -> reported(call, decision, failure)), executor);
  }

  /** The one exit: the decision reported, or the failure through the failure mode (a fail-closed one rethrown). */
  private Decision reported(FungibleCall call, Decision decision, Throwable failure) {
    return failure == null ? limiter.reported(call, decision)
        : Futures.byPolicy(failure, e -> limiter.storeFailed(call, e));
  }

  /** Resolve (at once from the last account, else by the limit resolver's read), then the steps after it. */
  private CompletableFuture<Decision> steps(FungibleCall call) {
    if (limiter.resolvedFromLast(call)) {
      return resolvedSteps(call);
    }
    return resolved(call).thenCompose(this::resolvedSteps);
  }

  /** After resolve: a cascade, a blocked account, the quota step or the single limit's, each leased or not. */
  private CompletableFuture<Decision> resolvedSteps(FungibleCall call) {
    if (limiter.cascade && !call.joint && call.parent != null) {
      return cascaded(call);
    }
    Decision blocked = limiter.blocked(call);
    if (blocked != null) {
      return CompletableFuture.completedFuture(blocked);
    }
    if (call.quota.size() > 1) {
      limiter.pricedQuota(call);
      return call.leased && !call.joint ? limiter.leases.decideQuotaAsync(call, quotaStep) : quotaStep(call);
    }
    limiter.priced(call);
    return call.leased && !call.joint ? limiter.leases.decideAsync(call, directStep) : direct(call);
  }

  /** The quota step: a local denial, or one store step over every limit. */
  private CompletableFuture<Decision> quotaStep(FungibleCall call) {
    long[] seen = call.bucket.seenLanes(call.quota.quota());
    Decision local = limiter.quotaDeniedLocally(call, seen);
    if (local != null) {
      return CompletableFuture.completedFuture(local);
    }
    call.storeAsked = true;
    return limiter.buckets.consumeAsync(limiter.quotaRequest(call, seen))
        .thenApply(result -> limiter.quotaStepped(call, result));
  }

  /** Direct: a local denial, one store step, or near exhaustion one call per bucket at a time. */
  private CompletableFuture<Decision> direct(FungibleCall call) {
    Rate rate = call.rate;
    long seen = call.bucket.seenTat();
    if (rate.certainlyDenied(seen, call.now, call.costNanos)) {
      return CompletableFuture.completedFuture(rate.denied(seen, call.now, call.costNanos));
    }
    if (rate.nearlyExhausted(seen, call.now, call.costNanos)) {
      return oneAtATime(call, seen);
    }
    if (limiter.coalesce && !call.joint) {
      return coalesced(call, seen);
    }
    return storeStep(call, seen);
  }

  /** {@link DefaultFungibleLimiter}'s coalescing ({@link Batch}) without waiting: a seat's decision is a future. */
  private CompletableFuture<Decision> coalesced(FungibleCall call, long seen) {
    KnownBucket bucket = call.bucket;
    Batch.Seat seat = bucket.enter(call.costNanos);
    if (seat == null) {
      return Futures.of(() -> storeStep(call, seen)).whenComplete((decision, failure) -> bucket.endCall());
    }
    Batch batch = seat.batch();
    if (seat.leader()) {
      call.storeAsked = true;
      sendBatch(call, batch);
    }
    return batch.outcome.thenApply(outcome -> {
      call.now = outcome.now();
      return batch.decision(seat.index(), call.rate, outcome);
    });
  }

  /**
   * The leader's part, as {@link DefaultFungibleLimiter}'s: when the batch's turn comes, seal and send; the outcome (or
   * failure) completes the batch.
   */
  private void sendBatch(FungibleCall call, Batch batch) {
    KnownBucket bucket = call.bucket;
    batch.turn.thenRun(() -> { // when the call before it ends
      bucket.sealBatch(batch);
      Futures.of(() -> batchSteps(call, batch)).whenComplete((outcome, failure) -> {
        bucket.endCall();
        if (failure != null) {
          batch.outcome.completeExceptionally(Futures.unwrap(failure));
        } else {
          batch.outcome.complete(outcome);
        }
      });
    });
  }

  /** The batch's steps, as {@link DefaultFungibleLimiter}'s (never more than the tolerance), as futures. */
  private CompletableFuture<Batch.Outcome> batchSteps(FungibleCall call, Batch batch) {
    long now = limiter.time.now();
    Rate rate = call.rate;
    KnownBucket bucket = call.bucket;
    long seen = bucket.seenTat();
    int fitting = batch.fitting(seen, now, rate.tolerance());
    if (fitting == 0) {
      return CompletableFuture.completedFuture(new Batch.Outcome(0, seen, now));
    }
    return limiter.buckets.consumeAsync(new BucketRequest(limiter.resourceName(), call.accountId, now,
        batch.costOf(fitting), rate.tolerance(), seen, call.deadline)).thenCompose(first -> {
          bucket.raise(first.tat());
          if (first.allowed()) {
            return CompletableFuture.completedFuture(new Batch.Outcome(fitting, first.tat(), now));
          }
          int fewer = batch.fitting(first.tat(), now, rate.tolerance());
          if (fewer == 0) {
            return CompletableFuture.completedFuture(new Batch.Outcome(0, first.tat(), now));
          }
          return limiter.buckets.consumeAsync(new BucketRequest(limiter.resourceName(), call.accountId, now,
              batch.costOf(fewer), rate.tolerance(), first.tat(), call.deadline)).thenApply(second -> {
                bucket.raise(second.tat());
                return new Batch.Outcome(second.allowed() ? fewer : 0, second.tat(), now);
              });
        });
  }

  private CompletableFuture<Decision> storeStep(FungibleCall call, long seen) {
    call.storeAsked = true;
    return limiter.buckets.consumeAsync(limiter.bucketRequest(call, seen))
        .thenApply(result -> limiter.stepped(call, result));
  }

  /**
   * Near exhaustion: this decision asks the store unless another decision of this process is asking about the same
   * bucket; then it continues once that call has ended, on a fresh clock reading (or shares its failure).
   */
  private CompletableFuture<Decision> oneAtATime(FungibleCall call, long seen) {
    KnownBucket bucket = call.bucket;
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> other = bucket.startStoreCall(mine);
    if (other == null) {
      long current = bucket.seenTat(); // a call that ended since our reading raised it
      Rate rate = call.rate;
      if (rate.certainlyDenied(current, call.now, call.costNanos)) {
        bucket.endStoreCall(mine, null);
        return CompletableFuture.completedFuture(rate.denied(current, call.now, call.costNanos));
      }
      return Futures.of(() -> storeStep(call, current)).whenComplete(
          (decision, failure) -> bucket.endStoreCall(mine, failure == null ? null : Futures.unwrap(failure)));
    }
    return other.handle((ended, failure) -> {
      if (failure != null && Futures.unwrap(failure) instanceof RateLimiterException shared) {
        throw new CompletionException(shared);
      }
      return call;
    }).thenCompose(waited -> {
      call.now = limiter.time.now();
      long later = call.bucket.seenTat();
      Rate rate = call.rate;
      if (rate.certainlyDenied(later, call.now, call.costNanos)) {
        return CompletableFuture.completedFuture(rate.denied(later, call.now, call.costNanos));
      }
      return storeStep(call, later);
    });
  }

  /**
   * A cascading decision: the account and its ancestors by their rows (read without waiting), decided together as
   * {@link JointDecisions} does: one write per key in the fixed order, the charged keys refunded on a denial.
   */
  private CompletableFuture<Decision> cascaded(FungibleCall call) {
    List<String> accounts = new ArrayList<>();
    accounts.add(call.accountId);
    Set<String> seen = new HashSet<>(accounts);
    return ancestors(call, accounts, seen, call.parent).thenCompose(all -> {
      Cost cost = call.cost != null ? call.cost : Cost.permits(call.permits);
      DefaultAsyncFungibleLimiter[] limiters = new DefaultAsyncFungibleLimiter[all.size()];
      Cost[] costs = new Cost[all.size()];
      Arrays.fill(limiters, this);
      Arrays.fill(costs, cost);
      return JointDecisions.decideAsync(limiters, all.toArray(String[]::new), costs)
          .thenApply(joint -> joint.decision());
    });
  }

  private CompletableFuture<List<String>> ancestors(FungibleCall call, List<String> accounts, Set<String> seen,
      String parent) {
    if (parent == null || accounts.size() > LimiterOptions.MAX_ANCESTORS || !seen.add(parent)) {
      return CompletableFuture.completedFuture(accounts);
    }
    accounts.add(parent);
    return limiter.limits().lookupAsync(limiter.resourceName(), parent, call.now, call.deadline)
        .thenCompose(lookup -> {
          LimitRecord row = lookup.row();
          return ancestors(call, accounts, seen, row == null ? null : row.parentAccountId());
        });
  }

  /** One key's part of a decision across several keys, as {@link DefaultFungibleLimiter#admit}, without waiting. */
  CompletableFuture<FungibleCall> admit(String accountId, Cost cost) {
    FungibleCall call = limiter.jointCall(accountId, cost);
    return decided(call).thenApply(decision -> {
      call.decision = decision;
      return call;
    });
  }

  /** Gives back what {@code call} took, as {@link DefaultFungibleLimiter#refund}, without waiting; never fails. */
  CompletableFuture<Void> refund(FungibleCall call) {
    if (call.tatsAfter == null) {
      return CompletableFuture.completedFuture(null);
    }
    return giveBack(call, DefaultFungibleLimiter.costsOf(call), limiter.time.now());
  }

  /** {@link DefaultFungibleLimiter}'s give-back of at most {@code most} per lane, without waiting; never fails. */
  private CompletableFuture<Void> giveBack(FungibleCall call, long[] most, long now) {
    long[] amounts = limiter.refundAmounts(call, most, now);
    if (amounts == null) {
      return CompletableFuture.completedFuture(null);
    }
    return Futures.of(() -> limiter.buckets.refundAsync(limiter.refundRequest(call, amounts)))
        .handle((applied, failure) -> {
          if (failure == null) {
            limiter.refunded(call, amounts, applied);
          } else if (Futures.unwrap(failure) instanceof RateLimiterException e) {
            limiter.refundFailed(call, amounts, e);
          }
          return null;
        });
  }
}
