package io.github.ratelimiter.spring.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.spring.RateLimiterProperties.MatchMode;
import io.github.ratelimiter.spring.internal.AccountSources;
import io.github.ratelimiter.spring.internal.HttpRoute;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.ReactiveRateLimitFilter;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Nothing on the reactive path blocks: the WebFilter's decisions, headers and answers run on one of Reactor's
 * non-blocking threads ({@code Schedulers.parallel()}), where BlockHound (installed for the test JVM by
 * blockhound-junit-platform) turns any blocking call into a {@link BlockingOperationError}. The first test shows that
 * BlockHound is on; the end-to-end tests ({@link ReactiveRateLimitFilterTest}) run the same code on Netty's event
 * loops, and {@link ReactiveRateLimitedMethodsTest} the limited methods on {@code parallel()}.
 */
class ReactiveNonBlockingTest {

  private final ManualClock clock = ManualClock.create();
  private final RateLimiters limiters = RateLimiters.builder()
      .store(io.github.ratelimiter.store.InMemoryStore.create()).clock(clock).build();
  private final LimiterRegistry registry = new LimiterRegistry(limiters, FailureMode.FAIL_CLOSED);

  private HttpRoute route(int index, String path, String resource, Quota quota, String account) {
    return new HttpRoute("ratelimiter.http.routes[" + index + "]", path, PathPatternParser.defaultInstance.parse(path),
        Set.of(), resource, quota, AccountSources.parse(account, null), account, Cost.permits(1), null,
        registry.fungible(resource, quota, null, "test"), new HttpRoute.Counters());
  }

  @Test
  void blockHoundIsOnForReactorsNonBlockingThreads() {
    StepVerifier.create(Mono.fromCallable(() -> {
      Thread.sleep(1);
      return "slept";
    }).subscribeOn(Schedulers.parallel())).expectError(BlockingOperationError.class).verify(Duration.ofSeconds(10));
  }

  @Test
  void theWebFilterDecidesAndAnswersOnANonBlockingThread() {
    Quota quota = Quota.builder().limit("per-second", Limit.of(3, Duration.ofSeconds(1)))
        .limit("per-minute", Limit.of(100, Duration.ofMinutes(1))).build();
    ReactiveRateLimitFilter filter = new ReactiveRateLimitFilter(List.of(
        route(0, "/api/{tenant}/orders/**", "narrow", Quota.of(Limit.of(5, Duration.ofSeconds(1))), "path:tenant"),
        route(1, "/api/**", "wide", quota, "param:org")), MatchMode.ALL, true, true, 0);
    AtomicInteger reached = new AtomicInteger();
    AtomicBoolean onNonBlockingThread = new AtomicBoolean(true);
    WebFilterChain chain = exchange -> Mono.fromRunnable(() -> {
      reached.incrementAndGet();
      onNonBlockingThread.compareAndSet(true, Schedulers.isInNonBlockingThread());
    });
    for (int i = 1; i <= 3; i++) {
      MockServerWebExchange exchange = exchange("/api/acme/orders/1?org=acme");
      StepVerifier.create(Mono.defer(() -> filter.filter(exchange, chain)).subscribeOn(Schedulers.parallel()))
          .verifyComplete();
      assertThat(exchange.getResponse().getHeaders().getFirst("RateLimit"))
          .isEqualTo("\"narrow\";r=" + (5 - i) + ";t=1, \"per-second\";r=" + (3 - i) + ";t=1");
    }
    MockServerWebExchange denied = exchange("/api/acme/orders/1?org=acme");
    StepVerifier.create(Mono.defer(() -> filter.filter(denied, chain)).subscribeOn(Schedulers.parallel()))
        .verifyComplete();
    assertThat(denied.getResponse().getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
    assertThat(denied.getResponse().getHeaders().getFirst("RateLimit-Policy"))
        .isEqualTo("\"narrow\";q=5;w=1, \"per-second\";q=3;w=1, \"per-minute\";q=100;w=60");
    StepVerifier.create(denied.getResponse().getBodyAsString())
        .assertNext(body -> assertThat(body).contains("\"limit\":\"per-second\"", "\"resource\":\"wide\""))
        .verifyComplete();
    assertThat(reached).hasValue(3);
    assertThat(onNonBlockingThread).as("the chain ran on the non-blocking thread").isTrue();
  }

  private static MockServerWebExchange exchange(String uri) {
    return MockServerWebExchange.from(MockServerHttpRequest.get(uri));
  }
}
