package io.github.ratelimiter.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.temporal.ChronoUnit;

/**
 * One limit of a {@link RateLimited#limits()} quota: several limits decided together, a call admitted only when
 * every one admits it. Its window is a number of {@link #unit()}s, seconds by default, as {@link RateLimited#window()}
 * counts.
 *
 * <pre>{@code
 * @RateLimited(resource = "search", account = "#tenant", limits = {
 *     @QuotaLimit(name = "per-second", limit = 10, window = 1),
 *     @QuotaLimit(name = "per-hour", limit = 1000, window = 1, unit = ChronoUnit.HOURS)})
 * Results search(String tenant, String query) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({})
public @interface QuotaLimit {

  /**
   * The limit's name: the policy's name in the {@code RateLimit} headers and in a denial's problem detail. Letters,
   * digits, {@code _ - .}; empty (the default) for the window as the library writes it ({@code "1s"}, {@code "1h"}).
   */
  String name() default "";

  /** The default limit (the bucket's capacity) for accounts without a row in the limit table. */
  long limit();

  /** The default window, in {@link #unit()}s. */
  long window();

  /** The unit of {@link #window()}; seconds by default. */
  ChronoUnit unit() default ChronoUnit.SECONDS;
}
