package io.github.ratelimiter.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The non-fungible rows. Every write is a single-item conditional write, so the cap holds exactly without
 * transactions. Rows another library wrote into the same table ({@link SlotRecord#isForeign() foreign} rows) are
 * listed and found like slots, and can be deleted, but are never claimed or updated. Thread-safe.
 *
 * <p>Each call has a twin ending in {@code Async}, as in {@link BucketStore}: the defaults answer in process on the
 * calling thread; a store that sends requests overrides them.
 */
public interface SlotStore {

  /**
   * Every row of (resource, account), expired and foreign ones included, read consistently, all pages, in
   * {@link SlotRecord#ORDER}, within {@code deadline}: a store that sends requests bounds them by the time left and
   * fails with {@link Deadline#passed} rather than send one after it; a store that answers in process ignores it.
   * Callers outside a decision pass {@link Deadline#none()}.
   */
  List<SlotRecord> list(String resourceName, String accountId, Deadline deadline);

  /**
   * Writes the row if its key is free at {@code nowEpochSecond}: absent, or expired; within {@code deadline}, as
   * for {@link #list}.
   *
   * @return whether the row was written; false when a live row holds the key
   */
  boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline);

  /**
   * Replaces the row if its slot is still held by {@code row.holder()} and live at {@code nowEpochSecond}.
   *
   * @return whether the row was replaced; false when the holder lost the slot
   */
  boolean update(SlotRecord row, long nowEpochSecond);

  /**
   * Deletes the row if it is still the same row: for a slot, still held by {@code row.holder()} and, when
   * {@code row.resourceId()} is set, still carrying that resource id; for a foreign row, still without a holder and
   * carrying {@code row.resourceId()} (a foreign row without a resource id is never deleted).
   *
   * @return whether a row was deleted
   */
  boolean delete(SlotRecord row);

  /** The rows that carry the resource id (through the table's resource index), expired and foreign ones included. */
  List<SlotRecord> findByResourceId(String resourceId);

  /**
   * Whether each call is a request to a server (DynamoDB) rather than an answer in process. Limiters then let the
   * reservations of one process that need a listing of an account while one is in flight share the next listing
   * (sent after they asked, so as fresh as their own), rather than each send one. The default, false, suits a store
   * in process.
   */
  default boolean remote() {
    return false;
  }

  /** {@link #list(String, String, Deadline)} without waiting. */
  default CompletableFuture<List<SlotRecord>> listAsync(String resourceName, String accountId, Deadline deadline) {
    return InProcess.call(() -> list(resourceName, accountId, deadline));
  }

  /** {@link #claim(SlotRecord, long, Deadline)} without waiting. */
  default CompletableFuture<Boolean> claimAsync(SlotRecord row, long nowEpochSecond, Deadline deadline) {
    return InProcess.call(() -> claim(row, nowEpochSecond, deadline));
  }

  /** {@link #update(SlotRecord, long)} without waiting. */
  default CompletableFuture<Boolean> updateAsync(SlotRecord row, long nowEpochSecond) {
    return InProcess.call(() -> update(row, nowEpochSecond));
  }

  /** {@link #delete(SlotRecord)} without waiting. */
  default CompletableFuture<Boolean> deleteAsync(SlotRecord row) {
    return InProcess.call(() -> delete(row));
  }

  /** {@link #findByResourceId(String)} without waiting. */
  default CompletableFuture<List<SlotRecord>> findByResourceIdAsync(String resourceId) {
    return InProcess.call(() -> findByResourceId(resourceId));
  }
}
