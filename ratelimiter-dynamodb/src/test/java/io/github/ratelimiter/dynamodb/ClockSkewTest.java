package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two limiter instances, each with its own client, share one bucket while their clocks differ by 500 ms: the one
 * ahead is admitted early, at most {@code skew * limit / window} permits once (the README's bound), and the
 * long-run rate is the limit's.
 */
class ClockSkewTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final Limit LIMIT = Limit.of(10, Duration.ofSeconds(1));
  private static final Duration SKEW = Duration.ofMillis(500);
  private static final Duration STEP = Duration.ofMillis(10);
  private static final Duration RUN = Duration.ofSeconds(20);

  @Test
  void aClockAheadIsAdmittedEarlyAtMostOnceBySkewTimesRateAndTheLongRunRateIsUnchanged() {
    DynamoDbTestTables tables = new DynamoDbTestTables(DYNAMO);
    ManualClock truth = ManualClock.at(Instant.parse("2026-06-01T00:00:00Z"));
    Clock ahead = Clock.offset(truth, SKEW);
    // each instance has its own store and client, as two hosts would
    try (RateLimiters onTime = RateLimiters.builder().store(tables.openStore()).clock(truth).build();
        RateLimiters early = RateLimiters.builder().store(tables.openStore()).clock(ahead).build()) {
      FungibleLimiter a = onTime.fungible("skewed", LIMIT);
      FungibleLimiter b = early.fungible("skewed", LIMIT);
      long admitted = 0;
      long worstExcess = Long.MIN_VALUE;
      long steps = RUN.dividedBy(STEP);
      for (long step = 0; step <= steps; step++) {
        // b asks first, so that its clock's lead is used whenever it can be
        admitted += b.tryAcquire("acct").allowed() ? 1 : 0;
        admitted += a.tryAcquire("acct").allowed() ? 1 : 0;
        // one bucket's bound over [0, t] on the true clock
        long bound = LIMIT.limit() + step * STEP.toMillis() * LIMIT.limit() / LIMIT.window().toMillis();
        worstExcess = Math.max(worstExcess, admitted - bound);
        truth.advance(STEP);
      }
      long skewBound = SKEW.toMillis() * LIMIT.limit() / LIMIT.window().toMillis();
      assertThat(worstExcess).isLessThanOrEqualTo(skewBound);
      // the long-run rate is the limit's: the whole run admits one bucket's bound plus the skew's once, no more,
      // and demand (200 asks per second) keeps it busy, so no less than one bucket's bound
      long runBound = LIMIT.limit() + RUN.toMillis() * LIMIT.limit() / LIMIT.window().toMillis();
      assertThat(admitted).isBetween(runBound, runBound + skewBound);
      System.out.printf("clock skew %d ms, limit %s: worst over-admission over any prefix %d (README bound %d),"
          + " admitted %d over %d s against a one-bucket bound of %d%n", SKEW.toMillis(), LIMIT, worstExcess,
          skewBound, admitted, RUN.toSeconds(), runBound);
    }
  }
}
