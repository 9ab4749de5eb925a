package io.github.ratelimiter.server.internal;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.RateLimit.Unit;
import io.github.ratelimiter.Limit;
import java.time.Duration;

/**
 * One limit of a configured descriptor: {@code requests_per_unit} per {@code unit}, as the GCRA limit
 * {@link #limit()} (a bucket of {@code requests_per_unit} refilled over one unit). Units are envoyproxy/ratelimit's
 * ({@code utils.UnitToDivider}): a month is 30 days, a year 365 days.
 *
 * @param name the limit's {@code name}, or empty
 * @param requestsPerUnit the requests per unit, 0 to 2^32-1 (0 denies everything)
 * @param unit the unit
 */
record LimitSpec(String name, long requestsPerUnit, Unit unit) {

  /** The GCRA limit: {@code requestsPerUnit} per one unit. */
  Limit limit() {
    return Limit.of(requestsPerUnit, Duration.ofSeconds(seconds(unit)));
  }

  /** The length of one unit in seconds, as envoyproxy/ratelimit counts it. */
  static long seconds(Unit unit) {
    return switch (unit) {
      case SECOND -> 1;
      case MINUTE -> 60;
      case HOUR -> 3_600;
      case DAY -> 86_400;
      case WEEK -> 7 * 86_400;
      case MONTH -> 30 * 86_400;
      case YEAR -> 365 * 86_400;
      default -> throw new IllegalArgumentException("no length for unit " + unit);
    };
  }
}
