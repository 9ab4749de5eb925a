package io.github.ratelimiter;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.temporal.ChronoUnit;

/**
 * Rate-limits calls to an interface method through a proxy from {@link RateLimiters#proxy(Class, Object)}: each
 * call first takes {@link #permits()} permits of {@link #resource()} for the call's account, or throws
 * {@link CapacityExhaustedException} without calling the target.
 *
 * <p>The account id is the argument
 * <ol>
 *   <li>at position {@link #accountIdParam()} when it is set (0-based), else
 *   <li>of the parameter annotated {@link AccountId}, else
 *   <li>of the parameter named {@code accountId}.
 * </ol>
 *
 * <p><b>Finding the parameter by name needs {@code javac -parameters}</b> (Maven: {@code <parameters>true</parameters>}
 * in maven-compiler-plugin's configuration; Gradle: {@code options.compilerArgs << '-parameters'}). Without it the
 * names are {@code arg0}, {@code arg1}, ... at run time, and {@link RateLimiters#proxy(Class, Object)} throws an
 * {@link IllegalArgumentException} that says so. {@link AccountId} and {@link #accountIdParam()} work either way.
 *
 * <pre>{@code
 * interface Clusters {
 *   @RateLimit(resource = "emr-api", limit = 10, window = 1)
 *   String describe(String clusterId, @AccountId String tenant);
 * }
 * Clusters limited = limiters.proxy(Clusters.class, realClusters);
 * }</pre>
 *
 * <p>{@link #limit()} and {@link #window()} are the defaults used when the limit table has no row for the account.
 * The window is a number of {@link #unit()}s, seconds by default, as the Python library's
 * {@code @rate_limit('my-resource', 1, 10)} counts it: a unit the compiler checks, where a text would be checked only
 * when the proxy is made.
 *
 * <p>The Spring Boot starter applies this annotation to beans' methods too (the account then falls back to the
 * current HTTP request's route's); its {@code @RateLimited} is this annotation, attribute for attribute, plus an
 * {@code account} expression in SpEL, which only Spring can evaluate.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface RateLimit {
  /** The limited resource. */
  String resource();

  /** The default limit: the bucket's capacity. */
  long limit();

  /** The default window, in {@link #unit()}s. */
  long window();

  /** The unit of {@link #window()}; seconds by default. */
  ChronoUnit unit() default ChronoUnit.SECONDS;

  /** Permits taken per call. */
  long permits() default 1;

  /** The 0-based position of the account id parameter; -1 to find it by annotation or name. */
  int accountIdParam() default -1;
}
