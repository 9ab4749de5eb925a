package io.github.ratelimiter.server.internal;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one seam between the service and the limiter: decides the matched descriptors of one request.
 *
 * <p>Everything before it (validation, configuration lookup, {@code replaces}, {@code unlimited}, hits per
 * descriptor) and after it (statuses, shadow mode, meters, the protocol) does not depend on how the decision is
 * made. The implementation is {@link JointDescriptorDecisions}: each {@link Check} one {@code Ask} on a limiter whose
 * {@code Quota} holds the check's limits, and {@code allOrNothing} one {@code RateLimiters.tryAcquireAllAsync} of
 * them.
 *
 * <p>Non-blocking: {@link #decide} returns at once with a future, which completes when the store has answered (on the
 * limiters' async executor) or at once when the decision was made in process. No thread waits for the store.
 */
interface DescriptorDecisions {

  /**
   * One matched descriptor to decide.
   *
   * @param resource the bucket's resource name: the configured descriptor's full key
   * @param account the bucket's account id: the request's values (see {@link RateLimitConfig.Match#account()})
   * @param limits the descriptor's limits, all of which must admit it; at least one
   * @param hits the permits asked; 0 checks without charging
   */
  record Check(String resource, String account, List<LimitSpec> limits, long hits) {
    public Check {
      limits = List.copyOf(limits);
      if (limits.isEmpty()) {
        throw new IllegalArgumentException("a check needs at least one limit: " + resource);
      }
      if (hits < 0) {
        throw new IllegalArgumentException("hits must not be negative: " + hits);
      }
    }
  }

  /**
   * One descriptor's own decision.
   *
   * @param allowed whether its limits admit it (for a check with no hits: whether one more hit would be admitted)
   * @param limit the limit reported: the one that denied it, else the one with the least left
   * @param remaining the requests that limit could still admit now
   * @param untilReset how long until that limit's bucket is full again
   * @param degraded true when the store failed and the failure mode admitted it without the store
   */
  record Outcome(boolean allowed, LimitSpec limit, long remaining, Duration untilReset, boolean degraded) {}

  /**
   * Decides the checks, one outcome per check in order, without waiting.
   *
   * @param allOrNothing true: charge every check's hits only if every check is admitted (the intended semantics
   *     of a request's enforcing descriptors); false: each check is decided and charged on its own (shadow mode)
   * @return the outcomes; completed exceptionally with a {@link io.github.ratelimiter.RateLimiterException} when the
   *     store fails (or the decision timeout passes) and the failure mode is fail-closed. Never waits longer than
   *     the decision timeout for the store.
   */
  CompletableFuture<List<Outcome>> decide(List<Check> checks, boolean allOrNothing);
}
