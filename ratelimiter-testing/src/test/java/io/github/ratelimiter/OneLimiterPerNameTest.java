package io.github.ratelimiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** RateLimiters hands out one limiter per (kind, resource name), so per-request lookups keep the limiter's state. */
class OneLimiterPerNameTest {

  private static final Limit TEN_PER_SECOND = Limit.of(10, Duration.ofSeconds(1));
  private static final LimiterOptions FAIL_OPEN = LimiterOptions.builder().failureMode(FailureMode.FAIL_OPEN).build();

  // A clock that stands still: on a slow machine a real one can refill the bucket between two calls.
  private final RateLimiters limiters = RateLimiters.builder()
      .store(io.github.ratelimiter.store.InMemoryStore.create())
      .clock(io.github.ratelimiter.testing.ManualClock.create())
      .build();

  @Test
  void askingAgainWithTheSameSettingsReturnsTheSameLimiter() {
    FungibleLimiter api = limiters.fungible("api", TEN_PER_SECOND);
    assertThat(limiters.fungible("api", Limit.of(10, Duration.ofMillis(1000)))).isSameAs(api);
    assertThat(limiters.fungible("api", TEN_PER_SECOND, LimiterOptions.defaults())).isSameAs(api);
    assertThat(limiters.fungible("api", TEN_PER_SECOND, LimiterOptions.builder().build())).isSameAs(api);
    NonFungibleLimiter clusters = limiters.nonFungible("clusters", 3, FAIL_OPEN);
    assertThat(limiters.nonFungible("clusters", 3, FAIL_OPEN.toBuilder().build())).isSameAs(clusters);
  }

  @Test
  void aFungibleAndANonFungibleLimiterMayShareAName() {
    FungibleLimiter fungible = limiters.fungible("exports", TEN_PER_SECOND);
    NonFungibleLimiter nonFungible = limiters.nonFungible("exports", 3);
    assertThat(fungible.resourceName()).isEqualTo(nonFungible.resourceName()).isEqualTo("exports");
  }

  @Test
  void anotherDefaultLimitOrOtherOptionsIsAClearError() {
    limiters.fungible("api", TEN_PER_SECOND);
    assertThatThrownBy(() -> limiters.fungible("api", Limit.of(20, Duration.ofSeconds(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'api'")
        .hasMessageContaining("10 per 1s")
        .hasMessageContaining("20 per 1s");
    assertThatThrownBy(() -> limiters.fungible("api", TEN_PER_SECOND, FAIL_OPEN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("failureMode=FAIL_OPEN");
    limiters.nonFungible("clusters", 3);
    assertThatThrownBy(() -> limiters.nonFungible("clusters", 4))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("default limit 3")
        .hasMessageContaining("default limit 4");
  }

  @Test
  void perRequestLookupsKeepWhatTheLimiterSaw() {
    for (int i = 0; i < 10; i++) {
      assertThat(limiters.fungible("api", TEN_PER_SECOND).tryAcquire("acct").allowed()).isTrue();
    }
    assertThat(limiters.fungible("api", TEN_PER_SECOND).tryAcquire("acct").allowed()).isFalse();
  }

  @Test
  void badNamesAreStillRejectedBeforeAnythingIsMade() {
    assertThatThrownBy(() -> limiters.fungible(" ", TEN_PER_SECOND)).hasMessageContaining("resourceName");
    assertThatThrownBy(() -> limiters.fungible(null, TEN_PER_SECOND)).hasMessageContaining("resourceName");
    assertThatThrownBy(() -> limiters.nonFungible("a:b", 1)).hasMessageContaining("':'");
    assertThatThrownBy(() -> limiters.nonFungible("ok", -1)).hasMessageContaining("defaultLimit");
    assertThatThrownBy(() -> limiters.fungible("api", TEN_PER_SECOND, null)).isInstanceOf(NullPointerException.class);
  }
}
