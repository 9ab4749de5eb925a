package io.github.ratelimiter.store;

import java.time.Duration;
import java.util.Objects;

/**
 * One row of the limit table: the limit of one account on one resource, and the service that owns the row.
 *
 * @param resourceName the limited resource
 * @param accountId the account
 * @param limit the limit, at least 0 (0 blocks the account)
 * @param window the refill window of a fungible limit, or {@code null} for a non-fungible limit, which has none
 * @param serviceName the service whose limits file owns this row, or {@code null} when it was set by hand
 * @param leasing whether this account's bucket is leased when it is hot ({@link io.github.ratelimiter.Leasing}),
 *     though its limiter does not lease every key: an operator's switch for one hot tenant, set in the limits file or
 *     with {@code ratelimiter limits set --leasing}; a fungible limit's only (a non-fungible limit has no bucket)
 */
public record LimitRecord(String resourceName, String accountId, long limit, Duration window, String serviceName,
    boolean leasing) {

  /** Validates the row. */
  public LimitRecord {
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(accountId, "accountId");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    if (window != null && (window.isNegative() || window.isZero())) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
  }

  /** A row that does not switch on leasing. */
  public LimitRecord(String resourceName, String accountId, long limit, Duration window, String serviceName) {
    this(resourceName, accountId, limit, window, serviceName, false);
  }
}
