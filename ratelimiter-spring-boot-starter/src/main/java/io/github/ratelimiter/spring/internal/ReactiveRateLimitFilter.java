package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.spring.RateLimiterProperties.MatchMode;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.springframework.core.Ordered;
import org.springframework.expression.spel.support.StandardEvaluationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The WebFlux twin of {@link RateLimitFilter}: limits the requests that match {@code ratelimiter.http.routes} with
 * the same answers (429 with {@code Retry-After} and a problem detail naming the resource and, of a quota, the
 * limit that denied; 503 when the store failed and the route fails closed; 400 when the account is unknown) and the
 * same {@code RateLimit-Policy} and {@code RateLimit} headers, from the same shared steps ({@link HttpRoute},
 * {@link AccountSources}, {@link AppliedRoutes}, {@link RateLimitHeaders}, {@link Problems}).
 *
 * <p><b>Never blocks.</b> Each route decides through the limiter's non-blocking view
 * ({@code FungibleLimiter.async().tryAcquire}), and the request goes on (or is answered) when that future completes:
 * at once for a decision made in process (the in-memory store, a local denial, a lease), else on the limiters' async
 * executor ({@code RateLimiters.Builder.asyncExecutor}), never on an event loop waiting. A {@code principal} or
 * {@code claim:} account is read from {@link ServerWebExchange#getPrincipal()} (Spring Security's reactive context),
 * asked for once, only when an applied route needs it. The headers' quota is the limiter's cached lookup, which the
 * decision has just filled; with {@code ratelimiter.limit-cache-ttl=0} (nothing cached, so the lookup would read the
 * store) the headers show the route's default quota, or the decision's limit, instead.
 *
 * <p>Differences from the servlet filter: a route with a {@code cost-header} is refused at startup (the non-blocking
 * view has no reservation to settle); in an account expression the root object and {@code #request} are the
 * {@link ServerHttpRequest}, and {@code #exchange} the exchange. The first applied route's account and route are left
 * in exchange attributes ({@link HttpRoutes#ACCOUNT_ATTRIBUTE}, {@link HttpRoutes#ROUTE_ATTRIBUTE}), and the account
 * in the Reactor context under {@link HttpRoutes#ACCOUNT_ATTRIBUTE}, where {@code @RateLimited} methods returning
 * {@code Mono} or {@code Flux} find it. Thread-safe.
 */
public final class ReactiveRateLimitFilter implements WebFilter, Ordered, RouteFilter {

  private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

  private final List<HttpRoute> routes;
  private final MatchMode matchMode;
  private final boolean headers;
  private final boolean lookUpQuota;
  private final int order;

  /**
   * A filter over the routes, in order.
   *
   * @param lookUpQuota whether the headers may read the account's quota from the limiter's cache (false when the
   *     limit cache is off, as a lookup would then read the store on the calling thread)
   * @param order the filter's order among the application's WebFilters ({@code ratelimiter.http.filter-order})
   * @throws IllegalArgumentException naming the route, if a route has a {@code cost-header}
   */
  public ReactiveRateLimitFilter(List<HttpRoute> routes, MatchMode match, boolean headers, boolean lookUpQuota,
      int order) {
    for (HttpRoute route : routes) {
      if (route.costHeader() != null) {
        throw new IllegalArgumentException(route.name() + ".cost-header (" + route.costHeader().header() + ") is not"
            + " supported in a reactive web application: the non-blocking limiter has no reservation to settle;"
            + " remove it, or charge the cost up front with " + route.name() + ".cost");
      }
    }
    this.routes = List.copyOf(routes);
    this.matchMode = match;
    this.headers = headers;
    this.lookUpQuota = lookUpQuota;
    this.order = order;
  }

  @Override
  public List<HttpRoute> routes() {
    return routes;
  }

  @Override
  public int getOrder() {
    return order;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
    String method = exchange.getRequest().getMethod().name();
    Match first = next(method, path, 0);
    if (first == null) {
      return chain.filter(exchange);
    }
    return apply(exchange, chain, new ReactiveRouteRequest(exchange), path, first,
        new AppliedRoutes(headers, lookUpQuota), null);
  }

  /** A route that applies to the request, and the variables its path pattern extracted. */
  private record Match(int index, HttpRoute route, Map<String, String> variables) {}

  /** The first route from index {@code from} that applies to the request, or {@code null}. */
  private Match next(String method, PathContainer path, int from) {
    for (int i = from; i < routes.size(); i++) {
      Map<String, String> variables = routes.get(i).match(method, path);
      if (variables != null) {
        return new Match(i, routes.get(i), variables);
      }
    }
    return null;
  }

  /**
   * Applies a matching route: resolves the account (asking for the principal first when the route's source reads
   * it), decides without blocking, and answers, or goes on to the next matching route (with {@link MatchMode#ALL})
   * or to the application.
   *
   * @param match the route, or {@code null} when no more apply
   * @param account the first applied route's account, or {@code null} before one was applied
   */
  private Mono<Void> apply(ServerWebExchange exchange, WebFilterChain chain, ReactiveRouteRequest request,
      PathContainer path, Match match, AppliedRoutes applied, String account) {
    if (match == null) {
      return proceed(exchange, chain, applied, account);
    }
    HttpRoute route = match.route();
    if (route.account().readsPrincipal() && !request.principalAsked) {
      return exchange.getPrincipal().map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(principal -> {
        request.principal = principal.orElse(null);
        request.principalAsked = true;
        return apply(exchange, chain, request, path, match, applied, account);
      });
    }
    String routeAccount = route.accountOf(request, match.variables());
    if (routeAccount == null) {
      return answer(exchange, applied.accountMissing(route), applied);
    }
    CompletableFuture<Decision> decision;
    try {
      decision = route.limiter().async().tryAcquire(routeAccount, route.cost());
    } catch (IllegalArgumentException e) {
      return answer(exchange, applied.accountInvalid(route, e), applied);
    }
    // A decision made in process is complete already: go on at once, without a Mono around the future.
    CompletableFuture<Outcome> outcome = decision.handle(Outcome::new);
    Outcome now = outcome.getNow(null);
    if (now != null) {
      return decided(exchange, chain, request, path, match, applied, account, routeAccount, now);
    }
    return Mono.fromFuture(outcome)
        .flatMap(later -> decided(exchange, chain, request, path, match, applied, account, routeAccount, later));
  }

  /** Answers a route's decision (or its failure), or goes on to the next route or the application. */
  private Mono<Void> decided(ServerWebExchange exchange, WebFilterChain chain, ReactiveRouteRequest request,
      PathContainer path, Match match, AppliedRoutes applied, String account, String routeAccount, Outcome outcome) {
    HttpRoute route = match.route();
    Throwable failure = outcome.failure() instanceof CompletionException e && e.getCause() != null
        ? e.getCause() : outcome.failure();
    if (failure instanceof IllegalArgumentException e) {
      return answer(exchange, applied.accountInvalid(route, e), applied);
    }
    if (failure instanceof RateLimiterException e) {
      return answer(exchange, applied.storeFailed(route, e), applied);
    }
    if (failure != null) {
      return Mono.error(failure);
    }
    AppliedRoutes.Answer denial = applied.decided(route, routeAccount, outcome.decision());
    if (denial != null) {
      return answer(exchange, denial, applied);
    }
    String firstAccount = account;
    if (firstAccount == null) {
      firstAccount = routeAccount;
      exchange.getAttributes().put(HttpRoutes.ACCOUNT_ATTRIBUTE, routeAccount);
      exchange.getAttributes().put(HttpRoutes.ROUTE_ATTRIBUTE, route);
    }
    Match following = matchMode == MatchMode.FIRST ? null : next(request.method(), path, match.index() + 1);
    return apply(exchange, chain, request, path, following, applied, firstAccount);
  }

  /** A decision, or why there is none; never a failed future, so that only the decision's failure is handled. */
  private record Outcome(Decision decision, Throwable failure) {}

  private static Mono<Void> proceed(ServerWebExchange exchange, WebFilterChain chain, AppliedRoutes applied,
      String account) {
    setRateLimitHeaders(exchange.getResponse().getHeaders(), applied);
    Mono<Void> rest = chain.filter(exchange);
    return account == null ? rest : rest.contextWrite(context -> context.put(HttpRoutes.ACCOUNT_ATTRIBUTE, account));
  }

  private static void setRateLimitHeaders(HttpHeaders headers, AppliedRoutes applied) {
    if (applied.policyHeader() != null) {
      headers.set(RateLimitHeaders.POLICY, applied.policyHeader());
      headers.set(RateLimitHeaders.STATE, applied.stateHeader());
    }
  }

  private static Mono<Void> answer(ServerWebExchange exchange, AppliedRoutes.Answer answer, AppliedRoutes applied) {
    ServerHttpResponse response = exchange.getResponse();
    response.setStatusCode(HttpStatusCode.valueOf(answer.status()));
    HttpHeaders headers = response.getHeaders();
    setRateLimitHeaders(headers, applied);
    if (answer.retryAfterSeconds() != null) {
      headers.set(RateLimitHeaders.RETRY_AFTER, Long.toString(answer.retryAfterSeconds()));
    }
    headers.setContentType(PROBLEM_JSON);
    byte[] body = Problems.json(answer.problem()).getBytes(StandardCharsets.UTF_8);
    headers.setContentLength(body.length);
    return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
  }

  /**
   * The reactive request as routes read it. The principal, which the exchange gives only asynchronously, is asked
   * for once, by the first applied route whose source reads it. One per request, used by one thread at a time.
   */
  private static final class ReactiveRouteRequest implements RouteRequest {
    private final ServerWebExchange exchange;
    private Principal principal;
    private boolean principalAsked;

    ReactiveRouteRequest(ServerWebExchange exchange) {
      this.exchange = exchange;
    }

    @Override
    public String method() {
      return exchange.getRequest().getMethod().name();
    }

    @Override
    public String header(String name) {
      return exchange.getRequest().getHeaders().getFirst(name);
    }

    @Override
    public String rawQuery() {
      return exchange.getRequest().getURI().getRawQuery();
    }

    @Override
    public String principalName() {
      return principal == null ? null : principal.getName();
    }

    @Override
    public String claim(String name) {
      return Claims.claim(principal, name);
    }

    @Override
    public void expose(StandardEvaluationContext context) {
      ServerHttpRequest request = exchange.getRequest();
      context.setRootObject(request);
      context.setVariable("request", request);
      context.setVariable("exchange", exchange);
    }
  }
}
