package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.expression.EvaluationException;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPattern;

/**
 * One limited route, resolved from {@code ratelimiter.http.routes[n]}. Immutable but for its counters; thread-safe.
 *
 * @param name its property name, {@code ratelimiter.http.routes[0]}
 * @param path the path pattern's text
 * @param pattern the parsed pattern
 * @param methods the upper-case HTTP methods it applies to; empty for all
 * @param resource the limited resource
 * @param defaultQuota the default quota: one limit, or several decided together
 * @param account where the account comes from
 * @param accountSpec the account property as written
 * @param cost what a request takes: permits from every limit, or amounts by limit name
 * @param fallbackAccount the account of a request whose account cannot be determined, or {@code null}
 * @param limiter the resource's limiter
 * @param counters what the route decided so far
 * @param costHeader the response header that gives the actual cost, or {@code null} when the cost is known before
 */
public record HttpRoute(String name, String path, PathPattern pattern, Set<String> methods, String resource,
    Quota defaultQuota, AccountSource account, String accountSpec, Cost cost, String fallbackAccount,
    FungibleLimiter limiter, Counters counters, CostHeader costHeader) {

  /** A route whose cost is known before the request ({@code costHeader} null). */
  public HttpRoute(String name, String path, PathPattern pattern, Set<String> methods, String resource,
      Quota defaultQuota, AccountSource account, String accountSpec, Cost cost, String fallbackAccount,
      FungibleLimiter limiter, Counters counters) {
    this(name, path, pattern, methods, resource, defaultQuota, account, accountSpec, cost, fallbackAccount, limiter,
        counters, null);
  }

  /**
   * The response header whose number is a request's actual cost of one limit ({@code cost-header},
   * {@code cost-header-limit}): the route's cost is reserved as an estimate, and settled with that limit's amount
   * replaced by the header's value.
   *
   * @param header the header's name, e.g. {@code X-Tokens-Used}
   * @param limit the limit it gives the amount of
   */
  public record CostHeader(String header, String limit) {

    /** The actual cost: the estimate with {@link #limit()}'s amount replaced; {@code null} when it is all 0. */
    Cost actual(Cost estimate, Quota quota, long used) {
      Map<String, Long> amounts = new java.util.LinkedHashMap<>();
      for (String name : quota.names()) {
        amounts.put(name, name.equals(limit) ? used : estimate.amount(name));
      }
      return amounts.values().stream().allMatch(a -> a == 0) ? null : Cost.of(amounts);
    }
  }

  /** What a route decided, since startup. */
  public static final class Counters {
    final LongAdder allowed = new LongAdder();
    final LongAdder denied = new LongAdder();
    final LongAdder degraded = new LongAdder();
    final LongAdder accountUnknown = new LongAdder();
    final LongAdder storeUnavailable = new LongAdder();

    /** The counts by outcome: allowed (degraded included), denied, degraded, accountUnknown, storeUnavailable. */
    public Map<String, Long> snapshot() {
      return Map.of("allowed", allowed.sum(), "denied", denied.sum(), "degraded", degraded.sum(),
          "accountUnknown", accountUnknown.sum(), "storeUnavailable", storeUnavailable.sum());
    }
  }

  private static final Logger log = LoggerFactory.getLogger(HttpRoute.class);

  /** The path variables when the route applies to a request of {@code method} on {@code path}, else {@code null}. */
  Map<String, String> match(String method, PathContainer path) {
    if (!methods.isEmpty() && !methods.contains(method)) {
      return null;
    }
    PathPattern.PathMatchInfo info = pattern.matchAndExtract(path);
    return info == null ? null : info.getUriVariables();
  }

  /**
   * The request's account: from the route's source, else the fallback account; {@code null} when neither gives one
   * (an expression that fails gives none).
   */
  String accountOf(RouteRequest request, Map<String, String> pathVariables) {
    String resolved;
    try {
      resolved = account.resolve(request, pathVariables);
    } catch (EvaluationException e) {
      log.debug("{}: the account expression failed", name, e);
      resolved = null;
    }
    return resolved != null ? resolved : fallbackAccount;
  }

  /**
   * The account's quota, for the headers: the limiter's cached lookup, which the decision just made (so no request
   * while the limit cache holds it). A degraded decision (the store failed, the route fails open) does not ask the
   * store again, nor does a failed lookup, nor a caller that may not wait ({@code lookUp} false): then the route's
   * default quota is shown, or the decision's limit when the account's quota is not the default one.
   */
  Quota quotaShown(String accountId, Decision decision, boolean lookUp) {
    if (lookUp && !decision.degraded()) {
      try {
        return limiter.quotaFor(accountId);
      } catch (RateLimiterException e) {
        log.debug("{} ({}): the account's quota cannot be read for the headers; the default quota's shown",
            name, resource, e);
      }
    }
    return defaultQuota.limits().containsKey(decision.limitName()) ? defaultQuota : Quota.of(decision.limit());
  }

  /** The methods for listings: empty means all. */
  public List<String> methodList() {
    return methods.stream().sorted().toList();
  }
}
