package io.github.ratelimiter.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Rate-limits calls to a method of a Spring bean: each call first takes {@link #permits()} permits of
 * {@link #resource()} for the call's account, or throws {@link io.github.ratelimiter.CapacityExhaustedException}
 * without calling the method (a 429 through the starter's exception handler in a web application).
 *
 * <p>Applied by a proxy (a class-based one, so beans need no interface), like {@code @Transactional}: calls from
 * inside the same bean are not limited, and the class and method must not be final. The account is, in order:
 * <ol>
 *   <li>{@link #account()}, a SpEL expression over the arguments, when set: {@code "#order.tenantId"} (parameters by
 *       name, compiled with {@code -parameters} as Spring Boot's build plugins do, or as {@code #p0}, {@code #a0});
 *       {@code @beanName} references other beans;
 *   <li>else the parameter annotated {@link io.github.ratelimiter.AccountId} (a {@code String});
 *   <li>else the account that the current HTTP request's route ({@code ratelimiter.http.routes}) resolved.
 * </ol>
 * A call whose account is none of these fails with {@link IllegalStateException}.
 *
 * <pre>{@code
 * @Service
 * class Orders {
 *   @RateLimited(resource = "orders-create", limit = 5, window = "1s", account = "#order.tenantId")
 *   Order create(NewOrder order) { ... }
 * }
 * }</pre>
 *
 * <p>The annotation is checked when the bean is created: a bad window, limit or expression fails the startup,
 * naming the method. The core's {@link io.github.ratelimiter.RateLimit} works on Spring beans too, with its account
 * rules and then the route's account. A resource declared by several routes and methods must have one default limit.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RateLimited {

  /** The limited resource. */
  String resource();

  /** The default limit (the bucket's capacity) for accounts without a row in the limit table. */
  long limit();

  /** The default window, as in properties: {@code 1s}, {@code 500ms}, {@code 1m}, {@code PT1S}. */
  String window();

  /** A SpEL expression over the arguments that gives the account, e.g. {@code #order.tenantId}; see above. */
  String account() default "";

  /** Permits taken per call. */
  long permits() default 1;
}
