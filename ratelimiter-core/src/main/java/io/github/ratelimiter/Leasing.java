package io.github.ratelimiter;

import java.time.Duration;
import java.util.Objects;

/**
 * Leased rate shares for hot keys: how a fungible limiter decides most requests of a busy (resource, account)
 * locally instead of writing the shared bucket once per decision.
 *
 * <p>Without leasing every fungible decision is one conditional write to one DynamoDB item, and DynamoDB lets one
 * partition key be written about 1,000 times per second. With leasing, a process that sees a key hot (at least
 * {@link Builder#hotThreshold(long) hotThreshold} permits asked per second; or four or more of its direct decisions
 * on the key in flight at once, as closed-loop callers on a slow store ask less than they would; or, for the next
 * ten refresh intervals, the store throttled a direct decision on the key) takes a chunk of the bucket with that same
 * single conditional write, sized to what it asks for in one {@link Builder#refreshInterval(Duration)
 * refreshInterval}, and grants from the chunk locally. Admissions over all processes stay within the bucket's exact
 * bound ({@code limit + floor(t * limit / window)} over any interval of length {@code t}), across processes that
 * lease, processes that do not, processes that die or pause, and keys that cool down again: the proof is in the
 * design notes of {@code io.github.ratelimiter.internal.Leases}. The stored state is the bucket's one {@code tat}
 * number, as without leasing, so leasing can be turned on or off per process at any time.
 *
 * <pre>{@code
 * FungibleLimiter upstream = limiters.fungible("partner-api", Limit.of(20_000, Duration.ofSeconds(1)),
 *     LimiterOptions.builder().leasing(Leasing.builder().refreshInterval(Duration.ofMillis(100)).build()).build());
 * }</pre>
 *
 * <p>What it costs: a hot key is written about once per refresh interval per process (keep
 * {@code processes / refreshInterval} well under 1,000 per second), and a chunk a process holds when it stops asking
 * or dies is lost to everyone (at most one refresh interval of its demand, and never more than
 * {@link #MAX_LEASE_FRACTION} of the limit): leasing trades a little under-admission for throughput, never
 * over-admission. {@link Decision#remaining()} on a leased key is what this process holds plus what the bucket held
 * when this process last saw it.
 *
 * <p>Immutable and thread-safe.
 */
public final class Leasing {

  /** The largest part of a limit one lease takes: a quarter. */
  public static final double MAX_LEASE_FRACTION = 0.25;

  private final Duration refreshInterval;
  private final long hotThreshold;

  private Leasing(Builder builder) {
    this.refreshInterval = builder.refreshInterval;
    this.hotThreshold = builder.hotThreshold;
  }

  /** A builder with the defaults: 100 ms refresh interval, hot from 200 permits asked per second. */
  public static Builder builder() {
    return new Builder();
  }

  /** Leasing with the defaults. */
  public static Leasing defaults() {
    return builder().build();
  }

  /** How much of this process's demand one lease covers: each process writes a hot key about this often. */
  public Duration refreshInterval() {
    return refreshInterval;
  }

  /** Permits asked per second (by this process, for one key) from which the key is leased. */
  public long hotThreshold() {
    return hotThreshold;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Leasing other && refreshInterval.equals(other.refreshInterval)
        && hotThreshold == other.hotThreshold;
  }

  @Override
  public int hashCode() {
    return Objects.hash(refreshInterval, hotThreshold);
  }

  @Override
  public String toString() {
    return "Leasing[refreshInterval=" + refreshInterval + ", hotThreshold=" + hotThreshold + "/s]";
  }

  /** Configures {@link Leasing}. Not thread-safe; each setter fails fast on a bad value. */
  public static final class Builder {
    private Duration refreshInterval = Duration.ofMillis(100);
    private long hotThreshold = 200;

    private Builder() {}

    /**
     * How much of this process's measured demand one lease covers, and the period over which demand is measured;
     * default 100 ms, from 1 ms to 1 minute. Longer means fewer writes and larger chunks (more lost when a process
     * stops); shorter follows shifting demand faster.
     */
    public Builder refreshInterval(Duration interval) {
      Objects.requireNonNull(interval, "refreshInterval");
      if (interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("refreshInterval must be from 1 ms to 1 minute: " + interval);
      }
      this.refreshInterval = interval;
      return this;
    }

    /**
     * Permits asked per second by this process for one key from which the key is leased; default 200. Below it
     * every decision is one store write, as without leasing.
     */
    public Builder hotThreshold(long permitsPerSecond) {
      if (permitsPerSecond < 1) {
        throw new IllegalArgumentException("hotThreshold must be at least 1 per second: " + permitsPerSecond);
      }
      this.hotThreshold = permitsPerSecond;
      return this;
    }

    /** Builds the settings. */
    public Leasing build() {
      return new Leasing(this);
    }
  }
}
