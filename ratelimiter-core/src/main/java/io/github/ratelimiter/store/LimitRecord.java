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
 */
public record LimitRecord(String resourceName, String accountId, long limit, Duration window, String serviceName) {

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
}
