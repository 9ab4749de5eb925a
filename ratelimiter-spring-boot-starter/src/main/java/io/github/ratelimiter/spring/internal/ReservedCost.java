package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A charge that a {@code cost-header} route reserved for one request, and how the answer settles it: the same rules
 * for the servlet filter (blocking) and the WebFilter (non-blocking).
 *
 * <ul>
 *   <li>the response carries the route's cost header: the actual cost is the estimate with the header limit's amount
 *       replaced by the header's number (cancelled when that leaves every amount 0); a value that is not a number, or
 *       an actual cost the charge refuses, settles at the estimate, logged;
 *   <li>no cost header and a 429: cancelled (a limit further in denied the request: no work was done);
 *   <li>no cost header otherwise: settled at the estimate ({@link Charge#close()}, which sends nothing);
 *   <li>the application failed: cancelled ({@link #cancel}).
 * </ul>
 *
 * <p>Immutable; the charge is thread-safe. Settling twice is the caller's to avoid (a second settle throws).
 *
 * @param route the route
 * @param charge its admitted reservation
 */
record ReservedCost(HttpRoute route, Charge charge) {

  private static final Logger log = LoggerFactory.getLogger(ReservedCost.class);
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  /** The name of the response header that gives the actual cost. */
  String header() {
    return route.costHeader().header();
  }

  /**
   * Settles from the answer, blocking until the store has answered.
   *
   * @param value the cost header's value, or {@code null} when the response has none
   * @param status the response's status (read only when {@code value} is null)
   */
  void settle(String value, int status) {
    settle(value, status, false);
  }

  /** {@link #settle(String, int)} without waiting: the future completes when the store has answered, never exceptionally. */
  CompletableFuture<Void> settleAsync(String value, int status) {
    return settle(value, status, true);
  }

  /** Cancels every charge, blocking until the store has answered each; {@code reserved} may be null. */
  static void cancel(List<ReservedCost> reserved) {
    if (reserved != null) {
      reserved.forEach(r -> r.charge().cancel());
    }
  }

  /** Cancels every charge without waiting: complete once every refund has been answered; never exceptionally. */
  static CompletableFuture<Void> cancelAsync(List<ReservedCost> reserved) {
    if (reserved == null || reserved.isEmpty()) {
      return DONE;
    }
    if (reserved.size() == 1) {
      return reserved.get(0).charge().cancelAsync();
    }
    return CompletableFuture.allOf(reserved.stream().map(r -> r.charge().cancelAsync())
        .toArray(CompletableFuture<?>[]::new));
  }

  private CompletableFuture<Void> settle(String value, int status, boolean async) {
    if (value == null) {
      if (status == 429) {
        return cancel(async); // denied further in (a limited method, another limiter): no work was done
      }
      charge.close();
      return DONE;
    }
    long used;
    try {
      used = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      used = -1;
    }
    if (used < 0) {
      log.warn("{} ({}): response header {} is not a cost: '{}'; settled at the estimate", route.name(),
          route.resource(), header(), value);
      charge.close();
      return DONE;
    }
    Cost actual = route.costHeader().actual(charge.estimate(), route.defaultQuota(), used);
    try {
      if (actual == null) {
        return cancel(async);
      }
      if (async) {
        return charge.settleAsync(actual);
      }
      charge.settle(actual);
      return DONE;
    } catch (IllegalArgumentException e) {
      log.warn("{} ({}): the actual cost {} cannot be settled; settled at the estimate", route.name(),
          route.resource(), actual, e);
      charge.close();
      return DONE;
    }
  }

  private CompletableFuture<Void> cancel(boolean async) {
    if (async) {
      return charge.cancelAsync();
    }
    charge.cancel();
    return DONE;
  }
}
