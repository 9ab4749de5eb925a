package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiters;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One set of argument checks: the builders' duration setters fail as the limiters' own arguments do. */
class ArgumentsTest {

  @Test
  void aNullDurationIsABadValueNamedLikeAnyOtherEverywhere() {
    RateLimiters.Builder builder = RateLimiters.builder();
    assertThatThrownBy(() -> builder.limitCacheTtl(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limitCacheTtl must not be null");
    assertThatThrownBy(() -> builder.reservationTtl(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reservationTtl must not be null");
    assertThatThrownBy(() -> builder.tokenTtl(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tokenTtl must not be null");
    assertThatThrownBy(() -> builder.decisionTimeout(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("decisionTimeout must not be null");
    assertThatThrownBy(() -> LimiterOptions.builder().decisionTimeout(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("decisionTimeout must not be null");
    assertThatThrownBy(() -> Arguments.requireSeconds("ttl", null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl must not be null");
  }

  @Test
  void outOfRangeDurationsNameTheArgumentAndTheValue() {
    RateLimiters.Builder builder = RateLimiters.builder();
    assertThatThrownBy(() -> builder.limitCacheTtl(Duration.ofSeconds(-1)))
        .hasMessage("limitCacheTtl must not be negative: PT-1S");
    assertThatThrownBy(() -> builder.tokenTtl(Duration.ofMillis(999)))
        .hasMessage("tokenTtl must be at least one second: PT0.999S");
    assertThatThrownBy(() -> builder.decisionTimeout(Duration.ZERO))
        .hasMessage("decisionTimeout must be positive: PT0S");
  }

  @Test
  void aNullCollaboratorIsANullPointerExceptionNamingIt() {
    assertThatThrownBy(() -> RateLimiters.builder().store(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("store");
    assertThatThrownBy(() -> RateLimiters.builder().clock(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("clock");
  }
}
