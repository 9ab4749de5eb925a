package io.github.ratelimiter.spring.reactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.spring.RateLimited;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterAutoConfiguration;
import io.github.ratelimiter.spring.internal.HttpRoutes;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

/**
 * {@code @RateLimited} on methods returning {@code Mono}, {@code Flux}, {@code CompletableFuture} and
 * {@code CompletionStage}: decided through the non-blocking limiter, per subscription for the reactive types, the
 * method's publisher not subscribed when denied, and a denial signalled as the blocking path's exception. The in-memory
 * store and a manual clock that no test moves; the limits are per second.
 */
class ReactiveRateLimitedMethodsTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(RateLimiterAutoConfiguration.class))
      .withPropertyValues("ratelimiter.store=in-memory")
      .withBean(Clock.class, ManualClock::create)
      .withBean(Limited.class);

  private void run(Consumer<Limited> test) {
    runner.run((AssertableApplicationContext context) -> {
      assertThat(context).hasNotFailed();
      test.accept(context.getBean(Limited.class));
    });
  }

  @Test
  void aMonoIsDecidedOncePerSubscriptionBeforeItsPublisherIsSubscribed() {
    run(limited -> {
      Mono<String> report = limited.report("acme");
      assertThat(limited.calls()).as("the method is called at once, as without the annotation").isEqualTo(1);
      assertThat(limited.subscribed()).as("nothing decided or subscribed before a subscription").isEqualTo(0);
      StepVerifier.create(report).expectNext("report-1").verifyComplete();
      StepVerifier.create(report).expectNext("report-2").verifyComplete();
      StepVerifier.create(report)
          .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(CapacityExhaustedException.class)
              .hasMessage("rate limit 2 per 1s of resource 'reports' exhausted for account 'acme' (1 permits asked);"
                  + " retry after PT0.5S")
              .satisfies(c -> assertThat(((CapacityExhaustedException) c).resourceName()).isEqualTo("reports")))
          .verify(Duration.ofSeconds(10));
      assertThat(limited.subscribed()).as("the denied subscription did not reach the method's publisher")
          .isEqualTo(2);
      StepVerifier.create(limited.report("other")).expectNext("report-3").verifyComplete();
    });
  }

  @Test
  void aMonosDenialIsTheBlockingPathsException() {
    run(limited -> {
      limited.blockingReport("same");
      limited.blockingReport("same");
      Throwable blocking = catchThrowable(() -> limited.blockingReport("same"));
      StepVerifier.create(limited.report("same")).expectErrorSatisfies(reactive -> {
        assertThat(reactive).isInstanceOf(blocking.getClass());
        assertThat(reactive.getMessage()).isEqualTo(blocking.getMessage());
      }).verify(Duration.ofSeconds(10));
    });
  }

  @Test
  void aFluxTakesOnePermitPerSubscriptionNotPerElement() {
    run(limited -> {
      Flux<Integer> numbers = limited.numbers("acme");
      StepVerifier.create(numbers).expectNext(1, 2, 3, 4, 5).verifyComplete();
      StepVerifier.create(numbers).expectNext(1, 2, 3, 4, 5).verifyComplete();
      StepVerifier.create(numbers).expectError(CapacityExhaustedException.class).verify(Duration.ofSeconds(10));
      assertThat(limited.subscribed()).isEqualTo(2);
    });
  }

  @Test
  void aCompletableFutureMethodIsCalledOnlyOnceAdmittedAndItsDenialCompletesTheFutureExceptionally() {
    run(limited -> {
      CompletableFuture<String> first = limited.export("acme");
      assertThat(first).isCompletedWithValue("export-1");
      CompletableFuture<String> denied = limited.export("acme");
      assertThat(denied).isCompletedExceptionally();
      assertThat(denied.handle((value, failure) -> failure).join())
          .as("the future fails with the exception itself, not a CompletionException")
          .isInstanceOf(CapacityExhaustedException.class).hasMessageContaining("resource 'exports'");
      assertThat(limited.calls()).as("the denied call did not reach the method").isEqualTo(1);
      assertThat(limited.export("other")).isCompletedWithValue("export-2");
    });
  }

  @Test
  void aCompletionStageMethodIsLimitedTheSameWay() {
    run(limited -> {
      assertThat(limited.stage("acme").toCompletableFuture()).isCompletedWithValue("stage");
      assertThatThrownBy(() -> limited.stage("acme").toCompletableFuture().join())
          .hasCauseInstanceOf(CapacityExhaustedException.class);
    });
  }

  @Test
  void aMethodsOwnFailureIsItsFuturesFailure() {
    run(limited -> {
      CompletableFuture<String> failed = limited.failing("acme");
      assertThat(failed.handle((value, failure) -> failure).join()).isInstanceOf(IllegalStateException.class)
          .hasMessage("the export failed");
    });
  }

  @Test
  void aMonoWithTheRoutesAccountReadsItFromTheSubscribersContext() {
    run(limited -> {
      Mono<String> report = limited.routeReport();
      StepVerifier.create(report.contextWrite(Context.of(HttpRoutes.ACCOUNT_ATTRIBUTE, "acme")))
          .expectNext("route-report").verifyComplete();
      StepVerifier.create(report.contextWrite(Context.of(HttpRoutes.ACCOUNT_ATTRIBUTE, "acme")))
          .expectError(CapacityExhaustedException.class).verify(Duration.ofSeconds(10));
      StepVerifier.create(report.contextWrite(Context.of(HttpRoutes.ACCOUNT_ATTRIBUTE, "other")))
          .expectNext("route-report").verifyComplete();
      StepVerifier.create(report).expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("has no account for this call")).verify(Duration.ofSeconds(10));
    });
  }

  @Test
  void aSubscriptionOnANonBlockingThreadIsDecidedThere() {
    run(limited -> {
      Mono<String> report = limited.report("parallel").subscribeOn(Schedulers.parallel());
      StepVerifier.create(report).expectNextCount(1).verifyComplete();
      StepVerifier.create(report).expectNextCount(1).verifyComplete();
      StepVerifier.create(report).expectError(CapacityExhaustedException.class).verify(Duration.ofSeconds(10));
    });
  }

  private static Throwable catchThrowable(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("expected a denial");
  }

  /** A bean with limited methods of every non-blocking return type; 2 calls per second unless said. */
  public static class Limited {
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger subscribed = new AtomicInteger();

    /** Calls that reached the method (read through the proxy, which has no state of its own). */
    public int calls() {
      return calls.get();
    }

    /** Subscriptions that reached the method's publisher. */
    public int subscribed() {
      return subscribed.get();
    }

    @RateLimited(resource = "reports", limit = 2, window = 1, account = "#tenant")
    public Mono<String> report(String tenant) {
      calls.incrementAndGet();
      return Mono.fromCallable(() -> "report-" + subscribed.incrementAndGet());
    }

    @RateLimited(resource = "reports", limit = 2, window = 1, account = "#tenant")
    public String blockingReport(String tenant) {
      return "report";
    }

    @RateLimited(resource = "numbers", limit = 2, window = 1, account = "#tenant")
    public Flux<Integer> numbers(String tenant) {
      return Flux.range(1, 5).doOnSubscribe(s -> subscribed.incrementAndGet());
    }

    @RateLimited(resource = "exports", limit = 1, window = 1, account = "#tenant")
    public CompletableFuture<String> export(String tenant) {
      return CompletableFuture.completedFuture("export-" + calls.incrementAndGet());
    }

    @RateLimited(resource = "stages", limit = 1, window = 1, account = "#tenant")
    public CompletionStage<String> stage(String tenant) {
      return CompletableFuture.completedFuture("stage");
    }

    @RateLimited(resource = "failing", limit = 5, window = 1, account = "#tenant")
    public CompletableFuture<String> failing(String tenant) {
      return CompletableFuture.failedFuture(new IllegalStateException("the export failed"));
    }

    @RateLimited(resource = "route-reports", limit = 1, window = 1)
    public Mono<String> routeReport() {
      return Mono.just("route-report");
    }
  }
}
