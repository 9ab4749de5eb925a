package io.github.ratelimiter.server.internal;

import io.github.ratelimiter.Ask;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.JointDecision;
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

/**
 * {@link DescriptorDecisions} on the library's quotas and decisions across keys. Each check is one key of one
 * limiter, named by the check's resource, whose default {@link Quota} holds the check's limits (named {@code "0"},
 * {@code "1"}, ... in the configured order; the limit table's row of the descriptor value, when enabled, replaces
 * the first), so several {@code rate_limits} on one descriptor are decided by one store write. The enforcing checks
 * of a request are decided together ({@link RateLimiters#tryAcquireAll}): admitted only when every one admits, and
 * then each is charged; when one is over, nothing stays charged on any.
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
  private final Clock clock;

  JointDescriptorDecisions(RateLimiters limiters, LimiterOptions options, BucketStore buckets,
      FailureMode failureMode, Clock clock) {
    this.limiters = limiters;
    this.options = options;
    this.buckets = buckets;
    this.failureMode = failureMode;
    this.clock = clock;
  }

  @Override
  public List<Outcome> decide(List<Check> checks, boolean allOrNothing) {
    int n = checks.size();
    Outcome[] outcomes = new Outcome[n];
    FungibleLimiter[] limiterOf = new FungibleLimiter[n];
    List<Integer> charged = new ArrayList<>();
    boolean refused = false; // some check asks more than a limit could ever grant: never admitted
    for (int i = 0; i < n; i++) {
      Check check = checks.get(i);
      limiterOf[i] = limiters.fungible(check.resource(), quota(check), options);
      if (check.hits() == 0) {
        continue;
      }
      Quota quota = limiterOf[i].quotaFor(check.account());
      int lane = tooSmall(quota, check.hits());
      if (lane >= 0) {
        outcomes[i] = new Outcome(false, spec(check, quota.names().get(lane)), 0,
            quota.limit(quota.names().get(lane)).window(), false);
        refused = true;
      } else {
        charged.add(i);
      }
    }
    if (allOrNothing && charged.size() == 1 && !refused) {
      // one key: its own decision, which may come from a lease when the key is hot here
      int i = charged.get(0);
      outcomes[i] = outcome(checks.get(i), limiterOf[i].tryAcquire(checks.get(i).account(), checks.get(i).hits()));
    } else if (allOrNothing) {
      if (!refused && !charged.isEmpty()) {
        List<Ask> asks = new ArrayList<>(charged.size());
        for (int i : charged) {
          asks.add(limiterOf[i].ask(checks.get(i).account(), Cost.permits(checks.get(i).hits())));
        }
        JointDecision joint = limiters.tryAcquireAll(asks);
        for (int k = 0; k < charged.size(); k++) {
          Decision decision = joint.decisions().get(k);
          int i = charged.get(k);
          if (decision != null) {
            outcomes[i] = outcome(checks.get(i), decision);
          }
        }
      }
    } else {
      for (int i : charged) {
        outcomes[i] = outcome(checks.get(i), limiterOf[i].tryAcquire(checks.get(i).account(), checks.get(i).hits()));
      }
    }
    List<Outcome> result = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Check check = checks.get(i);
      result.add(outcomes[i] != null ? outcomes[i]
          : look(check, limiterOf[i].quotaFor(check.account()), Math.max(1, check.hits())));
    }
    return result;
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
  private Outcome look(Check check, Quota quota, long needed) {
    List<String> names = quota.names();
    Instant instant = clock.instant();
    long now = Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    List<Lane> lanes = new ArrayList<>(names.size());
    for (String name : names) {
      Limit limit = quota.limit(name);
      long tolerance = limit.blocks() ? 0 : Gcra.toleranceNanos(limit);
      lanes.add(new Lane(name, 0, tolerance, BucketStore.UNKNOWN));
    }
    QuotaResult state;
    try {
      state = buckets.consume(new QuotaRequest(check.resource(), check.account(), now, lanes, Deadline.none()));
    } catch (RateLimiterException e) {
      if (failureMode == FailureMode.FAIL_OPEN) {
        return new Outcome(true, spec(check, names.get(0)), quota.first().limit(), Duration.ZERO, true);
      }
      throw e;
    }
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
