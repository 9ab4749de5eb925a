package io.github.ratelimiter;

import io.github.ratelimiter.internal.Arguments;
import io.github.ratelimiter.internal.DefaultRateLimiters;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

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
 * <p>There is one limiter per (kind, resource name): asking again with the same settings returns the same instance,
 * so {@code limiters.fungible("api", limit).tryAcquire(account)} per request is fine. What a limiter answers when the
 * store fails is its {@link FailureMode} (the builder's, or its own through {@link LimiterOptions}); what limiters
 * decide and ask the store is heard by the {@link RateLimiterListener}s given to {@link Builder#listener}, and
 * {@link #check()} is the health probe.
 *
 * <p>Thread-safe. Create one per application and close it at shutdown: closing closes the store.
 */
public interface RateLimiters extends AutoCloseable {

  /**
   * A builder with the defaults: system UTC clock, 30 s limit cache, fail closed, no listener. A store must be set.
   */
  static Builder builder() {
    return new Builder();
  }

  /** Limiters on a fresh {@link InMemoryStore}, for tests and single-process use. */
  static RateLimiters inMemory() {
    return builder().store(InMemoryStore.create()).build();
  }

  /**
   * The fungible limiter (token bucket) on the resource, with {@code defaultLimit} for accounts that have no row in
   * the limit table, and every other setting from this {@code RateLimiters}. Same as
   * {@link #fungible(String, Limit, LimiterOptions) fungible(resourceName, defaultLimit, LimiterOptions.defaults())}.
   *
   * @throws IllegalArgumentException if {@code resourceName} is blank or longer than 1024 UTF-8 bytes, or a fungible
   *     limiter of that name was already handed out with another default limit or options
   */
  default FungibleLimiter fungible(String resourceName, Limit defaultLimit) {
    return fungible(resourceName, defaultLimit, LimiterOptions.defaults());
  }

  /**
   * The fungible limiter (token bucket) on the resource, with {@code defaultLimit} for accounts that have no row in
   * the limit table, and {@code options} over this {@code RateLimiters}' settings.
   *
   * <p>There is one fungible limiter per resource name: the first call makes it, every later call with an equal
   * default limit and equal options returns that same instance, so calling this per request
   * ({@code limiters.fungible("api", limit).tryAcquire(account)}) costs a map lookup and keeps the limiter's cache
   * of what it last saw of each bucket (which is what answers a denial without a store request). A later call with
   * a different default limit or different options throws {@link IllegalArgumentException} naming both, rather
   * than silently returning a limiter that is not what the caller asked for.
   *
   * @throws IllegalArgumentException if {@code resourceName} is blank or longer than 1024 UTF-8 bytes, or a fungible
   *     limiter of that name was already handed out with another default limit or options
   */
  default FungibleLimiter fungible(String resourceName, Limit defaultLimit, LimiterOptions options) {
    return fungible(resourceName, Quota.of(Objects.requireNonNull(defaultLimit, "defaultLimit")), options);
  }

  /**
   * The fungible limiter on the resource with several limits decided together ({@link Quota}): a request is
   * admitted only when every limit admits it, in one store write per decision. Same as
   * {@link #fungible(String, Quota, LimiterOptions)} with {@link LimiterOptions#defaults()}.
   *
   * @throws IllegalArgumentException as {@link #fungible(String, Limit)}
   */
  default FungibleLimiter fungible(String resourceName, Quota defaultQuota) {
    return fungible(resourceName, defaultQuota, LimiterOptions.defaults());
  }

  /**
   * The fungible limiter on the resource with {@code defaultQuota} for accounts that have no row in the limit table
   * (an account's row replaces the quota's first limit), and {@code options} over this {@code RateLimiters}'
   * settings. One per resource name, as for {@link #fungible(String, Limit, LimiterOptions)}; a {@link Limit} is a
   * quota of one ({@link Quota#of(Limit)}), so asking for the same resource once with a limit and once with the
   * quota of that limit returns the same limiter. Leasing ({@link LimiterOptions#leasing()}) leases a quota's
   * keys too: a chunk is a slice of every limit's timeline, taken by one write, and fits every limit of the quota.
   *
   * @throws IllegalArgumentException as {@link #fungible(String, Limit)}
   */
  FungibleLimiter fungible(String resourceName, Quota defaultQuota, LimiterOptions options);

  /**
   * Decides several keys together: admitted only when every key admits its ask, and then charged on every key; when
   * one denies, nothing stays charged anywhere. For a tenant within its organisation's budget, or a tenant and a
   * resource-wide budget, in one decision:
   *
   * <pre>{@code
   * JointDecision d = limiters.tryAcquireAll(List.of(perTenant.ask(tenant), upstream.ask("all")));
   * if (d.denied()) return tooManyRequests(d.decision().retryAfter());
   * }</pre>
   *
   * <p>Keys are charged one store write each, in a fixed order (by resource name, then account), so two decisions on
   * overlapping keys cannot starve each other; a key charged before a denial is refunded with one more write. A
   * refund returns only the part of the charge that still lies ahead of now on the bucket's timeline (the slots
   * already passed are forfeited), so it can never create credit the bucket did not have: a concurrent observer sees
   * at most under-admission, never over-admission. Keys with leasing are charged directly here. A store failure
   * follows the failing key's failure mode; keys already charged are refunded first.
   *
   * @param asks one per key, from {@link FungibleLimiter#ask(String)}, of limiters handed out by this
   *     {@code RateLimiters}
   * @throws IllegalArgumentException if {@code asks} is empty, holds a null, or an ask of another
   *     {@code RateLimiters}' limiter, or an ask's cost cannot be taken (as {@link FungibleLimiter#tryAcquire(String,
   *     Cost)})
   * @throws RateLimiterException if the store fails and the failing key's failure mode is
   *     {@link FailureMode#FAIL_CLOSED}
   */
  JointDecision tryAcquireAll(List<Ask> asks);

  /**
   * {@link #tryAcquireAll} without blocking: the same keys charged in the same order, one write each, each key's
   * write sent when the one before it has answered, and the same refunds on a denial; the decision as a future, as
   * the limiters' non-blocking views give theirs ({@link AsyncFungibleLimiter}: bounded by each key's deadline,
   * completed on the {@link Builder#asyncExecutor executor} when it waited for the store).
   *
   * @throws IllegalArgumentException at once if {@code asks} is empty, holds a null, or an ask of another
   *     {@code RateLimiters}' limiter
   */
  CompletableFuture<JointDecision> tryAcquireAllAsync(List<Ask> asks);

  /**
   * The non-fungible limiter on the resource: at most {@code defaultLimit} live reservations and tokens per account,
   * unless the limit table says otherwise for the account (its {@code limit}; the window is not used). Same as
   * {@link #nonFungible(String, long, LimiterOptions)} with {@link LimiterOptions#defaults()}.
   *
   * @throws IllegalArgumentException if {@code resourceName} is blank, too long or contains {@code ':'},
   *     {@code defaultLimit} is negative, or a non-fungible limiter of that name was already handed out with another
   *     default limit or options
   */
  default NonFungibleLimiter nonFungible(String resourceName, long defaultLimit) {
    return nonFungible(resourceName, defaultLimit, LimiterOptions.defaults());
  }

  /**
   * The non-fungible limiter on the resource, with {@code options} over this {@code RateLimiters}' settings. One per
   * resource name, as for {@link #fungible(String, Limit, LimiterOptions)}: an equal request returns the same
   * instance, a conflicting one throws. (A fungible and a non-fungible limiter may share a name: they keep their
   * state in different tables.)
   *
   * @throws IllegalArgumentException if {@code resourceName} is blank, too long or contains {@code ':'},
   *     {@code defaultLimit} is negative, or a non-fungible limiter of that name was already handed out with another
   *     default limit or options
   */
  NonFungibleLimiter nonFungible(String resourceName, long defaultLimit, LimiterOptions options);

  /**
   * Asks the store whether it answers and every table exists, for a health endpoint. Sends a few cheap requests
   * (on DynamoDB one DescribeTable per table); never throws for a store failure, which is a failed check with the
   * error in its detail.
   */
  StoreHealth check();

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

  /**
   * Configures {@link RateLimiters}. Not thread-safe; each setter fails fast on a bad value, naming it: a null
   * collaborator (store, clock, failure mode, sleeper, listener) with a {@link NullPointerException}, a null or
   * out-of-range duration with an {@link IllegalArgumentException}, as every argument check of the library does.
   */
  final class Builder {
    private RateLimitStore store;
    private Clock clock = Clock.systemUTC();
    private Duration limitCacheTtl = Duration.ofSeconds(30);
    private FailureMode failureMode = FailureMode.FAIL_CLOSED;
    private Sleeper sleeper = Sleeper.SYSTEM;
    private Duration reservationTtl = Duration.ofSeconds(300);
    private Duration tokenTtl = Duration.ofHours(8);
    private Duration decisionTimeout;
    private final List<RateLimiterListener> listeners = new ArrayList<>();
    private Executor asyncExecutor = ForkJoinPool.commonPool();

    private Builder() {}

    /** The store (required). */
    public Builder store(RateLimitStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * The clock that says now; default {@link Clock#systemUTC()}. Any clock is read on every decision, except the
     * JDK's system clock (in any zone), which the fungible limiters read faster as {@link System#nanoTime()} plus its
     * offset from that clock, taken again every millisecond: the same time within tens of nanoseconds, a stepped
     * wall clock followed within a millisecond.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long limit rows (and the absence of a row) are cached; default 30 s. Zero disables the cache: every
     * decision then reads its account's row first, which doubles its cost.
     *
     * @throws IllegalArgumentException if {@code ttl} is null or negative
     */
    public Builder limitCacheTtl(Duration ttl) {
      this.limitCacheTtl = Arguments.requireNotNegative("limitCacheTtl", ttl);
      return this;
    }

    /**
     * What a decision answers when the store fails, for every limiter whose {@link LimiterOptions} set no mode of
     * their own; default {@link FailureMode#FAIL_CLOSED}.
     */
    public Builder failureMode(FailureMode mode) {
      this.failureMode = Objects.requireNonNull(mode, "failureMode");
      return this;
    }

    /** How {@link FungibleLimiter#acquire(String, long, Duration)} waits; default {@link Sleeper#SYSTEM}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * How long a non-fungible reservation lives unless turned into a token; default 300 s.
     *
     * @throws IllegalArgumentException if {@code ttl} is null or shorter than one second
     */
    public Builder reservationTtl(Duration ttl) {
      this.reservationTtl = Arguments.requireSeconds("reservationTtl", ttl);
      return this;
    }

    /**
     * How long a non-fungible token lives unless renewed or released; default 8 h.
     *
     * @throws IllegalArgumentException if {@code ttl} is null or shorter than one second
     */
    public Builder tokenTtl(Duration ttl) {
      this.tokenTtl = Arguments.requireSeconds("tokenTtl", ttl);
      return this;
    }

    /**
     * The longest one decision may take, whatever the store does, for every limiter whose {@link LimiterOptions}
     * set no timeout of their own. A decision's store calls (with the client's retries and backoff) and its waits
     * for other threads' calls on the same bucket or slots all fit in this one timeout, however many threads ask:
     * each call is sent with what is left of it, and when nothing is left the decision fails as a store failure
     * would (the {@link FailureMode} applies). Default: the store's {@link RateLimitStore#decisionTimeout()}, which
     * for {@code DynamoDbStore} is its client's call timeout (1 s for clients from {@code DynamoDbClients}), and
     * unbounded in memory.
     *
     * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
     */
    public Builder decisionTimeout(Duration timeout) {
      this.decisionTimeout = Arguments.requirePositive("decisionTimeout", timeout);
      return this;
    }

    /**
     * Adds a listener that hears every decision, store request and limit refresh of these limiters (see
     * {@link RateLimiterListener}); may be called more than once, each listener hearing everything, in the order
     * added. None by default, which costs nothing.
     */
    public Builder listener(RateLimiterListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Where the non-blocking views ({@link FungibleLimiter#async()}, {@link NonFungibleLimiter#async()}) complete a
     * future that waited for the store, so that callbacks chained on it never run on the store client's I/O
     * threads; default {@link ForkJoinPool#commonPool()}. A future decided in process completes at once on the
     * calling thread instead. Pass a framework's scheduler to stay on it (for Reactor, {@code
     * Schedulers.parallel()::schedule}), or {@code Runnable::run} to continue on the client's thread (only when every
     * callback is short and never blocks).
     */
    public Builder asyncExecutor(Executor executor) {
      this.asyncExecutor = Objects.requireNonNull(executor, "asyncExecutor");
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
      return new DefaultRateLimiters(store, clock, limitCacheTtl, failureMode, sleeper, reservationTtl, tokenTtl,
          decisionTimeout == null ? store.decisionTimeout().orElse(null) : decisionTimeout, List.copyOf(listeners),
          asyncExecutor);
    }
  }
}
