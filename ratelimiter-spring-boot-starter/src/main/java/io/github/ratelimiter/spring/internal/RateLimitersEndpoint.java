package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Quota;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code ratelimiters} actuator endpoint: the configured HTTP routes with what each decided so far, the
 * limited bean methods, and every declared limiter with its default limit (or limits, for a quota).
 */
@Endpoint(id = "ratelimiters")
public final class RateLimitersEndpoint {

  private final LimiterRegistry registry;
  private final ObjectProvider<RouteFilter> filter;
  private final ObjectProvider<RateLimitedMethods> methods;

  /** The endpoint over the registry, the route filter (when there is one) and the limited methods. */
  public RateLimitersEndpoint(LimiterRegistry registry, ObjectProvider<RouteFilter> filter,
      ObjectProvider<RateLimitedMethods> methods) {
    this.registry = registry;
    this.filter = filter;
    this.methods = methods;
  }

  /** The listing. */
  @ReadOperation
  public Map<String, Object> rateLimiters() {
    Map<String, Object> out = new LinkedHashMap<>();
    List<Map<String, Object>> routes = new ArrayList<>();
    RouteFilter routeFilter = filter.getIfAvailable();
    if (routeFilter != null) {
      for (HttpRoute route : routeFilter.routes()) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("property", route.name());
        r.put("path", route.path());
        r.put("methods", route.methodList());
        r.put("resource", route.resource());
        quota(r, "limit", route.defaultQuota());
        r.put("account", route.accountSpec());
        cost(r, route.cost());
        if (route.costHeader() != null) {
          r.put("costHeader", route.costHeader().header());
          r.put("costHeaderLimit", route.costHeader().limit());
        }
        if (route.fallbackAccount() != null) {
          r.put("fallbackAccount", route.fallbackAccount());
        }
        r.put("decisions", new LinkedHashMap<>(route.counters().snapshot()));
        routes.add(r);
      }
    }
    out.put("routes", routes);
    List<Map<String, Object>> limited = new ArrayList<>();
    RateLimitedMethods limitedMethods = methods.getIfAvailable();
    if (limitedMethods != null) {
      for (MethodLimit limit : limitedMethods.limits()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", limit.name());
        m.put("resource", limit.resource());
        quota(m, "limit", limit.defaultQuota());
        m.put("account", limit.accountSource());
        m.put("permits", limit.permits());
        if (limit.settles()) {
          m.put("estimate", limit.estimate());
          if (limit.actual() != null) {
            m.put("actual", limit.actual());
          }
        }
        limited.add(m);
      }
    }
    out.put("methods", limited);
    List<Map<String, Object>> limiters = new ArrayList<>();
    for (LimiterRegistry.Entry entry : registry.entries()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("resource", entry.resource());
      l.put("kind", "fungible");
      quota(l, "defaultLimit", entry.defaultQuota());
      l.put("failureMode", entry.failureMode().name());
      l.put("declaredBy", entry.declaredBy());
      limiters.add(l);
    }
    out.put("limiters", limiters);
    return out;
  }

  /**
   * A quota of one limit as {@code key} and {@code window}, as before quotas; of several as {@code key + "s"}: a list
   * of name, limit and window.
   */
  private static void quota(Map<String, Object> out, String key, Quota quota) {
    if (quota.size() == 1) {
      out.put(key, quota.first().limit());
      out.put("window", quota.first().window().toString());
      return;
    }
    List<Map<String, Object>> limits = new ArrayList<>();
    quota.limits().forEach((name, limit) -> {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("name", name);
      l.put("limit", limit.limit());
      l.put("window", limit.window().toString());
      limits.add(l);
    });
    out.put(key + "s", limits);
  }

  private static void cost(Map<String, Object> out, Cost cost) {
    if (cost.uniform()) {
      out.put("permits", cost.amount(""));
    } else {
      out.put("cost", new LinkedHashMap<>(cost.amounts()));
    }
  }
}
