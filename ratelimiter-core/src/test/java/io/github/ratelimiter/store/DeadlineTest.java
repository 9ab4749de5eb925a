package io.github.ratelimiter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DeadlineTest {

  @Test
  void noneBoundsNothing() {
    Deadline none = Deadline.none();
    assertThat(none.isBounded()).isFalse();
    assertThat(none.hasPassed()).isFalse();
    assertThat(none.remainingNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(none.nextCallTimeout(Duration.ofSeconds(3), "UpdateItem")).isEqualTo(Duration.ofSeconds(3));
    assertThat(none.nextCallTimeout(null, "UpdateItem")).isNull();
  }

  @Test
  void aCallGetsTheSmallerOfWhatIsLeftAndItsOwnTimeout() {
    Deadline hour = Deadline.after(Duration.ofHours(1));
    assertThat(hour.isBounded()).isTrue();
    assertThat(hour.timeout()).isEqualTo(Duration.ofHours(1));
    assertThat(hour.nextCallTimeout(Duration.ofSeconds(1), "Query")).isEqualTo(Duration.ofSeconds(1));
    assertThat(hour.nextCallTimeout(null, "Query")).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
    assertThat(hour.nextCallTimeout(Duration.ofHours(2), "Query")).isLessThanOrEqualTo(Duration.ofHours(1));
  }

  @Test
  void afterItPassesNothingIsSentAndWaitsEndAtOnceNamingWhatWasAwaited() {
    Deadline passed = Deadline.after(Duration.ofNanos(1));
    while (!passed.hasPassed()) {
      Thread.onSpinWait(); // one tick of System.nanoTime
    }
    assertThat(passed.remainingNanos()).isZero();
    assertThatThrownBy(() -> passed.nextCallTimeout(Duration.ofSeconds(1), "PutItem"))
        .isInstanceOf(RateLimiterException.class)
        .hasMessageContaining("decision timeout of PT0.000000001S")
        .hasMessageContaining("before PutItem could be sent");
    CompletableFuture<Void> never = new CompletableFuture<>();
    assertThatThrownBy(() -> passed.await(never, "another thread's UpdateItem answered"))
        .isInstanceOf(RateLimiterException.class)
        .hasMessageContaining("before another thread's UpdateItem answered");
    passed.await(CompletableFuture.completedFuture(null), "done"); // a completed future never waits
    passed.await(CompletableFuture.failedFuture(new IllegalStateException()), "done"); // nor a failed one
  }

  @Test
  void timeoutsMustBePositiveNamingTheArgument() {
    assertThatThrownBy(() -> Deadline.after(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be positive: PT0S");
    assertThatThrownBy(() -> Deadline.after(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timeout must be positive: null");
    assertThatThrownBy(() -> RateLimiters.builder().decisionTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("decisionTimeout must be positive: PT-0.001S");
    assertThatThrownBy(() -> LimiterOptions.builder().decisionTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("decisionTimeout must be positive: PT0S");
  }

  @Test
  void optionsWithAnotherDecisionTimeoutAreAnotherLimitersOptions() {
    LimiterOptions fast = LimiterOptions.builder().decisionTimeout(Duration.ofMillis(100)).build();
    assertThat(fast).isEqualTo(LimiterOptions.builder().decisionTimeout(Duration.ofMillis(100)).build());
    assertThat(fast).isNotEqualTo(LimiterOptions.defaults());
    assertThat(fast.toBuilder().build().decisionTimeout()).contains(Duration.ofMillis(100));
    assertThat(fast.toString()).contains("decisionTimeout=PT0.1S");
    assertThat(LimiterOptions.defaults().decisionTimeout()).isEmpty();
  }

  @Test
  void anInMemoryStoreSetsNoDecisionTimeout() {
    assertThat(InMemoryStore.create().decisionTimeout()).isEmpty();
  }
}
