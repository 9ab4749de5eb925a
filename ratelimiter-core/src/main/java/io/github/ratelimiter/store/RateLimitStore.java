package io.github.ratelimiter.store;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.StoreHealth;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Where limiters keep their shared state: limit rows, fungible buckets and non-fungible slots.
 *
 * <p>This is the service-provider interface behind {@link io.github.ratelimiter.RateLimiters}; applications pick
 * an implementation ({@link InMemoryStore}, or {@code DynamoDbStore} from {@code ratelimiter-dynamodb}) and hand it to
 * the builder, and only store authors implement it. Every implementation must pass the contract suite in
 * {@code ratelimiter-testing}. Implementations are thread-safe.
 *
 * <p>Implementations report failures as {@link io.github.ratelimiter.RateLimiterException} (with the store's own
 * exception as the cause) and never let a store client's exception type escape.
 */
public interface RateLimitStore extends AutoCloseable {

  /** The limit rows: per (resource, account) limits, loaded per service. */
  LimitStore limits();

  /** The fungible token buckets. */
  BucketStore buckets();

  /** The non-fungible slots. */
  SlotStore slots();

  /**
   * A view of this store over the same state and client that reports each request it sends to {@code listener}
   * ({@link RateLimiterListener#onStoreRequest}). {@link io.github.ratelimiter.RateLimiters} calls this once with
   * its listeners; closing the view is closing this store. The default returns this store: a store that sends no
   * requests (in memory) has nothing to report.
   */
  default RateLimitStore withListener(RateLimiterListener listener) {
    return this;
  }

  /**
   * Whether the store answers and its tables exist, for {@link io.github.ratelimiter.RateLimiters#check()}. Never
   * throws for a store failure: a failure is a failed check with the error in its detail. The default reports
   * healthy: an in-process store always answers.
   */
  default StoreHealth check() {
    return StoreHealth.of(List.of(new StoreHealth.Check("store", true, getClass().getSimpleName() + " in process")));
  }

  /**
   * The decision timeout that limiters on this store use unless {@link
   * io.github.ratelimiter.RateLimiters.Builder#decisionTimeout} or {@link io.github.ratelimiter.LimiterOptions} set
   * one: the longest a decision should wait for this store, every call and wait included (see {@link Deadline}).
   * Empty, the default, means unbounded, which is right for a store that answers in process.
   */
  default Optional<Duration> decisionTimeout() {
    return Optional.empty();
  }

  /** Releases what the store owns (a client it created). The default does nothing. */
  @Override
  default void close() {}
}
