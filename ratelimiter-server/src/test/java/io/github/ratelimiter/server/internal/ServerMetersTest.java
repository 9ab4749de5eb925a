package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-value meter keys are capped per rule; fixed keys are not. */
class ServerMetersTest {

  private static final Rule RULE = new Rule("d.user", List.of(), false, false, true, List.of(), "test");

  @Test
  void perValueKeysBeyondTheCapAreFoldedIntoOther() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ServerMeters meters = new ServerMeters(registry);
    for (int i = 0; i < ServerMeters.MAX_KEYS_PER_RULE + 50; i++) {
      meters.counters(new RateLimitConfig.Match(RULE, "user_" + i, "d.user_" + i, true)).totalHits().increment();
    }
    // a key seen before the cap keeps its own series
    meters.counters(new RateLimitConfig.Match(RULE, "user_0", "d.user_0", true)).totalHits().increment();
    List<String> keys = registry.find("ratelimit.service.rate_limit.total_hits").counters().stream()
        .map(c -> c.getId().getTag("key")).toList();
    assertThat(keys).hasSize(ServerMeters.MAX_KEYS_PER_RULE + 1).contains("d.user.other", "d.user_0", "d.user_99")
        .doesNotContain("d.user_100");
    Counter other = registry.find("ratelimit.service.rate_limit.total_hits").tag("key", "d.user.other").counter();
    assertThat(other.count()).isEqualTo(50.0);
    assertThat(registry.find("ratelimit.service.rate_limit.total_hits").tag("key", "d.user_0").counter().count())
        .isEqualTo(2.0);
  }
}
