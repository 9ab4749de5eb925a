package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.FungibleLimiter;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * {@code @RateLimited} on methods returning {@link Mono} or {@link Flux}: the method is called as usual, and its
 * publisher is wrapped so that each subscription first takes the call's permits through the limiter's non-blocking
 * view, then subscribes to the method's publisher; a denial is signalled as the blocking path's
 * {@code CapacityExhaustedException} (an {@code onError}), and the method's publisher is then not subscribed. A
 * {@code Flux} takes the call's permits once per subscription, not per element. Nothing blocks: the decision's
 * future completes at once in process, else on the limiters' async executor, where the subscription goes on.
 *
 * <p>A {@code Mono} with an estimate ({@code RateLimited#estimate()}) reserves it per subscription
 * ({@code async().tryReserve}) before subscribing to the method's publisher, and settles the actual cost read from
 * its value ({@code #result}; {@code null} when it completes empty) with {@code settleAsync}, emitting the value once
 * the settle has been answered; its error cancels the charge ({@code cancelAsync}); a subscription cancelled first
 * closes it (settled at the estimate).
 *
 * <p>An account from the current request's route is read from the subscriber's Reactor context, where the WebFilter
 * put it ({@link HttpRoutes#ACCOUNT_ATTRIBUTE}), else from the calling thread's servlet request; a denial lists the
 * WebFilter's header items first ({@link MethodDenial#ROUTE_ITEMS}). Loaded only when a limited method returns one of
 * Reactor's types, so Reactor stays optional.
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
   * @param target the bean, and {@code arguments} the call's, for an estimate's and actual cost's expressions
   */
  static Object limit(MethodLimit limit, FungibleLimiter limiter, String account, Object publisher, Object target,
      Object[] arguments) {
    if (publisher == null) {
      return null;
    }
    if (limit.settles()) {
      return settled(limit, limiter, account, (Mono<?>) publisher, target, arguments);
    }
    Mono<Void> admission = Mono.deferContextual(context -> Mono.fromFuture(() ->
        limit.acquireAsync(limiter, account(limit, account, context), routeItems(context))));
    if (publisher instanceof Mono<?> mono) {
      return admission.then(mono);
    }
    return admission.thenMany((Flux<?>) publisher);
  }

  private static Mono<Object> settled(MethodLimit limit, FungibleLimiter limiter, String account, Mono<?> mono,
      Object target, Object[] arguments) {
    return Mono.deferContextual(context -> {
      MethodBasedEvaluationContext costs = limit.context(target, arguments);
      return Mono.fromFuture(() -> limit.reserveAsync(limiter, account(limit, account, context), costs,
          routeItems(context))).flatMap(charge -> mono
              .map(Optional::<Object>of)
              .defaultIfEmpty(Optional.empty())
              .onErrorResume(error -> after(charge.cancelAsync(), Mono.error(error)))
              .flatMap(result -> after(limit.settleAsync(charge, costs, result.orElse(null)),
                  Mono.justOrEmpty(result)))
              .doOnCancel(charge::close));
    });
  }

  private static String account(MethodLimit limit, String account, ContextView context) {
    return account != null ? account : limit.routeAccount(context.getOrDefault(HttpRoutes.ACCOUNT_ATTRIBUTE, null));
  }

  private static MethodDenial.RouteItems routeItems(ContextView context) {
    return context.getOrDefault(MethodDenial.ROUTE_ITEMS, null);
  }

  /** {@code then} once {@code future} (which never fails) has completed: at once when it has already. */
  private static <T> Mono<T> after(CompletableFuture<?> future, Mono<T> then) {
    return future.isDone() ? then : Mono.fromFuture(future, true).then(then);
  }
}
