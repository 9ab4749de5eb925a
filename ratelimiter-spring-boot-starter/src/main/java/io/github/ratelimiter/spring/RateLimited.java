package io.github.ratelimiter.spring;

import io.github.ratelimiter.RateLimit;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.temporal.ChronoUnit;

/**
 * Rate-limits calls to a method of a Spring bean: each call first takes {@link #permits()} permits of
 * {@link #resource()} for the call's account, or throws {@link io.github.ratelimiter.CapacityExhaustedException}
 * without calling the method (a 429 through the starter's exception handler in a web application); methods returning
 * {@code Mono}, {@code Flux}, {@code CompletableFuture} or {@code CompletionStage} signal it instead (see below).
 *
 * <p><b>The core's {@link RateLimit}, plus an account expression and several limits.</b> Every attribute the two
 * share has the same name, type and meaning ({@code resource}, {@code limit}, {@code window} in {@code unit}s,
 * seconds by default, as the Python library's {@code @rate_limit} counts, {@code permits}, {@code accountIdParam});
 * what this one adds is {@link #account()}, a SpEL expression, which only Spring can evaluate, and {@link #limits()},
 * a quota of several limits decided together (so {@code limit} and {@code window}, required by {@code @RateLimit},
 * may be left out here when {@code limits} is given). The starter applies both
 * annotations to beans: moving a method's {@code @RateLimit} to {@code @RateLimited} changes nothing until an
 * {@code account} is set.
 *
 * <p>Applied by a proxy (a class-based one, so beans need no interface), like {@code @Transactional}: calls from
 * inside the same bean are not limited, and the class and method must not be final. The account is, in order:
 * <ol>
 *   <li>{@link #account()}, a SpEL expression over the arguments, when set: {@code "#order.tenantId"} (parameters by
 *       name, compiled with {@code -parameters} as Spring Boot's build plugins do, or as {@code #p0}, {@code #a0});
 *       {@code @beanName} references other beans;
 *   <li>else the argument that {@link RateLimit} takes: at {@link #accountIdParam()} when set, else of the
 *       parameter annotated {@link io.github.ratelimiter.AccountId}, else of the parameter named {@code accountId}
 *       (a {@code String});
 *   <li>else the account that the current HTTP request's route ({@code ratelimiter.http.routes}) resolved.
 * </ol>
 * A call whose account is none of these fails with {@link IllegalStateException}.
 *
 * <pre>{@code
 * @Service
 * class Orders {
 *   @RateLimited(resource = "orders-create", limit = 5, window = 1, account = "#order.tenantId")
 *   Order create(NewOrder order) { ... }
 *
 *   @RateLimited(resource = "exports", limit = 5, window = 1, unit = ChronoUnit.MINUTES)
 *   Export export(@AccountId String tenant) { ... }
 *
 *   @RateLimited(resource = "search", account = "#tenant", limits = {
 *       @QuotaLimit(name = "per-second", limit = 10, window = 1),
 *       @QuotaLimit(name = "per-hour", limit = 1000, window = 1, unit = ChronoUnit.HOURS)})
 *   Results search(String tenant, String query) { ... }
 * }
 * }</pre>
 *
 * <p><b>Reactive and asynchronous methods</b> are decided without blocking, through the limiter's non-blocking view
 * ({@code FungibleLimiter.async()}):
 * <ul>
 *   <li>{@code Mono}: one decision per subscription, before the method's publisher is subscribed; a denial is an
 *       error signal carrying the {@link io.github.ratelimiter.CapacityExhaustedException} the blocking path throws,
 *       and the method's publisher is then not subscribed;
 *   <li>{@code Flux}: the same, one permit per subscription (not per element);
 *   <li>{@code CompletableFuture} and {@code CompletionStage}: decided asynchronously, the method called once the call
 *       is admitted (on the thread that completed the decision: the caller's for a decision made in process); a
 *       denial completes the returned future exceptionally with that same exception, the method not called.
 * </ul>
 * A {@code Mono} or {@code Flux} method that takes its account from the route finds it in the subscriber's Reactor
 * context, where the starter's WebFilter puts it. Every other return type is decided before the call, blocking.
 *
 * <p>The annotation is checked when the bean is created: a bad window, limit or expression fails the startup,
 * naming the method. A resource declared by several routes and methods must have one default limit (or quota).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RateLimited {

  /** The limited resource. */
  String resource();

  /**
   * The default limit (the bucket's capacity) for accounts without a row in the limit table. Required unless
   * {@link #limits()} is given; -1, the default, is unset.
   */
  long limit() default -1;

  /** The default window, in {@link #unit()}s. Required unless {@link #limits()} is given; -1, the default, is unset. */
  long window() default -1;

  /** The unit of {@link #window()}; seconds by default. */
  ChronoUnit unit() default ChronoUnit.SECONDS;

  /** Permits taken per call (from every limit of {@link #limits()}). */
  long permits() default 1;

  /**
   * Several default limits decided together (a quota), instead of {@link #limit()} and {@link #window()}: a call is
   * admitted only when every one admits it, and then takes {@link #permits()} from each; a denial takes nothing.
   * Each limit is its own policy in the {@code RateLimit} headers of a denial, and the denial names the limit that
   * denied. The starter's addition to the core's attributes, as {@link #account()} is.
   */
  QuotaLimit[] limits() default {};

  /** The 0-based position of the account id parameter; -1 to find it by annotation or name (see above). */
  int accountIdParam() default -1;

  /** A SpEL expression over the arguments that gives the account, e.g. {@code #order.tenantId}; see above. */
  String account() default "";

  /**
   * What a call is reserved at before the method runs, when its cost is known only afterwards (see {@link #actual()});
   * empty, the default, takes {@link #permits()} as usual. A cost literal, or a SpEL expression over the arguments
   * whose value is one:
   * <ul>
   *   <li>a number {@code n}, e.g. {@code "500"} or {@code "#request.maxTokens"}: {@code n} from the limit named by
   *       {@link #costLimit()} (the quota's only limit when it has one), and {@link #permits()} from every other limit;
   *   <li>amounts by limit name, e.g. {@code "requests=1,tokens=500"}, or an expression giving such a string, a
   *       {@code Map<String, Long>} ({@code "{requests: 1, tokens: #request.maxTokens}"}) or a
   *       {@link io.github.ratelimiter.Cost}.
   * </ul>
   * A call whose estimate is denied throws {@link io.github.ratelimiter.CapacityExhaustedException} without calling the
   * method. The starter's addition to the core's attributes ({@code FungibleLimiter.tryReserve}).
   */
  String estimate() default "";

  /**
   * The call's actual cost, settled after the method returns: a SpEL expression over the arguments and the returned
   * value, {@code #result}, e.g. {@code "#result.usage.totalTokens"}, with the values {@link #estimate()} takes (a
   * number 0 of a one-limit quota gives the whole estimate back). Empty, the default, settles at the estimate. Needs
   * {@link #estimate()}. A method that throws is cancelled: its estimate is given back (as far as it still lies ahead
   * of now). An actual that cannot be evaluated settles at the estimate and is logged; the method's result is
   * returned all the same.
   *
   * <p>Methods returning a {@code CompletionStage}, a {@code Future} or a reactive type are refused at startup: their
   * work is not done when they return (asynchronous settling is not supported yet).
   */
  String actual() default "";

  /**
   * The limit that a number given by {@link #estimate()} or {@link #actual()} charges, e.g. {@code "tokens"}; empty,
   * the default, for the quota's only limit.
   *
   * <pre>{@code
   * @RateLimited(resource = "llm", account = "#apiKey", estimate = "500", actual = "#result.usage.totalTokens",
   *     costLimit = "tokens", limits = {
   *         @QuotaLimit(name = "requests", limit = 60, window = 1, unit = ChronoUnit.MINUTES),
   *         @QuotaLimit(name = "tokens", limit = 100_000, window = 1, unit = ChronoUnit.MINUTES)})
   * Completion complete(String apiKey, Prompt prompt) { ... }   // reserves requests=1,tokens=500; settles the actual
   * }</pre>
   */
  String costLimit() default "";
}
