package io.github.ratelimiter.store;

import java.util.Comparator;
import java.util.Objects;

/**
 * One row of the non-fungible table: a reservation or, once {@code resourceId} is set, a token.
 *
 * <p>Rows this library writes are <em>slots</em>: their {@code reservationId} is a slot number ({@code "0"},
 * {@code "1"}, ...) and they carry a {@code holder}. Rows another library wrote into the same table (any other
 * {@code reservationId}, no holder; see {@code docs/migrating-from-python.md}) are <em>foreign</em>: they count
 * toward the account's cap while live, and can be released, but are never written by this library.
 *
 * @param resourceName the limited resource
 * @param accountId the account
 * @param reservationId the row's sort key: a slot number for a slot, any other string for a foreign row
 * @param holder a unique id of the reservation that took the slot; every later write is conditioned on it, so a
 *     former holder never touches a slot that expired and was taken again; {@code null} for a foreign row
 * @param resourceId the resource that holds the token, or {@code null} while the row is a reservation
 * @param expirationTime when the row expires, epoch seconds (the table's TTL attribute)
 */
public record SlotRecord(String resourceName, String accountId, String reservationId, String holder,
    String resourceId, long expirationTime) {

  /** Slots first, by number; then foreign rows, by reservation id. */
  public static final Comparator<SlotRecord> ORDER = Comparator
      .comparing((SlotRecord row) -> row.slot() < 0)
      .thenComparingInt(SlotRecord::slot)
      .thenComparing(SlotRecord::reservationId);

  /** The largest slot number: caps are far below it. */
  private static final int MAX_SLOT = Integer.MAX_VALUE - 1;

  /** Validates the row. */
  public SlotRecord {
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(reservationId, "reservationId");
    if (reservationId.isEmpty()) {
      throw new IllegalArgumentException("reservationId must not be empty");
    }
  }

  /** A slot of this library: the reservation id of slot number {@code slot}, held by {@code holder}. */
  public static SlotRecord slot(String resourceName, String accountId, int slot, String holder, String resourceId,
      long expirationTime) {
    if (slot < 0) {
      throw new IllegalArgumentException("slot must not be negative: " + slot);
    }
    Objects.requireNonNull(holder, "holder");
    return new SlotRecord(resourceName, accountId, Integer.toString(slot), holder, resourceId, expirationTime);
  }

  /** Whether the row is still live at {@code nowEpochSecond}: it expires at the start of its second. */
  public boolean liveAt(long nowEpochSecond) {
    return expirationTime > nowEpochSecond;
  }

  /** Whether another library wrote the row: it has no holder, or its reservation id is not a slot number. */
  public boolean isForeign() {
    return holder == null || slot() < 0;
  }

  /**
   * The slot number when the reservation id is one in canonical form ({@code "0"}, {@code "17"}, not {@code "017"}
   * or {@code "+1"}), else -1. A foreign row with a numeric id still occupies that slot's key.
   */
  public int slot() {
    return slotNumber(reservationId);
  }

  /** The slot number that {@code reservationId} spells in canonical form, or -1. */
  public static int slotNumber(String reservationId) {
    int length = reservationId.length();
    if (length == 0 || length > 10 || (length > 1 && reservationId.charAt(0) == '0')) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < length; i++) {
      char c = reservationId.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value > MAX_SLOT ? -1 : (int) value;
  }

  /** The partition key: resource name and account id. */
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
