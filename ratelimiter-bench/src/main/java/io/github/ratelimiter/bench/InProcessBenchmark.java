package io.github.ratelimiter.bench;

import com.google.common.util.concurrent.RateLimiter;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.internal.EpochNanos;
import io.github.ratelimiter.store.Gcra;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-process path, one permit per call on one shared bucket whose limit never binds (10^9 per second), so every
 * call is an admission: this project's pure algorithm ({@link Gcra#step}, reading {@code Instant.now()}, which costs
 * more than the limiter's read of the system clock: {@code nanoTime()} plus an offset) and its limiter on the
 * {@link io.github.ratelimiter.store.InMemoryStore}, against Bucket4j's local lock-free bucket,
 * Resilience4j's {@code AtomicRateLimiter} and Guava's {@code SmoothBursty}. Run with {@code -t 1} and {@code -t 2}
 * (the bench script does both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InProcessBenchmark {

  static final long PERMITS = 1_000_000_000L;
  static final Limit LIMIT = Limit.of(PERMITS, Duration.ofSeconds(1));

  private final long interval = Gcra.intervalNanos(LIMIT);
  private final long tolerance = Gcra.toleranceNanos(LIMIT);
  private volatile long tat = Long.MIN_VALUE;

  private FungibleLimiter inMemory;
  private Bucket bucket4j;
  private io.github.resilience4j.ratelimiter.RateLimiter resilience4j;
  private RateLimiter guava;

  @Setup
  public void setUp() {
    inMemory = RateLimiters.inMemory().fungible("bench", LIMIT);
    bucket4j = Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(PERMITS).refillGreedy(PERMITS, Duration.ofSeconds(1)).build())
        .build();
    resilience4j = io.github.resilience4j.ratelimiter.RateLimiter.of("bench", RateLimiterConfig.custom()
        .limitForPeriod((int) PERMITS)
        .limitRefreshPeriod(Duration.ofSeconds(1))
        .timeoutDuration(Duration.ZERO)
        .build());
    guava = RateLimiter.create(PERMITS);
  }

  /** The algorithm alone: read the clock, one step, keep the new state (racy across threads, as a bare function). */
  @Benchmark
  public boolean gcraStep() {
    long now = EpochNanos.fromInstant(java.time.Instant.now());
    BucketResult result = Gcra.step(tat, now, interval, tolerance);
    tat = result.tat();
    return result.allowed();
  }

  /** This project's limiter on the in-memory store: limit cache, algorithm, store, decision. */
  @Benchmark
  public boolean inMemoryLimiter() {
    return inMemory.tryAcquire("account").allowed();
  }

  @Benchmark
  public boolean bucket4jLocal() {
    return bucket4j.tryConsume(1);
  }

  @Benchmark
  public boolean resilience4j() {
    return resilience4j.acquirePermission();
  }

  @Benchmark
  public boolean guava() {
    return guava.tryAcquire();
  }
}
