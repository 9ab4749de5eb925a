package io.github.ratelimiter.store;

import java.util.List;
import java.util.Optional;

/**
 * The limit rows: at most one per (resource, account). Thread-safe.
 */
public interface LimitStore {

  /** The row for the account on the resource, read consistently, or empty when there is none. */
  Optional<LimitRecord> find(String resourceName, String accountId);

  /**
   * {@link #find(String, String)} within a decision's {@code deadline}: a store that sends requests bounds them by
   * the time left and fails with {@link Deadline#passed} rather than send one after it. The default ignores the
   * deadline, which is right for a store that answers in process.
   */
  default Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
    return find(resourceName, accountId);
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
   * Every row of the resource, read consistently, if it has at most {@code atMost} rows; empty when it has more.
   * Limiters use this to learn a resource's overrides and its accounts without one ("no row") in one read, which a
   * store should answer with one request where it can. This default lists all rows and counts them.
   */
  default Optional<List<LimitRecord>> listByResource(String resourceName, int atMost) {
    List<LimitRecord> rows = listByResource(resourceName);
    return rows.size() <= atMost ? Optional.of(rows) : Optional.empty();
  }

  /**
   * {@link #listByResource(String, int)} within a decision's {@code deadline}, as for
   * {@link #find(String, String, Deadline)}.
   */
  default Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
    return listByResource(resourceName, atMost);
  }
}
