package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Quota;
import jakarta.servlet.http.HttpServletResponse;
import java.util.function.Supplier;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * What a limited method's denial knew, kept in the current request for the exception handler: the
 * {@link CapacityExhaustedException} carries the resource and the retry time, not the limit that denied nor the
 * account's quota, which the {@code RateLimit} headers of a quota of several limits need. The handler uses it only
 * for the very exception it was recorded with. Immutable.
 *
 * @param exception the exception thrown
 * @param resource the limited resource
 * @param decision the denial
 * @param quota the account's quota
 */
public record MethodDenial(CapacityExhaustedException exception, String resource, Decision decision, Quota quota) {

  /** The request attribute. */
  static final String ATTRIBUTE = MethodDenial.class.getName();

  /** Records the denial in the current request, if there is one. */
  static void record(CapacityExhaustedException exception, String resource, Decision decision,
      Supplier<Quota> quota) {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    if (attributes != null) {
      attributes.setAttribute(ATTRIBUTE, new MethodDenial(exception, resource, decision, quota.get()),
          RequestAttributes.SCOPE_REQUEST);
    }
  }

  /**
   * The items of a header the route filter already set on the current response (when a route applied to the
   * request), then {@code items}: one list, as with {@code ratelimiter.http.match=all}.
   */
  public static String afterRoute(String header, String items) {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    HttpServletResponse response = attributes instanceof ServletRequestAttributes servlet ? servlet.getResponse()
        : null;
    String route = response == null ? null : response.getHeader(header);
    return route == null || route.isEmpty() ? items : route + ", " + items;
  }

  /** The denial recorded in the current request with this very exception, or {@code null}. */
  public static MethodDenial of(CapacityExhaustedException exception) {
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    Object denial = attributes == null ? null
        : attributes.getAttribute(ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
    return denial instanceof MethodDenial d && d.exception() == exception ? d : null;
  }
}
