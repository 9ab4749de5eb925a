package io.github.ratelimiter.spring.reactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.spring.QuotaLimit;
import io.github.ratelimiter.spring.RateLimitExceptionHandler;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitRecord;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.springframework.http.ResponseEntity;
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

  @Test
  void aMonoWithAnEstimateReservesItPerSubscriptionAndSettlesTheActualFromItsValue() {
    inContext(context -> {
      Limited limited = context.getBean(Limited.class);
      Mono<Long> first = limited.complete("acme", 400, 100);
      assertThat(limited.subscribed()).as("nothing reserved or subscribed before a subscription").isZero();
      StepVerifier.create(first.subscribeOn(Schedulers.parallel())).expectNext(100L).verifyComplete(); // 100 used
      StepVerifier.create(limited.complete("acme", 400, FAIL).subscribeOn(Schedulers.parallel()))
          .expectErrorMessage("the model failed").verify(Duration.ofSeconds(10)); // cancelled: 100 used
      StepVerifier.create(limited.complete("acme", 400, EMPTY).subscribeOn(Schedulers.parallel()))
          .verifyComplete(); // no #result to read: settled at the estimate, 500 used
      int subscribed = limited.subscribed();
      StepVerifier.create(limited.complete("acme", 600, 1).subscribeOn(Schedulers.parallel()))
          .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(CapacityExhaustedException.class)
              .hasMessageContaining("'tokens'").hasMessageContaining("resource 'llm-mono'"))
          .verify(Duration.ofSeconds(10));
      assertThat(limited.subscribed()).as("the denied call's publisher is not subscribed").isEqualTo(subscribed);
      assertTokensLeft(context, "llm-mono", "acme", 500);
    });
  }

  @Test
  void aCompletableFutureWithAnEstimateIsCalledOnceReservedAndSettlesTheActualFromItsResult() {
    inContext(context -> {
      Limited limited = context.getBean(Limited.class);
      assertThat(limited.completeLater("acme", 400, 100)).isCompletedWithValue(100L); // 100 used
      assertThat(limited.completeLater("acme", 400, FAIL).handle((value, failure) -> failure).join())
          .as("a failed stage is cancelled").hasMessage("the model failed");
      assertThat(limited.completeLater("acme", 400, THROW).handle((value, failure) -> failure).join())
          .as("a method that throws is cancelled").hasMessage("the model threw");
      assertThat(limited.completeLater("acme", 300, 0)).isCompletedWithValue(0L); // 0 tokens: 100 used
      int calls = limited.calls();
      CompletableFuture<Long> denied = limited.completeLater("acme", 901, 1);
      Throwable failure = denied.handle((value, e) -> e).join();
      assertThat(failure).isInstanceOf(CapacityExhaustedException.class).hasMessageContaining("'tokens'");
      assertThat(limited.calls()).as("the denied call did not reach the method").isEqualTo(calls);
      // The exception handler's headers, as for a blocking method's denial: every limit of the quota, the one that
      // denied, from the non-blocking quota lookup made before the denial was signalled.
      ResponseEntity<?> answer = new RateLimitExceptionHandler().capacityExhausted(
          (CapacityExhaustedException) failure);
      assertThat(answer.getHeaders().getFirst("RateLimit-Policy"))
          .isEqualTo("\"requests\";q=100;w=60, \"tokens\";q=1000;w=60");
      // r: the fewest left of any limit, 98 requests (two calls did their work)
      assertThat(answer.getHeaders().getFirst("RateLimit")).isEqualTo("\"tokens\";r=98;t=1");
      assertTokensLeft(context, "llm-future", "acme", 900);
    });
  }

  @Test
  void aReactiveDenialsPolicyIsTheAccountsQuotaReadWithoutBlockingWithTheLimitCacheOff() {
    runner.withPropertyValues("ratelimiter.limit-cache-ttl=0").run(context -> {
      assertThat(context).hasNotFailed();
      context.getBean(InMemoryStore.class).limits().put(new LimitRecord("reports", "vip", 3, Duration.ofSeconds(1),
          null));
      Limited limited = context.getBean(Limited.class);
      for (int i = 0; i < 3; i++) {
        StepVerifier.create(limited.report("vip").subscribeOn(Schedulers.parallel())).expectNextCount(1)
            .verifyComplete();
      }
      StepVerifier.create(limited.report("vip").subscribeOn(Schedulers.parallel())).expectErrorSatisfies(e -> {
        ResponseEntity<?> answer = new RateLimitExceptionHandler().capacityExhausted((CapacityExhaustedException) e);
        assertThat(answer.getHeaders().getFirst("RateLimit-Policy")).as("the account's row, not the default 2")
            .isEqualTo("\"reports\";q=3;w=1");
        assertThat(answer.getHeaders().getFirst("RateLimit")).isEqualTo("\"reports\";r=0;t=1");
      }).verify(Duration.ofSeconds(10));
    });
  }

  /** Exactly {@code tokens} tokens are left in the account's bucket: that many fit, one more does not. */
  private static void assertTokensLeft(AssertableApplicationContext context, String resource, String account,
      long tokens) {
    FungibleLimiter limiter = context.getBean(LimiterRegistry.class).entries().stream()
        .filter(e -> e.resource().equals(resource)).findFirst().orElseThrow().limiter();
    assertThat(limiter.tryAcquire(account, Cost.of(Map.of("requests", 1L, "tokens", tokens + 1))).denied())
        .as("%d tokens do not fit", tokens + 1).isTrue();
    assertThat(limiter.tryAcquire(account, Cost.of(Map.of("requests", 1L, "tokens", tokens))).allowed())
        .as("%d tokens fit", tokens).isTrue();
  }

  private void inContext(Consumer<AssertableApplicationContext> test) {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      test.accept(context);
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

  /** {@code used} values that make a model call fail, throw, or complete empty. */
  static final long FAIL = -1;
  static final long THROW = -2;
  static final long EMPTY = -3;

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

    /** A model call that reserves {@code maxTokens} and reports the tokens it {@code used}. */
    @RateLimited(resource = "llm-mono", account = "#tenant", costLimit = "tokens", estimate = "#maxTokens",
        actual = "#result", limits = {
            @QuotaLimit(name = "requests", limit = 100, window = 1, unit = ChronoUnit.MINUTES),
            @QuotaLimit(name = "tokens", limit = 1000, window = 1, unit = ChronoUnit.MINUTES)})
    public Mono<Long> complete(String tenant, long maxTokens, long used) {
      calls.incrementAndGet();
      if (used == EMPTY) {
        return Mono.<Long>empty().doOnSubscribe(s -> subscribed.incrementAndGet());
      }
      return Mono.fromCallable(() -> {
        subscribed.incrementAndGet();
        if (used == FAIL) {
          throw new IllegalStateException("the model failed");
        }
        return used;
      });
    }

    /** The same, as a future. */
    @RateLimited(resource = "llm-future", account = "#tenant", costLimit = "tokens", estimate = "#maxTokens",
        actual = "#result", limits = {
            @QuotaLimit(name = "requests", limit = 100, window = 1, unit = ChronoUnit.MINUTES),
            @QuotaLimit(name = "tokens", limit = 1000, window = 1, unit = ChronoUnit.MINUTES)})
    public CompletableFuture<Long> completeLater(String tenant, long maxTokens, long used) {
      calls.incrementAndGet();
      if (used == THROW) {
        throw new IllegalStateException("the model threw");
      }
      return used == FAIL ? CompletableFuture.failedFuture(new IllegalStateException("the model failed"))
          : CompletableFuture.completedFuture(used);
    }

    @RateLimited(resource = "route-reports", limit = 1, window = 1)
    public Mono<String> routeReport() {
      return Mono.just("route-report");
    }
  }
}
