package io.github.ratelimiter.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.spring.RateLimiterProperties.MatchMode;
import io.github.ratelimiter.spring.internal.AccountSources;
import io.github.ratelimiter.spring.internal.HttpRoute;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.RateLimitFilter;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.util.pattern.PathPatternParser;

/** The filter alone, on the in-memory store: match modes, the headers switch, path and query account sources. */
class RateLimitFilterTest {

  private final ManualClock clock = ManualClock.create();
  private final RateLimiters limiters = RateLimiters.builder()
      .store(io.github.ratelimiter.store.InMemoryStore.create()).clock(clock).build();
  private final LimiterRegistry registry = new LimiterRegistry(limiters, FailureMode.FAIL_CLOSED);

  private HttpRoute route(int index, String path, String resource, long limit, String account) {
    return new HttpRoute("ratelimiter.http.routes[" + index + "]", path, PathPatternParser.defaultInstance.parse(path),
        Set.of(), resource, Quota.of(Limit.of(limit, Duration.ofSeconds(1))), AccountSources.parse(account, null),
        account, Cost.permits(1), null,
        registry.fungible(resource, Quota.of(Limit.of(limit, Duration.ofSeconds(1))), null, "test"),
        new HttpRoute.Counters());
  }

  private MockHttpServletResponse call(RateLimitFilter filter, String uri, String tenant) throws Exception {
    MockHttpServletRequest request = new MockHttpServletRequest("GET", uri);
    if (uri.contains("?")) {
      request.setRequestURI(uri.substring(0, uri.indexOf('?')));
      request.setQueryString(uri.substring(uri.indexOf('?') + 1));
    }
    if (tenant != null) {
      request.addHeader("X-Tenant-Id", tenant);
    }
    MockHttpServletResponse response = new MockHttpServletResponse();
    filter.doFilter(request, response, new MockFilterChain());
    return response;
  }

  @Test
  void firstMatchAppliesOneRouteAndAllAppliesEveryMatchingRouteInOrder() throws Exception {
    List<HttpRoute> routes = List.of(route(0, "/api/orders/**", "narrow", 2, "header:X-Tenant-Id"),
        route(1, "/api/**", "wide", 3, "header:X-Tenant-Id"));
    RateLimitFilter first = new RateLimitFilter(routes, MatchMode.FIRST, true);
    assertThat(call(first, "/api/orders/1", "a").getHeader("RateLimit")).isEqualTo("\"narrow\";r=1;t=1");

    RateLimitFilter all = new RateLimitFilter(routes, MatchMode.ALL, true);
    MockHttpServletResponse both = call(all, "/api/orders/1", "b");
    assertThat(both.getHeader("RateLimit-Policy")).isEqualTo("\"narrow\";q=2;w=1, \"wide\";q=3;w=1");
    assertThat(both.getHeader("RateLimit")).isEqualTo("\"narrow\";r=1;t=1, \"wide\";r=2;t=1");
    call(all, "/api/orders/1", "b");
    MockHttpServletResponse denied = call(all, "/api/orders/1", "b");
    assertThat(denied.getStatus()).isEqualTo(429);
    assertThat(denied.getHeader("RateLimit")).as("the narrow route denies first").isEqualTo("\"narrow\";r=0;t=1");
    assertThat(call(all, "/api/other", "b").getHeader("RateLimit")).as("one wide permit left")
        .isEqualTo("\"wide\";r=0;t=1");
  }

  /** A cost by name: 40 tokens and no request of a quota of 5 requests and 100 tokens per second. */
  @Test
  void aCostByNameChargesOnlyTheLimitsItNamesAndTheDenialNamesItsLimit() throws Exception {
    Quota quota = Quota.builder().limit("requests", Limit.of(5, Duration.ofSeconds(1)))
        .limit("tokens", Limit.of(100, Duration.ofSeconds(1))).build();
    HttpRoute route = new HttpRoute("ratelimiter.http.routes[0]", "/llm", PathPatternParser.defaultInstance.parse(
        "/llm"), Set.of(), "llm", quota, AccountSources.parse("header:X-Tenant-Id", null), "header:X-Tenant-Id",
        Cost.of("tokens", 40), null, registry.fungible("llm", quota, null, "test"), new HttpRoute.Counters());
    RateLimitFilter filter = new RateLimitFilter(List.of(route), MatchMode.FIRST, true);

    MockHttpServletResponse first = call(filter, "/llm", "a");
    assertThat(first.getStatus()).isEqualTo(200);
    assertThat(first.getHeader("RateLimit-Policy")).isEqualTo("\"requests\";q=5;w=1, \"tokens\";q=100;w=1");
    assertThat(call(filter, "/llm", "a").getStatus()).isEqualTo(200);
    MockHttpServletResponse denied = call(filter, "/llm", "a");
    assertThat(denied.getStatus()).isEqualTo(429);
    assertThat(denied.getHeader("RateLimit")).startsWith("\"tokens\";");
    assertThat(denied.getContentAsString()).contains("\"limit\":\"tokens\"");
    assertThat(route.limiter().tryAcquire("a", Cost.of("requests", 5)).allowed())
        .as("the requests limit was never charged").isTrue();
  }

  @Test
  void theHeadersCanBeTurnedOffButDenialsKeepRetryAfter() throws Exception {
    RateLimitFilter filter = new RateLimitFilter(List.of(route(0, "/x", "quiet", 1, "header:X-Tenant-Id")),
        MatchMode.FIRST, false);
    assertThat(call(filter, "/x", "a").getHeaderNames()).doesNotContain("RateLimit", "RateLimit-Policy");
    MockHttpServletResponse denied = call(filter, "/x", "a");
    assertThat(denied.getStatus()).isEqualTo(429);
    assertThat(denied.getHeader("Retry-After")).isEqualTo("1");
    assertThat(denied.getHeaderNames()).doesNotContain("RateLimit", "RateLimit-Policy");
  }

  @Test
  void pathVariablesAndQueryParametersCanBeTheAccount() throws Exception {
    RateLimitFilter byPath = new RateLimitFilter(
        List.of(route(0, "/api/tenants/{tenant}/**", "by-path", 1, "path:tenant")), MatchMode.FIRST, true);
    assertThat(call(byPath, "/api/tenants/acme/orders", null).getStatus()).isEqualTo(200);
    assertThat(call(byPath, "/api/tenants/acme/orders", null).getStatus()).isEqualTo(429);
    assertThat(call(byPath, "/api/tenants/globex/orders", null).getStatus()).isEqualTo(200);

    RateLimitFilter byQuery = new RateLimitFilter(List.of(route(0, "/q", "by-query", 1, "param:org")),
        MatchMode.FIRST, true);
    assertThat(call(byQuery, "/q?org=a%20b", null).getStatus()).isEqualTo(200);
    assertThat(call(byQuery, "/q?org=a+b&x=1", null).getStatus()).isEqualTo(200);
    assertThat(call(byQuery, "/q?x=1&org=a%20b", null).getStatus()).as("the same decoded account").isEqualTo(429);
    assertThat(call(byQuery, "/q", null).getStatus()).isEqualTo(400);
  }
}
