package io.github.ratelimiter.store;

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

  /** Releases what the store owns (a client it created). The default does nothing. */
  @Override
  default void close() {}
}
