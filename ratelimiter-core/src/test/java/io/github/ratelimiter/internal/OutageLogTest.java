package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** A store outage gives one warning per interval with a count, not one per decision; listeners cannot break it. */
class OutageLogTest {

  /** A logger that keeps each warning's arguments. */
  private static Logger recording(List<List<Object>> warnings) {
    return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
        (proxy, method, args) -> {
          if (method.getName().equals("warn")) {
            List<Object> flat = new ArrayList<>();
            for (Object arg : args) {
              if (arg instanceof Object[] array) {
                flat.addAll(Arrays.asList(array));
              } else {
                flat.add(arg);
              }
            }
            warnings.add(flat);
          }
          return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
  }

  @Test
  void aThousandFailuresInAnIntervalAreOneWarningThenACountAtTheNext() {
    List<List<Object>> warnings = new ArrayList<>();
    TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    OutageLog log = OutageLog.of(recording(warnings), "api", FailureMode.FAIL_OPEN, clock);
    RateLimiterException down = new RateLimiterException("connection refused");
    for (int i = 0; i < 1000; i++) {
      log.failed(down);
      clock.advance(Duration.ofMillis(5)); // 5 s in all: inside one interval
    }
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0)).contains(1L, "'api' (fail open: admitted, degraded)");
    clock.advance(Duration.ofSeconds(10));
    log.failed(down);
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(1)).contains(1000L); // the 999 unreported ones and this one
  }

  @Test
  void aListenerThatThrowsChangesNothingForTheOthers() {
    AtomicInteger heard = new AtomicInteger();
    RateLimiterListener throwing = new RateLimiterListener() {
      @Override
      public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
          long permits, boolean storeAsked) {
        throw new IllegalStateException("broken listener");
      }
    };
    RateLimiterListener counting = new RateLimiterListener() {
      @Override
      public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
          long permits, boolean storeAsked) {
        heard.incrementAndGet();
      }
    };
    RateLimiterListener both = Listeners.of(List.of(throwing, counting));
    both.onDecision("api", "acct", RateLimiterListener.LimiterKind.FUNGIBLE,
        RateLimiterListener.DecisionOutcome.ALLOWED, 1, true);
    assertThat(heard).hasValue(1);
    assertThat(Listeners.of(List.of())).isSameAs(RateLimiterListener.NONE);
  }
}
