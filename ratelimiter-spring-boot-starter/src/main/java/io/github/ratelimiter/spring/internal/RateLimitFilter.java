package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.spring.RateLimiterProperties.MatchMode;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.expression.spel.support.StandardEvaluationContext;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.RequestPath;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Limits the requests that match {@code ratelimiter.http.routes}: takes the route's cost (permits from every limit
 * of its quota, or amounts by limit name) for the request's account before the request goes on, and answers itself
 * when it may not.
 *
 * <ul>
 *   <li>denied: 429 with {@code Retry-After} and a problem detail naming the resource (and, of a quota of several
 *       limits, the limit that denied) and the retry time;
 *   <li>the store failed and the route fails closed: 503 with a problem detail;
 *   <li>the account cannot be determined and the route has no fallback account: 400 with a problem detail that
 *       names the missing source;
 *   <li>allowed (degraded included): the request goes on; allowed and denied responses carry the
 *       {@code RateLimit-Policy} and {@code RateLimit} headers unless turned off.
 * </ul>
 *
 * <p>A route with a {@code cost-header} reserves its cost as an estimate, and settles the actual cost the moment
 * the application sets that response header (seen through a response wrapper, before the response is committed, so
 * that the client's next request meets the settled bucket); without the header, at the estimate once the
 * application has answered (cancelled when it answered 429: a limit further in denied the request); when the
 * application throws, the charge is cancelled. An asynchronous request (a {@code DeferredResult}, a
 * {@code CompletableFuture} return) is settled when its first dispatch returns: at the estimate.
 *
 * <p>The first matching route applies, or every matching route in order with {@link MatchMode#ALL}. The first
 * applied route's account and resource are left in request attributes for {@code @RateLimited} methods that take
 * their account from the route. Thread-safe.
 */
public final class RateLimitFilter extends OncePerRequestFilter implements RouteFilter {

  /** The request attribute holding the account that the first applied route resolved. */
  public static final String ACCOUNT_ATTRIBUTE = HttpRoutes.ACCOUNT_ATTRIBUTE;
  /** The request attribute holding the first applied route ({@link HttpRoute}). */
  public static final String ROUTE_ATTRIBUTE = HttpRoutes.ROUTE_ATTRIBUTE;

  private static final Logger log = LoggerFactory.getLogger(RateLimitFilter.class);
  private static final String PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON_VALUE;

  private final List<HttpRoute> routes;
  private final MatchMode match;
  private final boolean headers;

  /** A filter over the routes, in order. */
  public RateLimitFilter(List<HttpRoute> routes, MatchMode match, boolean headers) {
    this.routes = List.copyOf(routes);
    this.match = match;
    this.headers = headers;
  }

  @Override
  public List<HttpRoute> routes() {
    return routes;
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    PathContainer path = RequestPath.parse(request.getRequestURI(), request.getContextPath()).pathWithinApplication();
    ServletRouteRequest view = null;
    AppliedRoutes applied = null;
    List<Reserved> reserved = null;
    boolean first = true;
    for (HttpRoute route : routes) {
      Map<String, String> variables = route.match(request.getMethod(), path);
      if (variables == null) {
        continue;
      }
      if (applied == null) {
        view = new ServletRouteRequest(request);
        applied = new AppliedRoutes(headers, true);
      }
      String account = route.accountOf(view, variables);
      if (account == null) {
        cancel(reserved);
        write(response, applied.accountMissing(route), applied);
        return;
      }
      Decision decision;
      try {
        if (route.costHeader() != null) {
          Charge charge = route.limiter().tryReserve(account, route.cost());
          decision = charge.decision();
          if (decision.allowed()) {
            reserved = add(reserved, new Reserved(route, charge));
          }
        } else {
          decision = route.limiter().tryAcquire(account, route.cost());
        }
      } catch (IllegalArgumentException e) {
        cancel(reserved);
        write(response, applied.accountInvalid(route, e), applied);
        return;
      } catch (RateLimiterException e) {
        cancel(reserved);
        write(response, applied.storeFailed(route, e), applied);
        return;
      }
      AppliedRoutes.Answer denial = applied.decided(route, account, decision);
      if (denial != null) {
        cancel(reserved);
        write(response, denial, applied);
        return;
      }
      if (first) {
        request.setAttribute(ACCOUNT_ATTRIBUTE, account);
        request.setAttribute(ROUTE_ATTRIBUTE, route);
        first = false;
      }
      if (match == MatchMode.FIRST) {
        break;
      }
    }
    setRateLimitHeaders(response, applied);
    if (reserved == null) {
      chain.doFilter(request, response);
      return;
    }
    CostHeaderResponse watched = new CostHeaderResponse(response, reserved);
    try {
      chain.doFilter(request, watched);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      watched.finished = true;
      cancel(reserved);
      throw e;
    }
    settle(reserved, watched);
  }

  /** The servlet request as routes read it. */
  private record ServletRouteRequest(HttpServletRequest request) implements RouteRequest {
    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String header(String name) {
      return request.getHeader(name);
    }

    @Override
    public String rawQuery() {
      return request.getQueryString();
    }

    @Override
    public String principalName() {
      Principal principal = request.getUserPrincipal();
      return principal == null ? null : principal.getName();
    }

    @Override
    public String claim(String name) {
      return Claims.claim(name);
    }

    @Override
    public void expose(StandardEvaluationContext context) {
      context.setRootObject(request);
      context.setVariable("request", request);
    }
  }

  /** A charge a cost-header route reserved for the request. */
  private record Reserved(HttpRoute route, Charge charge) {}

  private static void cancel(List<Reserved> reserved) {
    if (reserved != null) {
      reserved.forEach(r -> r.charge().cancel());
    }
  }

  /**
   * Settles the charges the controller did not set a cost header for: at the estimate, or cancelled when the answer
   * is a 429 (a limit further in denied the request).
   */
  private static void settle(List<Reserved> reserved, CostHeaderResponse response) {
    response.finished = true;
    for (Reserved r : reserved) {
      if (!response.settled(r)) {
        String value = response.getHeader(r.route().costHeader().header());
        if (value != null) {
          settle(r, value);
        } else if (response.getStatus() == 429) {
          r.charge().cancel(); // denied further in (a limited method, another limiter): no work was done
        } else {
          r.charge().close();
        }
      }
    }
  }

  /** Settles a charge from its cost header's value (at the estimate when it is not a number). */
  private static void settle(Reserved r, String value) {
    HttpRoute.CostHeader costHeader = r.route().costHeader();
    long used;
    try {
      used = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      used = -1;
    }
    if (used < 0) {
      log.warn("{} ({}): response header {} is not a cost: '{}'; settled at the estimate", r.route().name(),
          r.route().resource(), costHeader.header(), value);
      r.charge().close();
      return;
    }
    Cost actual = costHeader.actual(r.charge().estimate(), r.route().defaultQuota(), used);
    try {
      if (actual == null) {
        r.charge().cancel();
      } else {
        r.charge().settle(actual);
      }
    } catch (IllegalArgumentException e) {
      log.warn("{} ({}): the actual cost {} cannot be settled; settled at the estimate", r.route().name(),
          r.route().resource(), actual, e);
      r.charge().close();
    }
  }

  /**
   * Settles a charge the moment the application sets its cost header: before the response is committed, so that a
   * client's next request, sent as soon as this response arrives, meets the settled bucket.
   */
  private static final class CostHeaderResponse extends HttpServletResponseWrapper {
    private final List<Reserved> reserved;
    private final boolean[] settled;
    /** Set once the chain has returned: a header set later (an asynchronous request) no longer settles. */
    private volatile boolean finished;

    CostHeaderResponse(HttpServletResponse response, List<Reserved> reserved) {
      super(response);
      this.reserved = reserved;
      this.settled = new boolean[reserved.size()];
    }

    private void note(String name, String value) {
      if (finished) {
        return;
      }
      for (int i = 0; i < reserved.size(); i++) {
        Reserved r = reserved.get(i);
        if (!settled[i] && r.route().costHeader().header().equalsIgnoreCase(name)) {
          settled[i] = true;
          settle(r, value);
        }
      }
    }

    boolean settled(Reserved r) {
      return settled[reserved.indexOf(r)];
    }

    @Override
    public void setHeader(String name, String value) {
      note(name, value);
      super.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
      note(name, value);
      super.addHeader(name, value);
    }

    @Override
    public void setIntHeader(String name, int value) {
      note(name, Integer.toString(value));
      super.setIntHeader(name, value);
    }

    @Override
    public void addIntHeader(String name, int value) {
      note(name, Integer.toString(value));
      super.addIntHeader(name, value);
    }
  }

  private static <T> List<T> add(List<T> list, T item) {
    List<T> result = list == null ? new ArrayList<>(2) : list;
    result.add(item);
    return result;
  }

  private static void setRateLimitHeaders(HttpServletResponse response, AppliedRoutes applied) {
    if (applied != null && applied.policyHeader() != null) {
      response.setHeader(RateLimitHeaders.POLICY, applied.policyHeader());
      response.setHeader(RateLimitHeaders.STATE, applied.stateHeader());
    }
  }

  private static void write(HttpServletResponse response, AppliedRoutes.Answer answer, AppliedRoutes applied)
      throws IOException {
    response.resetBuffer();
    response.setStatus(answer.status());
    setRateLimitHeaders(response, applied);
    if (answer.retryAfterSeconds() != null) {
      response.setHeader(RateLimitHeaders.RETRY_AFTER, Long.toString(answer.retryAfterSeconds()));
    }
    response.setContentType(PROBLEM_JSON);
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.getWriter().write(Problems.json(answer.problem()));
    response.flushBuffer();
  }
}
