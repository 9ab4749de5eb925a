package io.github.ratelimiter.spring.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The {@code ratelimiters} actuator endpoint: the configured HTTP routes with what each decided so far, the
 * limited bean methods, and every declared limiter with its default limit.
 */
@Endpoint(id = "ratelimiters")
public final class RateLimitersEndpoint {

  private final LimiterRegistry registry;
  private final ObjectProvider<RateLimitFilter> filter;
  private final ObjectProvider<RateLimitedMethods> methods;

  /** The endpoint over the registry, the route filter (when there is one) and the limited methods. */
  public RateLimitersEndpoint(LimiterRegistry registry, ObjectProvider<RateLimitFilter> filter,
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
    RateLimitFilter routeFilter = filter.getIfAvailable();
    if (routeFilter != null) {
      for (HttpRoute route : routeFilter.routes()) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("property", route.name());
        r.put("path", route.path());
        r.put("methods", route.methodList());
        r.put("resource", route.resource());
        r.put("limit", route.defaultLimit().limit());
        r.put("window", route.defaultLimit().window().toString());
        r.put("account", route.accountSpec());
        r.put("permits", route.permits());
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
        m.put("limit", limit.defaultLimit().limit());
        m.put("window", limit.defaultLimit().window().toString());
        m.put("account", limit.accountSource());
        m.put("permits", limit.permits());
        limited.add(m);
      }
    }
    out.put("methods", limited);
    List<Map<String, Object>> limiters = new ArrayList<>();
    for (LimiterRegistry.Entry entry : registry.entries()) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("resource", entry.resource());
      l.put("kind", "fungible");
      l.put("defaultLimit", entry.defaultLimit().limit());
      l.put("window", entry.defaultLimit().window().toString());
      l.put("failureMode", entry.failureMode().name());
      l.put("declaredBy", entry.declaredBy());
      limiters.add(l);
    }
    out.put("limiters", limiters);
    return out;
  }
}
