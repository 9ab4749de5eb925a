package io.github.ratelimiter;

import io.github.ratelimiter.internal.DefaultRateLimiters;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The entry point: hands out limiters that share one store, one clock and one cache of limits.
 *
 * <pre>{@code
 * RateLimiters limiters = RateLimiters.builder()
 *     .store(DynamoDbStore.builder().client(dynamoDb).tableNames(TableNames.fromEnvironment()).build())
 *     .build();
 * FungibleLimiter api = limiters.fungible("orders-api", Limit.of(10, Duration.ofSeconds(1)));
 * NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);
 * }</pre>
 *
 * <p>Limits are read from the store's limit table and cached for {@link Builder#limitCacheTtl(Duration)}: a
 * resource's rows all at once (one read) when it has at most 1,000, so that the absence of a row is known for every
 * other account too; a larger resource's rows one account at a time, the absence of a row included. So in steady
 * state a decision sends nothing to the limit table, however many accounts call, and a changed row takes effect
 * within that time.
 *
 * <p>Thread-safe. Create one per application and close it at shutdown: closing closes the store.
 */
public interface RateLimiters extends AutoCloseable {

  /** A builder with the defaults: system UTC clock, 30 s limit cache, fail closed. A store must be set. */
  static Builder builder() {
    return new Builder();
  }

  /** Limiters on a fresh {@link InMemoryStore}, for tests and single-process use. */
  static RateLimiters inMemory() {
    return builder().store(InMemoryStore.create()).build();
  }

  /**
   * A fungible limiter (token bucket) on the resource, with {@code defaultLimit} for accounts that have no row in
   * the limit table. Limiters are cheap; the same name gives limiters that share buckets.
   *
   * @throws IllegalArgumentException if {@code resourceName} is blank or longer than 1024 UTF-8 bytes
   */
  FungibleLimiter fungible(String resourceName, Limit defaultLimit);

  /**
   * A non-fungible limiter: at most {@code defaultLimit} live reservations and tokens per account, unless the limit
   * table says otherwise for the account (its {@code limit}; the window is not used).
   *
   * @throws IllegalArgumentException if {@code resourceName} is blank, too long or contains {@code ':'}, or
   *     {@code defaultLimit} is negative
   */
  NonFungibleLimiter nonFungible(String resourceName, long defaultLimit);

  /**
   * A proxy for {@code target} that applies the {@link RateLimit} annotations of {@code type}'s methods; methods
   * without one are passed through. Its {@code equals}, {@code hashCode} and {@code toString} are its own, by
   * identity, as for any {@link java.lang.reflect.Proxy}.
   *
   * @throws IllegalArgumentException if {@code type} is not an interface, or an annotated method has no account id
   *     parameter (see {@link RateLimit}: a parameter found by its name needs {@code javac -parameters})
   */
  <T> T proxy(Class<T> type, T target);

  /** The store these limiters share. */
  RateLimitStore store();

  /** Closes the store. */
  @Override
  void close();

  /** Configures {@link RateLimiters}. Not thread-safe; each setter fails fast on a bad value. */
  final class Builder {
    private RateLimitStore store;
    private Clock clock = Clock.systemUTC();
    private Duration limitCacheTtl = Duration.ofSeconds(30);
    private FailureMode failureMode = FailureMode.FAIL_CLOSED;
    private Sleeper sleeper = Sleeper.SYSTEM;
    private Duration reservationTtl = Duration.ofSeconds(300);
    private Duration tokenTtl = Duration.ofHours(8);

    private Builder() {}

    /** The store (required). */
    public Builder store(RateLimitStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The clock that says now; default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long limit rows (and the absence of a row) are cached; default 30 s. Zero disables the cache: every
     * decision then reads its account's row first, which doubles its cost.
     */
    public Builder limitCacheTtl(Duration ttl) {
      this.limitCacheTtl = requireNotNegative("limitCacheTtl", ttl);
      return this;
    }

    /** What a decision answers when the store fails; default {@link FailureMode#FAIL_CLOSED}. */
    public Builder failureMode(FailureMode mode) {
      this.failureMode = Objects.requireNonNull(mode, "failureMode");
      return this;
    }

    /** How {@link FungibleLimiter#acquire(String, long, Duration)} waits; default {@link Sleeper#SYSTEM}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** How long a non-fungible reservation lives unless turned into a token; default 300 s. */
    public Builder reservationTtl(Duration ttl) {
      this.reservationTtl = requirePositiveSeconds("reservationTtl", ttl);
      return this;
    }

    /** How long a non-fungible token lives unless renewed or released; default 8 h. */
    public Builder tokenTtl(Duration ttl) {
      this.tokenTtl = requirePositiveSeconds("tokenTtl", ttl);
      return this;
    }

    /**
     * Builds the limiters.
     *
     * @throws IllegalStateException if no store was set
     */
    public RateLimiters build() {
      if (store == null) {
        throw new IllegalStateException("store is required: call store(...), e.g. store(InMemoryStore.create())");
      }
      return new DefaultRateLimiters(
          store, clock, limitCacheTtl, failureMode, sleeper, reservationTtl, tokenTtl);
    }

    static Duration requireNotNegative(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative: " + value);
      }
      return value;
    }

    static Duration requirePositiveSeconds(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(name + " must be at least one second: " + value);
      }
      return value;
    }
  }
}
