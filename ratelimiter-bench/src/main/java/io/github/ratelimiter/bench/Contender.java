package io.github.ratelimiter.bench;

import io.github.ratelimiter.Limit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** One implementation under load: hands out deciders and counts the store requests it sent. */
interface Contender extends AutoCloseable {

  /** The id used in results: {@code ratelimiter}, {@code bucket4j}, {@code floor}. */
  String id();

  /** Whether it claims never to admit more than the exact bound (the floor is a fixed-window counter: it does not). */
  boolean claimsExactness();

  /** A decider for fresh buckets of one resource, each with {@code limit}. */
  Decider fungible(String resource, Limit limit);

  /**
   * A non-blocking decider for fresh buckets of one resource, each with {@code limit}, for the {@code async-*}
   * scenarios; {@code null} when this contender has no non-blocking path.
   */
  default AsyncDecider fungibleAsync(String resource, Limit limit) {
    return null;
  }

  /**
   * A decider for fresh buckets of one resource, each a quota of {@code limits} decided together (admitted only when
   * every limit admits); {@code null} when this contender has no such decision.
   */
  default Decider quota(String resource, List<Limit> limits) {
    return null;
  }

  /**
   * A decider that takes one permit of the key on {@code tenantResource} and one of the key {@code "all"} on
   * {@code sharedResource} together; {@code null} when this contender has no such decision.
   */
  default Decider twoKeys(String tenantResource, String sharedResource, Limit tenant, Limit shared) {
    return null;
  }

  /**
   * A decider that reserves an estimate of 100 of {@code limit} on the key, then settles an actual cost of 1 to 200
   * (drawn per call); {@code null} when this contender has no such protocol.
   */
  default Decider reserveSettle(String resource, Limit limit) {
    return null;
  }

  /** Requests sent so far, per operation (every HTTP attempt, retries included). */
  Map<String, Long> requests();

  @Override
  void close();

  /** Takes one permit for a key. Thread-safe. */
  @FunctionalInterface
  interface Decider {
    /** Returns whether the permit was admitted. */
    boolean decide(String key);
  }

  /** Takes one permit for a key without blocking the calling thread. Thread-safe. */
  @FunctionalInterface
  interface AsyncDecider {
    /** Starts the decision; the future completes with whether the permit was admitted. */
    CompletableFuture<Boolean> decide(String key);
  }
}
