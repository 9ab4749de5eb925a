package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.FungibleLimiter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code @RateLimited} on methods returning {@link Mono} or {@link Flux}: the method is called as usual, and its
 * publisher is wrapped so that each subscription first takes the call's permits through the limiter's non-blocking
 * view, then subscribes to the method's publisher; a denial is signalled as the blocking path's
 * {@code CapacityExhaustedException} (an {@code onError}), and the method's publisher is then not subscribed. A
 * {@code Flux} takes the call's permits once per subscription, not per element. Nothing blocks: the decision's
 * future completes at once in process, else on the limiters' async executor, where the subscription goes on.
 *
 * <p>An account from the current request's route is read from the subscriber's Reactor context, where the WebFilter
 * put it ({@link HttpRoutes#ACCOUNT_ATTRIBUTE}), else from the calling thread's servlet request. Loaded only when a
 * limited method returns one of Reactor's types, so Reactor stays optional.
 */
final class ReactorMethods {

  private ReactorMethods() {}

  static boolean isMono(Class<?> type) {
    return type == Mono.class;
  }

  static boolean isFlux(Class<?> type) {
    return type == Flux.class;
  }

  /**
   * The method's publisher, limited per subscription.
   *
   * @param account the call's account, or {@code null} to read the route's from the subscriber's context
   * @param publisher what the method returned
   */
  static Object limit(MethodLimit limit, FungibleLimiter limiter, String account, Object publisher) {
    if (publisher == null) {
      return null;
    }
    Mono<Void> admission = Mono.deferContextual(context -> {
      String callAccount = account != null ? account
          : limit.routeAccount(context.getOrDefault(HttpRoutes.ACCOUNT_ATTRIBUTE, null));
      return Mono.fromFuture(() -> limit.acquireAsync(limiter, callAccount));
    });
    if (publisher instanceof Mono<?> mono) {
      return admission.then(mono);
    }
    return admission.thenMany((Flux<?>) publisher);
  }
}
