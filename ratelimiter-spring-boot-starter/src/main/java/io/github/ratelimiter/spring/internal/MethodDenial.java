package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Quota;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * What a limited method's denial knew, kept for the exception handler: the {@link CapacityExhaustedException}
 * carries the resource and the retry time, not the limit that denied nor the account's quota, which the
 * {@code RateLimit} headers of a quota of several limits need. The handler uses it only for the very exception it was
 * recorded with. Immutable.
 *
 * <p>A blocking denial is recorded in the current servlet request. A non-blocking one ({@code Mono}, {@code Flux},
 * {@code CompletableFuture} methods, whose denial completes on whatever thread completed the decision, with no request
 * bound to it) is kept beside its exception, weakly: the entry goes when the handler takes it, or when the exception
 * is collected.
 *
 * @param resource the limited resource
 * @param decision the denial
 * @param quota the account's quota
 * @param route the items of the routes applied to the request, when known at the denial (the WebFilter's, from the
 *     Reactor context); {@code null} to read them from the current servlet response
 */
public record MethodDenial(String resource, Decision decision, Quota quota, RouteItems route) {

  /**
   * The {@code RateLimit-Policy} and {@code RateLimit} values of the routes applied to a request, which a limited
   * method's denial lists first, as one list (as with {@code ratelimiter.http.match=all}).
   *
   * @param policy the policy items
   * @param state the state items
   */
  public record RouteItems(String policy, String state) {}

  /** The request attribute. */
  static final String ATTRIBUTE = MethodDenial.class.getName();
  /** The Reactor context key under which the WebFilter leaves its {@link RouteItems}. */
  public static final String ROUTE_ITEMS = MethodDenial.class.getName() + ".route";

  /** Non-blocking denials, until the handler takes them; weak keys, compared by identity (Throwable's equals). */
  private static final Map<CapacityExhaustedException, MethodDenial> LATER =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** A blocking denial, in the current request. */
  private record Recorded(CapacityExhaustedException exception, MethodDenial denial) {}

  /** Records a blocking denial in the current request, if there is one. */
  static void record(CapacityExhaustedException exception, String resource, Decision decision,
      Supplier<Quota> quota) {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    if (attributes != null) {
      attributes.setAttribute(ATTRIBUTE, new Recorded(exception, new MethodDenial(resource, decision, quota.get(),
          null)), RequestAttributes.SCOPE_REQUEST);
    }
  }

  /** Keeps a non-blocking denial beside its exception, for the handler. */
  static void remember(CapacityExhaustedException exception, MethodDenial denial) {
    LATER.put(exception, denial);
  }

  /** The denial recorded with this very exception (and forgets a non-blocking one), or {@code null}. */
  public static MethodDenial of(CapacityExhaustedException exception) {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    Object recorded = attributes == null ? null
        : attributes.getAttribute(ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
    if (recorded instanceof Recorded r && r.exception() == exception) {
      return r.denial();
    }
    return LATER.remove(exception);
  }

  /** The {@code RateLimit-Policy} value: the routes' items, then {@code items}. */
  public String policyHeader(String items) {
    return route != null ? joined(route.policy(), items) : afterRoute(RateLimitHeaders.POLICY, items);
  }

  /** The {@code RateLimit} value: the routes' items, then {@code items}. */
  public String stateHeader(String items) {
    return route != null ? joined(route.state(), items) : afterRoute(RateLimitHeaders.STATE, items);
  }

  private static String joined(String route, String items) {
    return route == null || route.isEmpty() ? items : route + ", " + items;
  }

  /**
   * The items of a header the route filter already set on the current servlet response (when a route applied to the
   * request), then {@code items}: one list, as with {@code ratelimiter.http.match=all}.
   */
  private static String afterRoute(String header, String items) {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    HttpServletResponse response = attributes instanceof ServletRequestAttributes servlet ? servlet.getResponse()
        : null;
    return joined(response == null ? null : response.getHeader(header), items);
  }
}
