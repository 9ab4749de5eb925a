package io.github.ratelimiter.spring;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.ReservationNotFoundException;
import io.github.ratelimiter.spring.internal.MethodDenial;
import io.github.ratelimiter.spring.internal.Problems;
import io.github.ratelimiter.spring.internal.RateLimitHeaders;
import java.time.Duration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Turns the library's exceptions thrown by controllers and limited methods into HTTP answers, the same as the
 * route filter's:
 *
 * <ul>
 *   <li>{@link CapacityExhaustedException}: 429 with a problem detail naming the resource, and when the retry time
 *       is known (a fungible limit) {@code Retry-After} and {@code RateLimit: "resource";r=0;t=seconds}. From a
 *       limited method ({@link RateLimited}), the headers are the route filter's: {@code RateLimit-Policy} with
 *       every limit of the account's quota, {@code RateLimit} and the problem detail naming the limit that denied
 *       (after the items of a route that applied to the request, as one list);
 *   <li>another {@link RateLimiterException} (the store failed, throttling, fail-closed): 503 with a problem detail;
 *   <li>{@link ReservationNotFoundException} is left to the application (rethrown).
 * </ul>
 *
 * <p>In a reactive (WebFlux) application the same handler answers, without the {@code RateLimit-Policy} header for a
 * limited method's denial: the account's quota would need a lookup on the event loop; {@code Retry-After} and
 * {@code RateLimit: "resource";r=0;t=seconds} are sent.
 *
 * <p>Registered last among the controller advices, so an application's own handler of these exceptions (in a
 * controller or an advice) wins; define a bean of this type to replace it, or set
 * {@code ratelimiter.http.enabled=false}. Thread-safe.
 */
@RestControllerAdvice
public class RateLimitExceptionHandler {

  /** 429 for a denial. */
  @ExceptionHandler(CapacityExhaustedException.class)
  public ResponseEntity<ProblemDetail> capacityExhausted(CapacityExhaustedException e) {
    Duration retryAfter = e.retryAfter().orElse(null);
    HttpHeaders headers = new HttpHeaders();
    headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (retryAfter != null) {
      headers.set(RateLimitHeaders.RETRY_AFTER, Long.toString(RateLimitHeaders.retryAfterSeconds(retryAfter)));
    }
    MethodDenial denial = MethodDenial.of(e);
    String limitName = null;
    if (denial != null) {
      Quota quota = denial.quota();
      headers.set(RateLimitHeaders.POLICY, MethodDenial.afterRoute(RateLimitHeaders.POLICY,
          RateLimitHeaders.policies(e.resourceName(), quota)));
      headers.set(RateLimitHeaders.STATE, MethodDenial.afterRoute(RateLimitHeaders.STATE,
          RateLimitHeaders.state(e.resourceName(), quota, denial.decision())));
      limitName = quota.size() > 1 ? denial.decision().limitName() : null;
    } else if (retryAfter != null) {
      headers.set(RateLimitHeaders.STATE, RateLimitHeaders.quoted(e.resourceName()) + ";r=0;t="
          + RateLimitHeaders.retryAfterSeconds(retryAfter));
    }
    return new ResponseEntity<>(Problems.tooManyRequests(e.resourceName(), limitName, retryAfter), headers,
        HttpStatus.TOO_MANY_REQUESTS);
  }

  /** 503 for a store failure; a missing reservation is rethrown for the application. */
  @ExceptionHandler(RateLimiterException.class)
  public ResponseEntity<ProblemDetail> storeFailed(RateLimiterException e) {
    if (e instanceof ReservationNotFoundException notFound) {
      throw notFound;
    }
    HttpHeaders headers = new HttpHeaders();
    headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
        "The rate limiter cannot reach its store, and fails closed.");
    problem.setType(Problems.STORE_UNAVAILABLE);
    problem.setTitle("Service Unavailable");
    return new ResponseEntity<>(problem, headers, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
