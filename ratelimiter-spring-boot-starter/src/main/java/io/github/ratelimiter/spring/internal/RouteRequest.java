package io.github.ratelimiter.spring.internal;

import org.springframework.expression.spel.support.StandardEvaluationContext;

/**
 * The parts of an HTTP request that routes read (the method, and what an {@link AccountSource} reads), over a
 * servlet request ({@link RateLimitFilter}) or a reactive one ({@link ReactiveRateLimitFilter}), so that route
 * matching and account resolution are written once for both. One per request; not shared between threads.
 */
public interface RouteRequest {

  /** The HTTP method, upper case: {@code POST}. */
  String method();

  /** The first value of a request header, or {@code null}. */
  String header(String name);

  /** The raw (still encoded) query string, or {@code null} when the request has none. */
  String rawQuery();

  /** The authenticated principal's name, or {@code null} when the request has none. */
  String principalName();

  /** A claim of the authenticated user's token ({@code claim:} sources), or {@code null}; see {@link Claims}. */
  String claim(String name);

  /**
   * Exposes the request to an account expression: as the root object and as {@code #request} (the servlet
   * {@code HttpServletRequest}, or WebFlux's {@code ServerHttpRequest} with {@code #exchange} beside it).
   */
  void expose(StandardEvaluationContext context);
}
