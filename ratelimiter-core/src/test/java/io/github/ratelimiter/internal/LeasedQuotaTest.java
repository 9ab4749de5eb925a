package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Leasing a quota of several limits: a chunk is a slice of every lane's timeline taken by one quota step, a grant
 * takes its amounts from every lane's slice at once. Several "processes" (limiters with their own state over one
 * store), some leasing and one not, on a stepped clock: every limit's bound holds over every interval, and the
 * leasing ones write the store far less than once per decision.
 */
class LeasedQuotaTest {

  private static final long START = 1_767_225_600_000_000_000L;
  private static final long MS = 1_000_000L;
  /**
   * 2,000 requests per second and 20,000 tokens per 10 seconds (2,000/s): rates well above one per refresh interval,
   * which is what leasing is for (a chunk is at most one refresh interval's worth of a limit's rate).
   */
  private static final Quota QUOTA = Quota.builder()
      .limit("requests", Limit.of(2_000, Duration.ofSeconds(1)))
      .limit("tokens", Limit.of(20_000, Duration.ofSeconds(10)))
      .build();
  private static final Leasing LEASING =
      Leasing.builder().refreshInterval(Duration.ofMillis(100)).hotThreshold(50).build();

  private final TestClock clock = new TestClock(START);
  private final InMemoryStore store = InMemoryStore.create();
  private final AtomicLong writes = new AtomicLong();
  private final BucketStore counted = new BucketStore() {
    @Override
    public BucketResult consume(BucketRequest request) {
      writes.incrementAndGet();
      return store.buckets().consume(request);
    }

    @Override
    public QuotaResult consume(QuotaRequest request) {
      writes.incrementAndGet();
      return store.buckets().consume(request);
    }
  };

  private DefaultFungibleLimiter limiter(Leasing leasing) {
    return new DefaultFungibleLimiter("llm", QUOTA, counted,
        new LimitResolver(store.limits(), clock, Duration.ofSeconds(30)), clock, Duration.ofSeconds(30),
        FailureMode.FAIL_CLOSED, Sleeper.SYSTEM, leasing, null, false, RateLimiterListener.NONE,
        io.github.ratelimiter.LimiterOptions.DEFAULT_MAX_DEBT);
  }

  private record Admission(long nanos, long requests, long tokens) {}

  @Test
  void leasedAndDirectProcessesStayWithinEveryLimitsBoundAndLeasesWriteRarely() {
    List<DefaultFungibleLimiter> processes =
        List.of(limiter(LEASING), limiter(LEASING), limiter(LEASING), limiter(null));
    Random random = new Random(7);
    List<Admission> admitted = new ArrayList<>();
    long decisions = 0;
    for (int step = 0; step < 2_000; step++) { // 2 s in steps of 1 ms, 3 asks per step
      for (int ask = 0; ask < 3; ask++) {
        DefaultFungibleLimiter process = processes.get(ask % processes.size());
        long tokens = 1 + random.nextInt(8);
        decisions++;
        if (process.tryAcquire("key", Cost.of(Map.of("requests", 1L, "tokens", tokens))).allowed()) {
          admitted.add(new Admission(clock.nanos(), 1, tokens));
        }
      }
      clock.advance(MS);
    }
    assertWithin(admitted, Limit.of(2_000, Duration.ofSeconds(1)), Admission::requests);
    assertWithin(admitted, Limit.of(20_000, Duration.ofSeconds(10)), Admission::tokens);
    long tokens = admitted.stream().mapToLong(Admission::tokens).sum();
    // demand: 3,000 requests/s of 4.5 tokens on average: the tokens limit binds, 20,000 + 2,000/s; leases under-admit
    // (a lease waits until a quarter of the largest fits, an idle bucket's chunk passes partly unused), never over
    assertThat(tokens).as("tokens admitted in 2 s").isGreaterThan((20_000 + 2 * 2_000) * 6 / 10);
    System.out.printf("leased quota, 2 s: %d decisions, %d admitted, %d tokens of the bound %d, %d store writes%n",
        decisions, admitted.size(), tokens, 20_000 + 2 * 2_000, writes.get());
    // the process that does not lease writes once per admission of its own; the three leasing ones once per chunk
    assertThat(writes.get()).as("store writes for %d decisions, %d admitted", decisions, admitted.size())
        .isLessThan(admitted.size() / 3);
  }

  @Test
  void permitsFromEveryLimitAreLeasedLikeOneLimitsAre() {
    DefaultFungibleLimiter leased = limiter(LEASING);
    long admitted = 0;
    for (int step = 0; step < 2_000; step++) {
      for (int ask = 0; ask < 3; ask++) {
        if (leased.tryAcquire("key", 2).allowed()) { // 2 requests and 2 tokens
          admitted++;
        }
      }
      clock.advance(MS);
    }
    // requests bind: 2,000 + 2 s x 2,000 per second, 2 permits each
    assertThat(admitted).isLessThanOrEqualTo((2_000 + 4_000) / 2).isGreaterThan((2_000 + 4_000) / 2 * 6 / 10);
    assertThat(writes.get()).isLessThan(admitted / 5);
  }

  private interface Amount {
    long of(Admission admission);
  }

  /** Every interval between two admissions holds at most limit + floor(t * limit / window) of {@code amount}. */
  private static void assertWithin(List<Admission> admitted, Limit limit, Amount amount) {
    long window = limit.window().toNanos();
    long[] prefix = new long[admitted.size() + 1];
    for (int i = 0; i < admitted.size(); i++) {
      prefix[i + 1] = prefix[i] + amount.of(admitted.get(i));
    }
    // sliding: for each start i, the furthest j matters most per time; check all pairs at distinct times cheaply
    for (int i = 0; i < admitted.size(); i++) {
      if (i > 0 && admitted.get(i - 1).nanos() == admitted.get(i).nanos()) {
        continue; // an interval starting mid-instant holds less than one starting at the instant's first admission
      }
      for (int j = i; j < admitted.size(); j++) {
        if (j + 1 < admitted.size() && admitted.get(j + 1).nanos() == admitted.get(j).nanos()) {
          continue; // likewise for the end: take the instant's last admission
        }
        long t = admitted.get(j).nanos() - admitted.get(i).nanos();
        long bound = limit.limit() + BigInteger.valueOf(t).multiply(BigInteger.valueOf(limit.limit()))
            .divide(BigInteger.valueOf(window)).longValueExact();
        long sum = prefix[j + 1] - prefix[i];
        if (sum > bound) {
          throw new AssertionError(String.format("%s: %d in [%d ms, %d ms] over the bound %d", limit, sum,
              (admitted.get(i).nanos() - START) / MS, (admitted.get(j).nanos() - START) / MS, bound));
        }
      }
    }
  }
}
