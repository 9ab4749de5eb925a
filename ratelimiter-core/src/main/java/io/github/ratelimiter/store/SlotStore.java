package io.github.ratelimiter.store;

import java.util.List;

/**
 * The non-fungible slots. Every write is a single-item conditional write, so the cap holds exactly without
 * transactions. Thread-safe.
 */
public interface SlotStore {

  /** Every row of (resource, account), expired ones included, read consistently, all pages, ordered by slot. */
  List<SlotRecord> list(String resourceName, String accountId);

  /**
   * Writes the row if its slot is free at {@code nowEpochSecond}: absent, or expired.
   *
   * @return whether the slot was taken; false when another holder has it
   */
  boolean claim(SlotRecord row, long nowEpochSecond);

  /**
   * Replaces the row if its slot is still held by {@code row.holder()} and live at {@code nowEpochSecond}.
   *
   * @return whether the row was replaced; false when the holder lost the slot
   */
  boolean update(SlotRecord row, long nowEpochSecond);

  /**
   * Deletes the row if its slot is still held by {@code row.holder()} and, when {@code row.resourceId()} is set,
   * still carries that resource id.
   *
   * @return whether a row was deleted
   */
  boolean delete(SlotRecord row);

  /** The rows that carry the resource id (through the table's resource index), expired ones included. */
  List<SlotRecord> findByResourceId(String resourceId);
}
