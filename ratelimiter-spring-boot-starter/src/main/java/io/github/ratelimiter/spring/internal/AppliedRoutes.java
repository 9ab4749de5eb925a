package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ProblemDetail;

/**
 * What the routes applied to one request decided so far, the same for the servlet filter and the WebFilter: the
 * items of the {@code RateLimit-Policy} and {@code RateLimit} headers, the routes' counters, and the answer of the
 * route that stops the request (a 429, a 400 when the account is unknown, a 503 when the store failed and the route
 * fails closed). The filters only match, decide (blocking or not) and write. One per request, used by one thread at a
 * time.
 */
final class AppliedRoutes {

  private static final Logger log = LoggerFactory.getLogger(AppliedRoutes.class);

  /**
   * The answer that stops a request.
   *
   * @param status the HTTP status
   * @param problem its problem detail
   * @param retryAfterSeconds the {@code Retry-After} value, or {@code null} for none
   */
  record Answer(int status, ProblemDetail problem, Long retryAfterSeconds) {}

  private final boolean headers;
  private final boolean lookUpQuota;
  private List<String> policies;
  private List<String> states;

  /**
   * @param headers whether the {@code RateLimit} headers are sent
   * @param lookUpQuota whether the headers may read the account's quota from the limiter (see
   *     {@link HttpRoute#quotaShown})
   */
  AppliedRoutes(boolean headers, boolean lookUpQuota) {
    this.headers = headers;
    this.lookUpQuota = lookUpQuota;
  }

  /** 400: the route's source gave no account and the route has no fallback account. */
  Answer accountMissing(HttpRoute route) {
    route.counters().accountUnknown.increment();
    return new Answer(400, Problems.accountUnknown(route.resource(), "The account of this request cannot be"
        + " determined: " + route.account().description() + " is missing (rate limit '" + route.resource()
        + "')."), null);
  }

  /** 400: the limiter refused the account (blank after all, too long). */
  Answer accountInvalid(HttpRoute route, IllegalArgumentException e) {
    route.counters().accountUnknown.increment();
    return new Answer(400, Problems.accountUnknown(route.resource(), "The account of this request is not valid"
        + " for rate limit '" + route.resource() + "': " + e.getMessage()), null);
  }

  /** 503: the store failed and the route fails closed. */
  Answer storeFailed(HttpRoute route, RateLimiterException e) {
    route.counters().storeUnavailable.increment();
    log.debug("{} ({}): store failed, failing closed", route.name(), route.resource(), e);
    return new Answer(503, Problems.storeUnavailable(route.resource()), null);
  }

  /**
   * Records a route's decision: its header items and counters; the 429 answer when it denied, else {@code null} (the
   * request goes on to the next route or the application).
   */
  Answer decided(HttpRoute route, String account, Decision decision) {
    Quota quota = headers || decision.denied() ? route.quotaShown(account, decision, lookUpQuota) : null;
    if (headers) {
      policies = add(policies, RateLimitHeaders.policies(route.resource(), quota));
      states = add(states, RateLimitHeaders.state(route.resource(), quota, decision));
    }
    if (decision.denied()) {
      route.counters().denied.increment();
      return new Answer(429, Problems.tooManyRequests(route.resource(),
          quota.size() > 1 ? decision.limitName() : null, decision.retryAfter()),
          RateLimitHeaders.retryAfterSeconds(decision.retryAfter()));
    }
    route.counters().allowed.increment();
    if (decision.degraded()) {
      route.counters().degraded.increment();
    }
    return null;
  }

  /** The {@code RateLimit-Policy} value of the routes applied so far, or {@code null} when there is none. */
  String policyHeader() {
    return policies == null ? null : String.join(", ", policies);
  }

  /** The {@code RateLimit} value of the routes applied so far, or {@code null} when there is none. */
  String stateHeader() {
    return states == null ? null : String.join(", ", states);
  }

  private static <T> List<T> add(List<T> list, T item) {
    List<T> result = list == null ? new ArrayList<>(2) : list;
    result.add(item);
    return result;
  }
}
