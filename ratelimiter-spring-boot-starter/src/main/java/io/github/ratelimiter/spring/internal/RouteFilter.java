package io.github.ratelimiter.spring.internal;

import java.util.List;

/** A filter over {@code ratelimiter.http.routes}: the servlet one or the reactive one, for listings. */
public interface RouteFilter {

  /** The routes, in order. */
  List<HttpRoute> routes();
}
