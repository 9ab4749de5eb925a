package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
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
 *
 * <p>A quota of one limit is one policy, named by the resource, as above. A quota of several limits (decided
 * together) is one policy per limit, named by the limit's name, which the draft allows (a policy per quota the
 * server applies, each an item of the list): {@code RateLimit-Policy: "per-second";q=10;w=1, "per-hour";q=1000;w=3600}.
 * {@code RateLimit} then carries the one policy the decision names ({@link Decision#limitName()}): the limit that
 * denied, or, for an admission, the one nearest exhaustion, as the draft's example of several policies does:
 * {@code RateLimit: "per-hour";r=0;t=3}.
 */
public final class RateLimitHeaders {

  /** The policy header's name. */
  public static final String POLICY = "RateLimit-Policy";
  /** The state header's name. */
  public static final String STATE = "RateLimit";
  /** RFC 9110's header. */
  public static final String RETRY_AFTER = "Retry-After";

  private RateLimitHeaders() {}

  /**
   * The policy items of a quota: {@code "orders-api";q=10;w=1} for one limit, one item per limit named by the limit
   * for several: {@code "per-second";q=10;w=1, "per-hour";q=1000;w=3600}.
   */
  public static String policies(String resource, Quota quota) {
    if (quota.size() == 1) {
      return policy(resource, quota.first());
    }
    StringBuilder out = new StringBuilder();
    quota.limits().forEach((name, limit) -> out.append(out.length() == 0 ? "" : ", ").append(policy(name, limit)));
    return out.toString();
  }

  /**
   * The state item of a decision on a quota: named by the resource for one limit, by the decision's limit for
   * several: {@code "per-hour";r=0;t=3}.
   */
  public static String state(String resource, Quota quota, Decision decision) {
    return state(policyName(resource, quota, decision), decision);
  }

  /** The policy a decision is reported under: the resource for a quota of one limit, else the decision's limit. */
  public static String policyName(String resource, Quota quota, Decision decision) {
    return quota.size() == 1 ? resource : decision.limitName();
  }

  /** One policy item: {@code "orders-api";q=10;w=1}. */
  public static String policy(String resource, Limit limit) {
    return quoted(resource) + ";q=" + limit.limit() + ";w=" + ceilSeconds(limit.window());
  }

  /** One state item: {@code "orders-api";r=9;t=1}. */
  public static String state(String policy, Decision decision) {
    return quoted(policy) + ";r=" + decision.remaining() + ";t=" + secondsUntilMore(decision);
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
