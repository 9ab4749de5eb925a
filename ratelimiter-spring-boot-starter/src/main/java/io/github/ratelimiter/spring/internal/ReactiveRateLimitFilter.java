package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.spring.RateLimiterProperties.MatchMode;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
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
import reactor.util.context.Context;

/**
 * The WebFlux twin of {@link RateLimitFilter}: limits the requests that match {@code ratelimiter.http.routes} with
 * the same answers (429 with {@code Retry-After} and a problem detail naming the resource and, of a quota, the
 * limit that denied; 503 when the store failed and the route fails closed; 400 when the account is unknown) and the
 * same {@code RateLimit-Policy} and {@code RateLimit} headers, from the same shared steps ({@link HttpRoute},
 * {@link AccountSources}, {@link AppliedRoutes}, {@link RateLimitHeaders}, {@link Problems}).
 *
 * <p><b>Never blocks.</b> Each route decides through the limiter's non-blocking view
 * ({@code FungibleLimiter.async()}: {@code tryAcquire}, or {@code tryReserve} for a route with a {@code cost-header}),
 * and the request goes on (or is answered) when that future completes: at once for a decision made in process (the
 * in-memory store, a local denial, a lease), else on the limiters' async executor
 * ({@code RateLimiters.Builder.asyncExecutor}), never on an event loop waiting. A {@code principal} or
 * {@code claim:} account is read from {@link ServerWebExchange#getPrincipal()} (Spring Security's reactive context),
 * asked for once, only when an applied route needs it. The headers' quota is the limiter's non-blocking lookup
 * ({@code async().quotaFor}): complete at once from the limit cache, which the decision has just filled, and read from
 * the store without blocking when nothing is cached ({@code ratelimiter.limit-cache-ttl=0}).
 *
 * <p>A route with a {@code cost-header} reserves its cost as an estimate and settles it as the servlet filter does
 * ({@link ReservedCost}), without blocking: when the response is committed
 * ({@link ServerHttpResponse#beforeCommit}), from the header the application set, and the response goes out once the
 * settle has been answered, so that the client's next request meets the settled bucket. Without the header: at the
 * estimate, or cancelled for a 429; cancelled when the application fails (an error signal reaching this filter), when
 * a later route denies or fails, and settled at the estimate when the client goes away before the answer.
 *
 * <p>Differences from the servlet filter: in an account expression the root object and {@code #request} are the
 * {@link ServerHttpRequest}, and {@code #exchange} the exchange. The first applied route's account and route are left
 * in exchange attributes ({@link HttpRoutes#ACCOUNT_ATTRIBUTE}, {@link HttpRoutes#ROUTE_ATTRIBUTE}), and the account
 * in the Reactor context under {@link HttpRoutes#ACCOUNT_ATTRIBUTE}, where {@code @RateLimited} methods returning
 * {@code Mono} or {@code Flux} find it, beside the routes' {@code RateLimit} header items
 * ({@link MethodDenial#ROUTE_ITEMS}), which a limited method's denial lists after them. Thread-safe.
 */
public final class ReactiveRateLimitFilter implements WebFilter, Ordered, RouteFilter {

  private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

  private final List<HttpRoute> routes;
  private final MatchMode matchMode;
  private final boolean headers;
  private final int order;

