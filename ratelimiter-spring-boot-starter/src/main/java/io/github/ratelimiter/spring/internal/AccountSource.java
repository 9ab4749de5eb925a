package io.github.ratelimiter.spring.internal;

import java.util.Map;

/** Where a route finds the account of a request. Implementations are immutable and thread-safe. */
public interface AccountSource {

  /**
   * The request's account, or {@code null} when it has none (a missing header, an anonymous user).
   *
   * @param pathVariables the variables the route's path pattern extracted
   */
  String resolve(RouteRequest request, Map<String, String> pathVariables);

  /** What the source reads, for messages: {@code header 'X-Tenant-Id'}. */
  String description();

  /**
   * Whether the source reads the authenticated user ({@code principal}, {@code claim:}), which a reactive request
   * gives only asynchronously: the WebFilter asks for it before resolving such a source.
   */
  default boolean readsPrincipal() {
    return false;
  }
}
