package io.github.ratelimiter.spring.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.spring.RateLimited;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterAutoConfiguration;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.spring.RateLimiterProperties.MatchMode;
import io.github.ratelimiter.spring.internal.AccountSources;
import io.github.ratelimiter.spring.internal.HttpRoute;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.ReactiveRateLimitFilter;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The WebFilter when the store answers later (a decision's future not yet complete when the filter gets it, as with
 * DynamoDB's asynchronous client): the request goes on, or is answered, on the limiters' async executor once the
 * store answers; a store failure answers 503 on a fail-closed route and lets the request through, counted degraded,
 * on a fail-open one; a limited method's future or publisher fails with the store's failure on a fail-closed limiter.
 */
class ReactiveStoreAnswersLaterTest {

  private final LaterStore store = new LaterStore();
  private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "limiters-async"));
  private final RateLimiters limiters = RateLimiters.builder().store(store).clock(ManualClock.create())
      .asyncExecutor(executor).build();
  private final LimiterRegistry registry = new LimiterRegistry(limiters, FailureMode.FAIL_CLOSED);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private HttpRoute route(String path, String resource, long limit, FailureMode failureMode) {
    Quota quota = Quota.of(Limit.of(limit, Duration.ofSeconds(1)));
    return new HttpRoute("ratelimiter.http.routes[0]", path, PathPatternParser.defaultInstance.parse(path), Set.of(),
        resource, quota, AccountSources.parse("header:X-Tenant-Id", null), "header:X-Tenant-Id", Cost.permits(1), null,
        registry.fungible(resource, quota, failureMode, "test"), new HttpRoute.Counters());
  }

  private static MockServerWebExchange exchange(String uri) {
    return MockServerWebExchange.from(MockServerHttpRequest.post(uri).header("X-Tenant-Id", "acme"));
  }

  @Test
  void theRequestGoesOnOnTheAsyncExecutorOnceTheStoreAnswers() {
    ReactiveRateLimitFilter filter = new ReactiveRateLimitFilter(
        List.of(route("/api/**", "later-api", 2, FailureMode.FAIL_CLOSED)), MatchMode.FIRST, true, true, 0);
    AtomicReference<String> chainThread = new AtomicReference<>();
    WebFilterChain chain = exchange -> Mono.fromRunnable(() -> chainThread.set(Thread.currentThread().getName()));
    for (int i = 1; i <= 2; i++) {
      MockServerWebExchange allowed = exchange("/api/orders");
      StepVerifier.create(filter.filter(allowed, chain)).expectComplete().verify(Duration.ofSeconds(10));
      assertThat(allowed.getResponse().getHeaders().getFirst("RateLimit")).isEqualTo("\"later-api\";r=" + (2 - i)
          + ";t=1");
      assertThat(chainThread.get()).isEqualTo("limiters-async");
    }
    MockServerWebExchange denied = exchange("/api/orders");
    StepVerifier.create(filter.filter(denied, chain)).expectComplete().verify(Duration.ofSeconds(10));
    assertThat(denied.getResponse().getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(denied.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("1");
  }

  @Test
  void aStoreFailureAnswers503FailingClosedAndPassesDegradedFailingOpen() {
    HttpRoute closed = route("/closed/**", "closed-api", 10, FailureMode.FAIL_CLOSED);
    HttpRoute open = route("/open/**", "open-api", 10, FailureMode.FAIL_OPEN);
    ReactiveRateLimitFilter filter = new ReactiveRateLimitFilter(List.of(closed, open), MatchMode.FIRST, true, true,
        0);
    WebFilterChain chain = exchange -> Mono.empty();
    store.down.set(true);

    MockServerWebExchange failedClosed = exchange("/closed/orders");
    StepVerifier.create(filter.filter(failedClosed, chain)).expectComplete().verify(Duration.ofSeconds(10));
    assertThat(failedClosed.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    StepVerifier.create(failedClosed.getResponse().getBodyAsString())
        .assertNext(body -> assertThat(body).contains("\"type\":\"urn:problem-type:ratelimiter:store-unavailable\"",
            "\"resource\":\"closed-api\""))
        .verifyComplete();
    assertThat(closed.counters().snapshot()).containsEntry("storeUnavailable", 1L);

    MockServerWebExchange failedOpen = exchange("/open/orders");
    StepVerifier.create(filter.filter(failedOpen, chain)).expectComplete().verify(Duration.ofSeconds(10));
    assertThat(failedOpen.getResponse().getStatusCode()).isNull();
    assertThat(open.counters().snapshot()).containsEntry("allowed", 1L).containsEntry("degraded", 1L);
  }

  @Test
  void aLimitedMethodsFutureAndMonoFailWithTheStoresFailureFailingClosed() {
    LaterStore down = new LaterStore();
    down.down.set(true);
    new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(RateLimiterAutoConfiguration.class))
        .withBean(RateLimitStore.class, () -> down).withBean(Exports.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          Exports exports = context.getBean(Exports.class);
          assertThat(exports.start("acme").handle((value, failure) -> failure).join())
              .isExactlyInstanceOf(RateLimiterException.class);
          StepVerifier.create(exports.report("acme")).expectErrorSatisfies(e ->
              assertThat(e).isExactlyInstanceOf(RateLimiterException.class)).verify(Duration.ofSeconds(10));
          assertThat(exports.calls()).as("neither method's work was done").isZero();
          down.down.set(false);
          assertThat(exports.start("acme").join()).isEqualTo("started");
          StepVerifier.create(exports.report("acme")).expectNext("report").expectComplete()
              .verify(Duration.ofSeconds(10));
        });
  }

  /** Limited methods on a store that answers later. */
  public static class Exports {
    private final AtomicInteger calls = new AtomicInteger();

    @RateLimited(resource = "exports", limit = 5, window = 1, account = "#tenant")
    public CompletableFuture<String> start(String tenant) {
      calls.incrementAndGet();
      return CompletableFuture.completedFuture("started");
    }

    @RateLimited(resource = "reports", limit = 5, window = 1, account = "#tenant")
    public Mono<String> report(String tenant) {
      return Mono.fromCallable(() -> {
        calls.incrementAndGet();
        return "report";
      });
    }

    /** The calls whose work was done. */
    public int calls() {
      return calls.get();
    }
  }
}
