package io.github.ratelimiter.store;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The limit rows: at most one per (resource, account). Thread-safe.
 *
 * <p>The reads a decision makes have twins ending in {@code Async}, as in {@link BucketStore}: the defaults answer
 * in process on the calling thread; a store that sends requests overrides them.
 */
public interface LimitStore {

  /**
   * The row for the account on the resource, read consistently, or empty when there is none, within
   * {@code deadline}: a store that sends requests bounds them by the time left and fails with {@link Deadline#passed}
   * rather than send one after it; a store that answers in process ignores it. Callers outside a decision pass
   * {@link Deadline#none()}.
   */
  Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline);

  /** {@link #find(String, String, Deadline)} without waiting. */
  default CompletableFuture<Optional<LimitRecord>> findAsync(String resourceName, String accountId,
      Deadline deadline) {
    return InProcess.call(() -> find(resourceName, accountId, deadline));
  }

  /** Writes the row, replacing any row with the same resource and account. */
  void put(LimitRecord record);

  /** Deletes the row; returns whether a row was there. */
  boolean delete(String resourceName, String accountId);

  /** Every row owned by the service, all pages, in no particular order. */
  List<LimitRecord> listByService(String serviceName);

  /** Every row of the resource, all pages, ordered by account. */
  List<LimitRecord> listByResource(String resourceName);

  /**
   * Every row of the resource, read consistently, if it has at most {@code atMost} rows; empty when it has more;
   * within {@code deadline}, as for {@link #find}. Limiters use this to learn a resource's overrides and its accounts
   * without one ("no row") in one read, which a store should answer with one request where it can. This default,
   * for a store that answers in process, lists all rows and counts them.
   */
  default Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
    List<LimitRecord> rows = listByResource(resourceName);
    return rows.size() <= atMost ? Optional.of(rows) : Optional.empty();
  }

  /** {@link #listByResource(String, int, Deadline)} without waiting. */
  default CompletableFuture<Optional<List<LimitRecord>>> listByResourceAsync(String resourceName, int atMost,
      Deadline deadline) {
    return InProcess.call(() -> listByResource(resourceName, atMost, deadline));
  }
}
