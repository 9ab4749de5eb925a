package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.spring.RateLimiterProperties;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * The routes of {@code ratelimiter.http.routes}, for the servlet filter ({@link RateLimitFilter}) and the WebFilter
 * ({@link ReactiveRateLimitFilter}) alike, and what the applied routes leave for {@code @RateLimited} methods that
 * take their account from the route.
 */
public final class HttpRoutes {

  /**
   * The servlet request attribute, and the WebFlux exchange attribute and Reactor context key, holding the account
   * that the first applied route resolved.
   */
  public static final String ACCOUNT_ATTRIBUTE = "io.github.ratelimiter.spring.internal.RateLimitFilter.account";
  /** The request (or exchange) attribute holding the first applied route ({@link HttpRoute}). */
  public static final String ROUTE_ATTRIBUTE = "io.github.ratelimiter.spring.internal.RateLimitFilter.route";

  private HttpRoutes() {}

  /** The configured routes, in order, each bound to its resource's limiter in the registry. */
  public static List<HttpRoute> of(RateLimiterProperties properties, LimiterRegistry registry,
      BeanFactory beanFactory) {
    List<HttpRoute> routes = new ArrayList<>();
    List<RateLimiterProperties.Route> configured = properties.getHttp().getRoutes();
    for (int i = 0; i < configured.size(); i++) {
      RateLimiterProperties.Route route = configured.get(i);
      String name = RateLimiterProperties.PREFIX + ".http.routes[" + i + "]";
      Set<String> methods = new LinkedHashSet<>();
      route.getMethods().forEach(m -> methods.add(m.trim().toUpperCase(Locale.ROOT)));
      routes.add(new HttpRoute(name, route.getPath(), PathPatternParser.defaultInstance.parse(route.getPath()),
          Set.copyOf(methods), route.getResource(), route.defaultQuota(),
          AccountSources.parse(route.getAccount(), beanFactory), route.getAccount().trim(), route.requestCost(),
          route.getFallbackAccount(),
          registry.fungible(route.getResource(), route.defaultQuota(), route.getFailureMode(), name),
          new HttpRoute.Counters(), route.getCostHeader() == null ? null
              : new HttpRoute.CostHeader(route.getCostHeader().trim(), route.getCostHeaderLimit() != null
                  ? route.getCostHeaderLimit().trim() : route.defaultQuota().names().get(0))));
    }
    return routes;
  }
}
