package io.github.ratelimiter.spring.internal;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * The problem details (RFC 9457) the starter answers with, and their JSON for the servlet filter, which writes its
 * answers itself (it runs before Spring MVC's message converters).
 */
public final class Problems {

  /** The problem type of a denial. */
  public static final URI RATE_LIMITED = URI.create("urn:problem-type:ratelimiter:rate-limited");
  /** The problem type of a store outage with fail-closed limiters. */
  public static final URI STORE_UNAVAILABLE = URI.create("urn:problem-type:ratelimiter:store-unavailable");
  /** The problem type of a request whose account cannot be determined. */
  public static final URI ACCOUNT_UNKNOWN = URI.create("urn:problem-type:ratelimiter:account-unknown");

  private Problems() {}

  /**
   * 429: the resource's limit is reached.
   *
   * @param retryAfter when to retry, or {@code null} when unknown (a non-fungible cap, a blocked account)
   */
  public static ProblemDetail tooManyRequests(String resource, Duration retryAfter) {
    return tooManyRequests(resource, null, retryAfter);
  }

  /**
   * 429: one limit of the resource's quota is reached.
   *
   * @param limitName the name of the limit that denied, for a quota of several limits; {@code null} for one
   * @param retryAfter when to retry, or {@code null} when unknown (a non-fungible cap, a blocked account)
   */
  public static ProblemDetail tooManyRequests(String resource, String limitName, Duration retryAfter) {
    String which = limitName == null ? "The limit of '" + resource + "'"
        : "The limit '" + limitName + "' of '" + resource + "'";
    String detail = retryAfter == null
        ? which + " is reached for this account."
        : which + " is reached for this account; retry in " + RateLimitHeaders.retryAfterSeconds(retryAfter) + " s.";
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, detail);
    problem.setType(RATE_LIMITED);
    problem.setTitle("Too Many Requests");
    problem.setProperty("resource", resource);
    if (limitName != null) {
      problem.setProperty("limit", limitName);
    }
    if (retryAfter != null) {
      problem.setProperty("retryAfterSeconds", RateLimitHeaders.retryAfterSeconds(retryAfter));
    }
    return problem;
  }

  /** 503: the store failed and the limiter fails closed. */
  public static ProblemDetail storeUnavailable(String resource) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
        "The rate limiter of '" + resource + "' cannot reach its store, and fails closed.");
    problem.setType(STORE_UNAVAILABLE);
    problem.setTitle("Service Unavailable");
    problem.setProperty("resource", resource);
    return problem;
  }

  /** 400: the request's account cannot be determined. */
  public static ProblemDetail accountUnknown(String resource, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, detail);
    problem.setType(ACCOUNT_UNKNOWN);
    problem.setTitle("Bad Request");
    problem.setProperty("resource", resource);
    return problem;
  }

  /** The problem as {@code application/problem+json}: its members, then its extension properties. */
  public static String json(ProblemDetail problem) {
    StringBuilder out = new StringBuilder(256).append('{');
    member(out, "type", String.valueOf(problem.getType()));
    member(out, "title", problem.getTitle());
    out.append(",\"status\":").append(problem.getStatus());
    member(out, "detail", problem.getDetail());
    if (problem.getInstance() != null) {
      member(out, "instance", problem.getInstance().toString());
    }
    Map<String, Object> properties = problem.getProperties();
    if (properties != null) {
      properties.forEach((name, value) -> {
        if (value instanceof Number number) {
          out.append(',');
          string(out, name);
          out.append(':').append(number);
        } else if (value != null) {
          member(out, name, value.toString());
        }
      });
    }
    return out.append('}').toString();
  }

  private static void member(StringBuilder out, String name, String value) {
    if (value == null) {
      return;
    }
    if (out.length() > 1) {
      out.append(',');
    }
    string(out, name);
    out.append(':');
    string(out, value);
  }

  private static void string(StringBuilder out, String value) {
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
