package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Limit;
import java.time.Duration;

/**
 * The response headers of a decision, as in draft-ietf-httpapi-ratelimit-headers-10 and RFC 9110.
 *
 * <ul>
 *   <li>{@code RateLimit-Policy: "orders-api";q=10;w=1}: the account's quota {@code q} per window {@code w}
 *       (seconds, rounded up);
 *   <li>{@code RateLimit: "orders-api";r=9;t=1}: {@code r} permits remaining now, and {@code t} seconds (rounded up)
 *       until more quota: a denied request's retry time, or the time one permit takes to come back
 *       ({@code window / limit}) after an allowed one, or 0 when the bucket is full;
 *   <li>{@code Retry-After: 1} on a denial: whole seconds, rounded up, at least 1 (RFC 9110, section 10.2.3).
 * </ul>
 */
public final class RateLimitHeaders {

  /** The policy header's name. */
  public static final String POLICY = "RateLimit-Policy";
  /** The state header's name. */
  public static final String STATE = "RateLimit";
  /** RFC 9110's header. */
  public static final String RETRY_AFTER = "Retry-After";

  private RateLimitHeaders() {}

  /** One policy item: {@code "orders-api";q=10;w=1}. */
  public static String policy(String resource, Limit limit) {
    return quoted(resource) + ";q=" + limit.limit() + ";w=" + ceilSeconds(limit.window());
  }

  /** One state item: {@code "orders-api";r=9;t=1}. */
  public static String state(String resource, Decision decision) {
    return quoted(resource) + ";r=" + decision.remaining() + ";t=" + secondsUntilMore(decision);
  }

  /** Whole seconds until the denied request may be retried: rounded up, at least 1. */
  public static long retryAfterSeconds(Duration retryAfter) {
    return Math.max(1, ceilSeconds(retryAfter));
  }

  static long secondsUntilMore(Decision decision) {
    if (decision.denied()) {
      return retryAfterSeconds(decision.retryAfter());
    }
    Limit limit = decision.limit();
    if (limit.blocks() || decision.remaining() >= limit.limit()) {
      return 0;
    }
    return ceilSeconds(limit.window().dividedBy(limit.limit()));
  }

  static long ceilSeconds(Duration duration) {
    long seconds = duration.getSeconds();
    return duration.getNano() > 0 ? seconds + 1 : seconds;
  }

  /** An RFC 8941 sf-string: quotes and backslashes escaped; other characters outside printable ASCII dropped. */
  public static String quoted(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c >= 0x20 && c < 0x7f) {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
