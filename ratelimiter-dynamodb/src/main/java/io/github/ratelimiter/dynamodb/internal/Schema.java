package io.github.ratelimiter.dynamodb.internal;

/** Attribute names of the three tables; the same as the Python library's, plus {@code tat}, {@code holder},
 * {@code leasing}, {@code limitName}, {@code limits} and {@code parentAccountId}. */
public final class Schema {
  private Schema() {}

  /** Token and limit tables' partition key. */
  public static final String RESOURCE_NAME = "resourceName";
  /** Token and limit tables' sort key. */
  public static final String ACCOUNT_ID = "accountId";
  /** Token table: the bucket's theoretical arrival time, epoch nanoseconds. */
  public static final String TAT = "tat";
  /** Limit table: the limit. A reserved word in DynamoDB expressions: always through a placeholder. */
  public static final String LIMIT = "limit";
  /** Limit table: the fungible window in seconds, a decimal. */
  public static final String WINDOW_SEC = "windowSec";
  /** Limit table: {@code true} on a row whose bucket is leased when hot (this library's only; absent otherwise). */
  public static final String LEASING = "leasing";
  /** Limit table: the first limit's name in the account's quota (this library's only; absent when unnamed). */
  public static final String LIMIT_NAME = "limitName";
  /**
   * Limit table: the quota's other limits, in order, a list of maps {@code {name, limit, windowSec}} (this library's
   * only; absent on a row of one limit). Not the limits file's top-level list.
   */
  public static final String LIMITS = "limits";
  /** A {@link #LIMITS} element's name. */
  public static final String NAME = "name";
  /** Limit table: the account above this one (this library's only; absent when the account has no parent). */
  public static final String PARENT_ACCOUNT_ID = "parentAccountId";
  /** Limit table: the owning service, and its index's key. */
  public static final String SERVICE_NAME = "serviceName";
  /** Non-fungible table's partition key: {@code resourceName:accountId}. */
  public static final String RESOURCE_COORDINATE = "resourceCoordinate";
  /** Non-fungible table's sort key: the slot number. */
  public static final String RESERVATION_ID = "reservationId";
  /** Non-fungible table: the token's resource, and its index's key. */
  public static final String RESOURCE_ID = "resourceId";
  /** Fungible and non-fungible tables: the TTL attribute, epoch seconds. */
  public static final String EXPIRATION_TIME = "expirationTime";
  /** Non-fungible table: the unique id of the reservation that holds the slot. */
  public static final String HOLDER = "holder";
}
