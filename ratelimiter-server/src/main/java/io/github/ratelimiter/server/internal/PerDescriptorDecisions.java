package io.github.ratelimiter.server.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link DescriptorDecisions} on today's API: one {@link FungibleLimiter#tryAcquire(String, long)} per limit of
 * each check, in order. A limit is one limiter, named by the check's resource (with {@code #i} after it for the
 * i-th of several limits), its default limit the configured one (so the limit table's rows apply when enabled).
 *
 * <p><b>What is not yet all-or-nothing (waits for issue 19's {@code tryAcquireAll}).</b> With
 * {@code allOrNothing}, checks are charged one after another and the first denial stops the charging: the
 * checks after it are only looked at, but the limits charged before it keep their charge. So a request whose
 * second descriptor is over still spends its first descriptor's permit, as envoyproxy/ratelimit does, until the
 * multi-key decision replaces this class. The same holds between the limits of one {@code rate_limits} list.
 *
 * <p><b>Checks without charging (hits 0)</b> have no API in today's limiter (it takes at least one permit): they
 * are one GCRA step of cost 0 on the store's bucket ({@link BucketStore#consume}), which changes nothing but
 * returns the bucket's exact state; the check is over the limit when one more hit would be denied now. This path
 * applies the failure mode itself and is not heard by the limiters' listeners. Issue 19's {@code ask(account, 0)}
 * replaces it.
 */
final class PerDescriptorDecisions implements DescriptorDecisions {

  private final RateLimiters limiters;
  private final LimiterOptions options;
  private final BucketStore buckets;
  private final FailureMode failureMode;
  private final Clock clock;

  PerDescriptorDecisions(RateLimiters limiters, LimiterOptions options, BucketStore buckets, FailureMode failureMode,
      Clock clock) {
    this.limiters = limiters;
    this.options = options;
    this.buckets = buckets;
    this.failureMode = failureMode;
    this.clock = clock;
  }

  @Override
  public List<Outcome> decide(List<Check> checks, boolean allOrNothing) {
    List<Outcome> outcomes = new ArrayList<>(checks.size());
    boolean denied = false;
    for (Check check : checks) {
      long hits = allOrNothing && denied ? 0 : check.hits();
      Outcome outcome = decide(check, hits, Math.max(1, check.hits()));
      denied |= !outcome.allowed();
      outcomes.add(outcome);
    }
    return outcomes;
  }

  /** One check: its limits in order, charging {@code hits} (0: looking only) until one denies. */
  private Outcome decide(Check check, long hits, long needed) {
    Outcome reported = null;
    boolean denied = false;
    for (int i = 0; i < check.limits().size(); i++) {
      LimitSpec spec = check.limits().get(i);
      String resource = check.limits().size() == 1 ? check.resource() : check.resource() + "#" + i;
      FungibleLimiter limiter = limiters.fungible(resource, spec.limit(), options);
      Limit limit = limiter.limitFor(check.account());
      Outcome outcome;
      if (needed > limit.limit()) {
        // more than the bucket holds: never admitted (the limiter would refuse the argument), nothing charged
        outcome = new Outcome(false, spec, 0, limit.window(), false);
      } else if (hits == 0 || denied) {
        outcome = look(resource, check.account(), spec, limit, needed);
      } else {
        Decision decision = limiter.tryAcquire(check.account(), hits);
        outcome = new Outcome(decision.allowed(), spec, decision.remaining(),
            untilFull(decision.limit(), decision.remaining()), decision.degraded());
      }
      denied |= !outcome.allowed();
      if (reported == null || (reported.allowed() && !outcome.allowed())
          || (reported.allowed() == outcome.allowed() && outcome.remaining() < reported.remaining())) {
        reported = outcome;
      }
    }
    return reported;
  }

  /** The bucket's state without charging: a GCRA step of cost 0 (see the class comment). */
  private Outcome look(String resource, String account, LimitSpec spec, Limit limit, long needed) {
    if (limit.limit() == 0) {
      return new Outcome(false, spec, 0, limit.window(), false);
    }
    long interval = (limit.window().toNanos() + limit.limit() - 1) / limit.limit();
    long tolerance = Math.multiplyExact(interval, limit.limit());
    Instant instant = clock.instant();
    long now = Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    BucketResult result;
    try {
      result = buckets.consume(new BucketRequest(resource, account, now, 0, tolerance, BucketStore.UNKNOWN,
          Deadline.none()));
    } catch (RateLimiterException e) {
      if (failureMode == FailureMode.FAIL_OPEN) {
        return new Outcome(true, spec, limit.limit(), Duration.ZERO, true);
      }
      throw e;
    }
    long tat = Math.max(result.tat(), now);
    long headroom = now + tolerance - tat;
    long remaining = headroom <= 0 ? 0 : headroom / interval;
    return new Outcome(remaining >= needed, spec, remaining, Duration.ofNanos(tat - now), false);
  }

  /** How long until a bucket with {@code remaining} of {@code limit} left is full: within one emission interval. */
  static Duration untilFull(Limit limit, long remaining) {
    if (limit.limit() == 0) {
      return limit.window();
    }
    long interval = (limit.window().toNanos() + limit.limit() - 1) / limit.limit();
    return Duration.ofNanos(Math.multiplyExact(interval, Math.max(0, limit.limit() - remaining)));
  }
}
