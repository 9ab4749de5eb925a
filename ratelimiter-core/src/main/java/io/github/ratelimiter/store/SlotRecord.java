package io.github.ratelimiter.store;

import java.util.Objects;

/**
 * One row of the non-fungible table: a slot of an account's capacity on a resource, held by a reservation or,
 * once {@code resourceId} is set, by a token.
 *
 * @param resourceName the limited resource
 * @param accountId the account
 * @param slot the slot number, stored as the row's {@code reservationId}
 * @param holder a unique id of the reservation that took the slot; every later write is conditioned on it, so a
 *     former holder never touches a slot that expired and was taken again
 * @param resourceId the resource that holds the token, or {@code null} while the row is a reservation
 * @param expirationTime when the row expires, epoch seconds (the table's TTL attribute)
 */
public record SlotRecord(
    String resourceName, String accountId, int slot, String holder, String resourceId, long expirationTime) {

  /** Validates the row. */
  public SlotRecord {
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(holder, "holder");
    if (slot < 0) {
      throw new IllegalArgumentException("slot must not be negative: " + slot);
    }
  }

  /** Whether the row is still live at {@code nowEpochSecond}: it expires at the start of its second. */
  public boolean liveAt(long nowEpochSecond) {
    return expirationTime > nowEpochSecond;
  }

  /** The partition key of the Python library's schema: resource name and account id. */
  public String coordinate() {
    return coordinate(resourceName, accountId);
  }

  /**
   * The partition key for (resource, account): {@code resourceName + ":" + accountId}. Resource names of
   * non-fungible limiters may not contain {@code ':'}, so the key splits back unambiguously at its first colon.
   */
  public static String coordinate(String resourceName, String accountId) {
    return resourceName + ":" + accountId;
  }
}