  /**
   * A filter over the routes, in order.
   *
   * @param order the filter's order among the application's WebFilters ({@code ratelimiter.http.filter-order})
   */
  public ReactiveRateLimitFilter(List<HttpRoute> routes, MatchMode match, boolean headers, int order) {
    this.routes = List.copyOf(routes);
    this.matchMode = match;
    this.headers = headers;
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
    return apply(exchange, chain, new ReactiveRouteRequest(exchange), path, first, new AppliedRoutes(headers), null);
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
      return proceed(exchange, chain, request, applied, account);
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
      return cancelAndAnswer(exchange, request, applied.accountMissing(route), applied);
    }
    CompletableFuture<Outcome> outcome;
    try {
      outcome = route.costHeader() == null
          ? route.limiter().async().tryAcquire(routeAccount, route.cost()).handle((d, e) -> new Outcome(d, null, e))
          : route.limiter().async().tryReserve(routeAccount, route.cost())
              .handle((c, e) -> new Outcome(c == null ? null : c.decision(), c, e));
    } catch (IllegalArgumentException e) {
      return cancelAndAnswer(exchange, request, applied.accountInvalid(route, e), applied);
    }
    // A decision made in process is complete already: go on at once, without a Mono around the future.
    Outcome now = outcome.getNow(null);
    if (now != null) {
      return decided(exchange, chain, request, path, match, applied, account, routeAccount, now);
    }
    return Mono.fromFuture(outcome)
        .flatMap(later -> decided(exchange, chain, request, path, match, applied, account, routeAccount, later));
  }

  /** Answers a route's failure, or looks up the account's quota for its headers and goes on to {@link #shown}. */
  private Mono<Void> decided(ServerWebExchange exchange, WebFilterChain chain, ReactiveRouteRequest request,
      PathContainer path, Match match, AppliedRoutes applied, String account, String routeAccount, Outcome outcome) {
    HttpRoute route = match.route();
    Throwable failure = outcome.failure() instanceof CompletionException e && e.getCause() != null
        ? e.getCause() : outcome.failure();
    if (failure instanceof IllegalArgumentException e) {
      return cancelAndAnswer(exchange, request, applied.accountInvalid(route, e), applied);
    }
    if (failure instanceof RateLimiterException e) {
      return cancelAndAnswer(exchange, request, applied.storeFailed(route, e), applied);
    }
    if (failure != null) {
      ReservedCost.cancelAsync(request.reserved);
      return Mono.error(failure);
    }
    Decision decision = outcome.decision();
    if (!applied.wantsQuota(decision)) {
      return shown(exchange, chain, request, path, match, applied, account, routeAccount, outcome, null);
    }
    CompletableFuture<Quota> quota = route.quotaShownAsync(routeAccount, decision);
    Quota cached = quota.getNow(null);
    if (cached != null) {
      return shown(exchange, chain, request, path, match, applied, account, routeAccount, outcome, cached);
    }
    return Mono.fromFuture(quota).flatMap(
        read -> shown(exchange, chain, request, path, match, applied, account, routeAccount, outcome, read));
  }

  /** Answers a route's denial, or goes on to the next route or the application. */
  private Mono<Void> shown(ServerWebExchange exchange, WebFilterChain chain, ReactiveRouteRequest request,
      PathContainer path, Match match, AppliedRoutes applied, String account, String routeAccount, Outcome outcome,
      Quota quota) {
    HttpRoute route = match.route();
    AppliedRoutes.Answer denial = applied.decided(route, outcome.decision(), quota);
    if (denial != null) {
      return cancelAndAnswer(exchange, request, denial, applied);
    }
    if (outcome.charge() != null) {
      request.reserve(new ReservedCost(route, outcome.charge()));
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

  /**
   * A decision, or why there is none; never a failed future, so that only the decision's failure is handled.
   *
   * @param charge the reservation of a route with a cost header, else {@code null}
   */
  private record Outcome(Decision decision, Charge charge, Throwable failure) {}

  private static Mono<Void> proceed(ServerWebExchange exchange, WebFilterChain chain, ReactiveRouteRequest request,
      AppliedRoutes applied, String account) {
    setRateLimitHeaders(exchange.getResponse().getHeaders(), applied);
    Mono<Void> rest = request.reserved == null ? chain.filter(exchange)
        : settledOnCommit(exchange, chain, request.reserved);
    if (account == null) {
      return rest;
    }
    MethodDenial.RouteItems items = applied.policyHeader() == null ? null
        : new MethodDenial.RouteItems(applied.policyHeader(), applied.stateHeader());
    return rest.contextWrite(context -> {
      Context withAccount = context.put(HttpRoutes.ACCOUNT_ATTRIBUTE, account);
      return items == null ? withAccount : withAccount.put(MethodDenial.ROUTE_ITEMS, items);
    });
  }

  /**
   * The application's answer, with the cost-header routes' charges settled when the response is committed (from the
   * headers and status the application set; the commit waits for the settle's answer), cancelled when the application
   * fails before that, and settled at the estimate when the request is cancelled first.
   */
  private static Mono<Void> settledOnCommit(ServerWebExchange exchange, WebFilterChain chain,
      List<ReservedCost> reserved) {
    AtomicBoolean done = new AtomicBoolean();
    ServerHttpResponse response = exchange.getResponse();
    response.beforeCommit(() -> {
      if (!done.compareAndSet(false, true)) {
        return Mono.empty();
      }
      HttpStatusCode status = response.getStatusCode();
      int code = status == null ? 200 : status.value();
      CompletableFuture<?>[] settles = new CompletableFuture<?>[reserved.size()];
      for (int i = 0; i < settles.length; i++) {
        ReservedCost r = reserved.get(i);
        settles[i] = r.settleAsync(response.getHeaders().getFirst(r.header()), code);
      }
      return after(settles.length == 1 ? settles[0] : CompletableFuture.allOf(settles), Mono.empty());
    });
    // Registered before the chain is called: a chain may commit the response as it is called.
    return chain.filter(exchange)
        .onErrorResume(error -> done.compareAndSet(false, true)
            ? after(ReservedCost.cancelAsync(reserved), Mono.error(error)) : Mono.error(error))
        .doOnCancel(() -> {
          if (done.compareAndSet(false, true)) {
            reserved.forEach(r -> r.charge().close());
          }
        });
  }

  /** {@code then} once {@code future} (which never fails) has completed: at once when it has already. */
  private static <T> Mono<T> after(CompletableFuture<?> future, Mono<T> then) {
    return future.isDone() ? then : Mono.fromFuture(future, true).then(then);
  }

  /** Cancels the charges reserved so far, then answers. */
  private static Mono<Void> cancelAndAnswer(ServerWebExchange exchange, ReactiveRouteRequest request,
      AppliedRoutes.Answer answer, AppliedRoutes applied) {
    return after(ReservedCost.cancelAsync(request.reserved), Mono.defer(() -> answer(exchange, answer, applied)));
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
   * The reactive request as routes read it, and the charges its cost-header routes reserved. The principal, which the
   * exchange gives only asynchronously, is asked for once, by the first applied route whose source reads it. One per
   * request, used by one thread at a time.
   */
  private static final class ReactiveRouteRequest implements RouteRequest {
    private final ServerWebExchange exchange;
    private Principal principal;
    private boolean principalAsked;
    /** The charges of the cost-header routes applied so far, or {@code null}. */
    private List<ReservedCost> reserved;

    ReactiveRouteRequest(ServerWebExchange exchange) {
      this.exchange = exchange;
    }

    void reserve(ReservedCost charge) {
      if (reserved == null) {
        reserved = new ArrayList<>(2);
      }
      reserved.add(charge);
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
