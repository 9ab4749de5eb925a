package io.github.ratelimiter.server.internal;

import io.github.ratelimiter.Ask;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.Lane;
import io.github.ratelimiter.store.BucketStore.QuotaRequest;
import io.github.ratelimiter.store.BucketStore.QuotaResult;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.Gcra;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * {@link DescriptorDecisions} on the library's quotas and decisions across keys. Each check is one key of one
 * limiter, named by the check's resource, whose default {@link Quota} holds the check's limits (named {@code "0"},
 * {@code "1"}, ... in the configured order; the limit table's row of the descriptor value, when enabled, replaces
 * the first), so several {@code rate_limits} on one descriptor are decided by one store write. The enforcing checks
 * of a request are decided together ({@link RateLimiters#tryAcquireAllAsync}): admitted only when every one admits,
 * and then each is charged; when one is over, nothing stays charged on any.
 *
 * <p><b>Non-blocking.</b> Every step goes through the limiters' async views ({@code FungibleLimiter.async()},
 * {@code tryAcquireAllAsync}) and the store's {@code consumeAsync}: a decision made in process completes at once, one
 * that waited for the store completes on the limiters' async executor, and no thread waits in between. Each future
 * is bounded by the decision timeout (the limiters bound theirs; the reads here are bounded the same way).
 *
 * <p>A request that charges one descriptor only is that key's own decision, so a hot descriptor is leased
 * ({@link io.github.ratelimiter.Leasing#defaults()}: hot from 200 hits per second, or four of this server's decisions
 * on it in flight at once), which a decision across keys never is.
 *
 * <p><b>Checks without charging ({@code hits_addend} 0)</b> read the bucket's lanes without changing them (a quota
 * step whose every cost is 0: a consistent read on DynamoDB, no write); the check is over when one more hit would
 * be denied now. That read applies the failure mode itself and is not heard by the limiters' listeners. So are the
 * checks left undecided after a denial, for their statuses.
 */
final class JointDescriptorDecisions implements DescriptorDecisions {

  private final RateLimiters limiters;
  private final LimiterOptions options;
  private final BucketStore buckets;
  private final FailureMode failureMode;
  private final Duration decisionTimeout;
  private final Executor callbacks;
  private final Clock clock;

  /**
   * @param callbacks where a read that waited for the store continues (the limiters' async executor)
   */
  JointDescriptorDecisions(RateLimiters limiters, LimiterOptions options, BucketStore buckets,
      FailureMode failureMode, Duration decisionTimeout, Executor callbacks, Clock clock) {
    this.limiters = limiters;
    this.options = options;
    this.buckets = buckets;
    this.failureMode = failureMode;
    this.decisionTimeout = decisionTimeout;
    this.callbacks = callbacks;
    this.clock = clock;
  }

  @Override
  public CompletableFuture<List<Outcome>> decide(List<Check> checks, boolean allOrNothing) {
    int n = checks.size();
    FungibleLimiter[] limiterOf = new FungibleLimiter[n];
    List<CompletableFuture<Quota>> quotaOf = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Check check = checks.get(i);
      limiterOf[i] = limiters.fungible(check.resource(), quota(check), options);
      // complete at once unless the account's limit row must be read (limit table enabled, not cached)
      quotaOf.add(limiterOf[i].async().quotaFor(check.account()));
    }
    return CompletableFuture.allOf(quotaOf.toArray(CompletableFuture<?>[]::new)).thenCompose(quotasKnown -> {
      Quota[] quotas = new Quota[n];
      for (int i = 0; i < n; i++) {
        quotas[i] = quotaOf.get(i).join();
      }
      return decide(checks, allOrNothing, limiterOf, quotas);
    });
  }

  /** The decision once every check's quota is known: the store writes, then the reads of the checks left over. */
  private CompletableFuture<List<Outcome>> decide(List<Check> checks, boolean allOrNothing,
      FungibleLimiter[] limiterOf, Quota[] quotas) {
    int n = checks.size();
    // each written by one completion, read after all of them (CompletableFuture completion orders the two)
    Outcome[] outcomes = new Outcome[n];
    List<Integer> charged = new ArrayList<>();
    boolean refused = false; // some check asks more than a limit could ever grant: never admitted
    for (int i = 0; i < n; i++) {
      Check check = checks.get(i);
      if (check.hits() == 0) {
        continue;
      }
      int lane = tooSmall(quotas[i], check.hits());
      if (lane >= 0) {
        outcomes[i] = new Outcome(false, spec(check, quotas[i].names().get(lane)), 0,
            quotas[i].limit(quotas[i].names().get(lane)).window(), false);
        refused = true;
      } else {
        charged.add(i);
      }
    }
    CompletableFuture<Void> written;
    if (allOrNothing && charged.size() == 1 && !refused) {
      // one key: its own decision, which may come from a lease when the key is hot here
      written = acquire(checks, limiterOf, charged.get(0), outcomes);
    } else if (allOrNothing) {
      if (!refused && !charged.isEmpty()) {
        List<Ask> asks = new ArrayList<>(charged.size());
        for (int i : charged) {
          asks.add(limiterOf[i].ask(checks.get(i).account(), Cost.permits(checks.get(i).hits())));
        }
        written = limiters.tryAcquireAllAsync(asks).thenAccept(joint -> {
          for (int k = 0; k < charged.size(); k++) {
            Decision decision = joint.decisions().get(k);
            int i = charged.get(k);
            if (decision != null) {
              outcomes[i] = outcome(checks.get(i), decision);
            }
          }
        });
      } else {
        written = CompletableFuture.completedFuture(null);
      }
    } else {
      CompletableFuture<?>[] each = new CompletableFuture<?>[charged.size()];
      for (int k = 0; k < charged.size(); k++) {
        each[k] = acquire(checks, limiterOf, charged.get(k), outcomes);
      }
      written = CompletableFuture.allOf(each);
    }
    return written.thenCompose(done -> {
      // the checks without charging, and those left undecided after a denial: read for their statuses
      List<CompletableFuture<Void>> reads = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (outcomes[i] == null) {
          int index = i;
          Check check = checks.get(i);
          reads.add(look(check, quotas[i], Math.max(1, check.hits())).thenAccept(o -> outcomes[index] = o));
        }
      }
      return CompletableFuture.allOf(reads.toArray(CompletableFuture<?>[]::new)).thenApply(all -> List.of(outcomes));
    });
  }

  /** The check's own decision, written to {@code outcomes[i]}. */
  private static CompletableFuture<Void> acquire(List<Check> checks, FungibleLimiter[] limiterOf, int i,
      Outcome[] outcomes) {
    Check check = checks.get(i);
    return limiterOf[i].async().tryAcquire(check.account(), check.hits())
        .thenAccept(decision -> outcomes[i] = outcome(check, decision));
  }

  /** The check's limits as a quota, named by their position. */
  private static Quota quota(Check check) {
    Quota.Builder quota = Quota.builder();
    for (int i = 0; i < check.limits().size(); i++) {
      quota.limit(Integer.toString(i), check.limits().get(i).limit());
    }
    return quota.build();
  }

  /** The first limit of {@code quota} smaller than {@code hits} (which it could never grant), or -1. */
  private static int tooSmall(Quota quota, long hits) {
    List<String> names = quota.names();
    for (int i = 0; i < names.size(); i++) {
      if (hits > quota.limit(names.get(i)).limit()) {
        return i;
      }
    }
    return -1;
  }

  /** The configured limit a quota's limit name stands for (a row's own names report the first). */
  private static LimitSpec spec(Check check, String name) {
    try {
      int index = Integer.parseInt(name);
      if (index >= 0 && index < check.limits().size()) {
        return check.limits().get(index);
      }
    } catch (NumberFormatException e) {
      // a limit row's own name
    }
    return check.limits().get(0);
  }

  private static Outcome outcome(Check check, Decision decision) {
    return new Outcome(decision.allowed(), spec(check, decision.limitName()), decision.remaining(),
        untilFull(decision.limit(), decision.remaining()), decision.degraded());
  }

  /**
   * The bucket's lanes without charging (see the class comment): the outcome of the lane with the fewest left, or
   * of the first that cannot take {@code needed} more now.
   */
  private CompletableFuture<Outcome> look(Check check, Quota quota, long needed) {
    List<String> names = quota.names();
    Instant instant = clock.instant();
    long now = Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    List<Lane> lanes = new ArrayList<>(names.size());
    for (String name : names) {
      Limit limit = quota.limit(name);
      long tolerance = limit.blocks() ? 0 : Gcra.toleranceNanos(limit);
      lanes.add(new Lane(name, 0, tolerance, BucketStore.UNKNOWN));
    }
    CompletableFuture<QuotaResult> read;
    try {
      read = buckets.consumeAsync(new QuotaRequest(check.resource(), check.account(), now, lanes,
          Deadline.after(decisionTimeout)));
    } catch (RuntimeException e) {
      read = CompletableFuture.failedFuture(e);
    }
    // bounded whatever the store does, as the limiters bound their own futures; continued off the store client's
    // threads (and the timeout's) as the limiters continue theirs, unless already complete
    CompletableFuture<QuotaResult> bounded = read.isDone() ? read
        : read.orTimeout(decisionTimeout.toNanos(), TimeUnit.NANOSECONDS);
    BiFunction<QuotaResult, Throwable, Outcome> then = (state, failure) -> {
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        RateLimiterException storeFailure = cause instanceof RateLimiterException e ? e
            : cause instanceof TimeoutException ? new RateLimiterException("the decision timeout of "
                + decisionTimeout + " passed before the store answered a read of " + check.resource(), cause)
            : null;
        if (storeFailure == null) {
          throw cause instanceof RuntimeException e ? e : new CompletionException(cause);
        }
        if (failureMode == FailureMode.FAIL_OPEN) {
          return new Outcome(true, spec(check, names.get(0)), quota.first().limit(), Duration.ZERO, true);
        }
        throw storeFailure;
      }
      return reported(check, quota, state, now, needed);
    };
    return bounded.isDone() ? bounded.handle(then) : bounded.handleAsync(then, callbacks);
  }

  /** The outcome a read reports: the lane with the fewest left, or the first that cannot take {@code needed}. */
  private static Outcome reported(Check check, Quota quota, QuotaResult state, long now, long needed) {
    List<String> names = quota.names();
    Outcome reported = null;
    for (int i = 0; i < names.size(); i++) {
      Limit limit = quota.limit(names.get(i));
      LimitSpec spec = spec(check, names.get(i));
      Outcome outcome;
      if (limit.blocks()) {
        outcome = new Outcome(false, spec, 0, limit.window(), false);
      } else {
        long interval = Gcra.intervalNanos(limit);
        long tat = Math.max(state.tats()[i], now);
        long remaining = Gcra.remaining(tat, now, interval, Gcra.toleranceNanos(interval, limit.limit()));
        outcome = new Outcome(remaining >= needed, spec, remaining, Duration.ofNanos(tat - now), false);
      }
      if (reported == null || (reported.allowed() && !outcome.allowed())
          || (reported.allowed() == outcome.allowed() && outcome.remaining() < reported.remaining())) {
        reported = outcome;
      }
    }
    return reported;
  }

  /** How long until a bucket with {@code remaining} of {@code limit} left is full: within one emission interval. */
  static Duration untilFull(Limit limit, long remaining) {
    if (limit.limit() == 0) {
      return limit.window();
    }
    return Duration.ofNanos(Math.multiplyExact(Gcra.intervalNanos(limit), Math.max(0, limit.limit() - remaining)));
  }
}
