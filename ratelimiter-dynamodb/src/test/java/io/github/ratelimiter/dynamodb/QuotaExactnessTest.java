package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Quotas on the real clock against dynalite: two limiter instances with their own clients, 8 threads each, driven as
 * fast as they are answered; every admission is logged with the clock reading its decision used, and every limit's
 * bound {@code limit + floor(t * limit / window)} is checked over every interval between two admissions. 3 s per
 * scenario in the default build, 15 s with {@code -Pmultiprocess}.
 */
class QuotaExactnessTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final Duration RUN =
      Duration.ofSeconds(Boolean.getBoolean("ratelimiter.multiprocess") ? 15 : 3);

  /**
   * The system clock, remembering on each thread the last reading, and, per resource, the reading its last decision
   * on this thread used (taken when the listener hears the decision: a decision's last reading is the one it used,
   * even when it waited for another thread's answer and read the clock again).
   */
  private static final class RecordingClock extends Clock {
    private static final ThreadLocal<List<Instant>> READS = ThreadLocal.withInitial(ArrayList::new);
    private static final ThreadLocal<Map<String, Instant>> DECIDED = ThreadLocal.withInitial(HashMap::new);

    @Override
    public Instant instant() {
      Instant now = Instant.now();
      READS.get().add(now);
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    static void clear() {
      READS.get().clear();
      DECIDED.get().clear();
    }

    /** The reading the last decision on {@code resource} used on this thread. */
    static Instant decided(String resource) {
      Instant at = DECIDED.get().get(resource);
      assertThat(at).as("a decision on %s was heard", resource).isNotNull();
      return at;
    }

    /** A listener that notes, for each decision, the reading it used. */
    static final RateLimiterListener NOTING = new RateLimiterListener() {
      @Override
      public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
          long permits, boolean storeAsked) {
        List<Instant> reads = READS.get();
        DECIDED.get().put(resourceName, reads.get(reads.size() - 1));
      }
    };
  }

  /** One admission of one key: the decision's clock reading and the amount charged to each limit. */
  private record Admission(String key, long nanos, long[] amounts) {}

  private DynamoDbTestTables tables;
  private final List<RateLimiters> opened = new ArrayList<>();

  @BeforeEach
  void createTables() {
    tables = new DynamoDbTestTables(DYNAMO);
  }

  @AfterEach
  void close() {
    opened.forEach(RateLimiters::close);
  }

  private RateLimiters instance() {
    RateLimiters limiters = RateLimiters.builder().store(tables.openStore()).clock(new RecordingClock())
        .listener(RecordingClock.NOTING).build();
    opened.add(limiters);
    return limiters;
  }

  /** What each worker does per attempt: returns its admissions (none when denied). */
  @FunctionalInterface
  private interface Attempt {
    List<Admission> run(int thread, Random random);
  }

  private List<Admission> drive(Attempt attempt) throws Exception {
    ConcurrentLinkedQueue<Admission> log = new ConcurrentLinkedQueue<>();
    CountDownLatch gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    long end = System.nanoTime() + RUN.toNanos();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        workers.add(pool.submit(() -> {
          Random random = new Random(42 + thread);
          gate.await();
          while (System.nanoTime() - end < 0) {
            List<Admission> admitted = attempt.run(thread, random);
            if (admitted.isEmpty()) {
              LockSupport.parkNanos(200_000);
            }
            log.addAll(admitted);
          }
          return null;
        }));
      }
      gate.countDown();
      for (Future<?> worker : workers) {
        worker.get(RUN.toSeconds() + 60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<Admission> sorted = new ArrayList<>(log);
    sorted.sort(Comparator.comparingLong(Admission::nanos));
    return sorted;
  }

  /**
   * The largest excess of admitted amounts of lane {@code lane} of {@code key} over {@code limit} per {@code window}
   * on any interval between two admissions: at most 0 when the bound holds.
   */
  private static long worstExcess(List<Admission> admissions, String key, int lane, Limit limit) {
    List<Admission> ofKey = admissions.stream().filter(a -> key == null || a.key().equals(key)).toList();
    long worst = Long.MIN_VALUE;
    long windowNanos = limit.window().toNanos();
    for (int i = 0; i < ofKey.size(); i++) {
      long sum = 0;
      for (int j = i; j < ofKey.size(); j++) {
        sum += ofKey.get(j).amounts()[lane];
        long t = ofKey.get(j).nanos() - ofKey.get(i).nanos();
        long bound = limit.limit() + java.math.BigInteger.valueOf(t).multiply(java.math.BigInteger.valueOf(
            limit.limit())).divide(java.math.BigInteger.valueOf(windowNanos)).longValueExact();
        worst = Math.max(worst, sum - bound);
      }
    }
    return worst;
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  @Test
  void aQuotaOfThreeLimitsHoldsEveryBoundOverEveryInterval() throws Exception {
    Quota quota = Quota.of(Limit.of(20, Duration.ofSeconds(1)), Limit.of(100, Duration.ofSeconds(10)),
        Limit.of(300, Duration.ofSeconds(60)));
    List<FungibleLimiter> limiters = List.of(instance().fungible("api", quota), instance().fungible("api", quota));
    List<Admission> admitted = drive((thread, random) -> {
      RecordingClock.clear();
      if (!limiters.get(thread % 2).tryAcquire("tenant").allowed()) {
        return List.of();
      }
      return List.of(new Admission("tenant", nanos(RecordingClock.decided("api")), new long[] {1, 1, 1}));
    });
    int lane = 0;
    for (Limit limit : quota.limits().values()) {
      assertThat(worstExcess(admitted, "tenant", lane++, limit)).as("%s over %d admissions", limit, admitted.size())
          .isLessThanOrEqualTo(0);
    }
    // the run was not idle: at least the first limit's burst went through
    assertThat(admitted.size()).isGreaterThan(20);
    System.out.printf("quota of 3 limits, %d s: %d admitted%n", RUN.toSeconds(), admitted.size());
  }

  @Test
  void weightedCostsOnANamedQuotaHoldEveryBound() throws Exception {
    Limit requests = Limit.of(50, Duration.ofSeconds(1));
    Limit tokens = Limit.of(1_000, Duration.ofSeconds(1));
    Quota quota = Quota.builder().limit("requests", requests).limit("tokens", tokens).build();
    List<FungibleLimiter> limiters = List.of(instance().fungible("llm", quota), instance().fungible("llm", quota));
    List<Admission> admitted = drive((thread, random) -> {
      long used = 1 + random.nextInt(50);
      RecordingClock.clear();
      if (!limiters.get(thread % 2).tryAcquire("key", Cost.of(Map.of("requests", 1L, "tokens", used))).allowed()) {
        return List.of();
      }
      return List.of(new Admission("key", nanos(RecordingClock.decided("llm")), new long[] {1, used}));
    });
    assertThat(worstExcess(admitted, "key", 0, requests)).isLessThanOrEqualTo(0);
    assertThat(worstExcess(admitted, "key", 1, tokens)).isLessThanOrEqualTo(0);
    long tokensAdmitted = admitted.stream().mapToLong(a -> a.amounts()[1]).sum();
    assertThat(tokensAdmitted).as("tokens admitted").isGreaterThan(1_000);
    System.out.printf("requests and tokens, %d s: %d admitted, %d tokens%n", RUN.toSeconds(), admitted.size(),
        tokensAdmitted);
  }

  @Test
  void aTenantAndASharedBudgetHoldBothBounds() throws Exception {
    Limit perTenant = Limit.of(5, Duration.ofSeconds(1));
    Limit budget = Limit.of(100, Duration.ofSeconds(1));
    List<RateLimiters> instances = List.of(instance(), instance());
    List<Admission> admitted = drive((thread, random) -> {
      RateLimiters limiters = instances.get(thread % 2);
      String tenant = "t" + random.nextInt(50);
      RecordingClock.clear();
      boolean allowed = limiters.tryAcquireAll(List.of(limiters.fungible("tenant", perTenant).ask(tenant),
          limiters.fungible("upstream", budget).ask("all"))).allowed();
      if (!allowed) {
        return List.of();
      }
      return List.of(new Admission(tenant, nanos(RecordingClock.decided("tenant")), new long[] {1}),
          new Admission("all", nanos(RecordingClock.decided("upstream")), new long[] {1}));
    });
    assertThat(worstExcess(admitted, "all", 0, budget)).as("the shared budget").isLessThanOrEqualTo(0);
    for (int t = 0; t < 50; t++) {
      assertThat(worstExcess(admitted, "t" + t, 0, perTenant)).as("tenant t%d", t).isLessThanOrEqualTo(0);
    }
    long budgetAdmitted = admitted.stream().filter(a -> a.key().equals("all")).count();
    assertThat(budgetAdmitted).as("budget admissions").isGreaterThan(100);
    System.out.printf("tenant + budget, %d s: %d admitted%n", RUN.toSeconds(), budgetAdmitted);
  }
}
