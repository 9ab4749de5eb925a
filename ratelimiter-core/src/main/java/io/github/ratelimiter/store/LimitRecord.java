package io.github.ratelimiter.store;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One row of the limit table: the limits of one account on one resource, and the service that owns the row.
 *
 * <p>A row carries one limit ({@code limit} and {@code window}, the Python library's {@code limit} and
 * {@code windowSec}), and, for a quota of several limits, more limits by name ({@code moreLimits}, the attribute
 * {@code limits}, which the Python library does not read: it sees the first limit). A row may name the account's
 * parent ({@code parentAccountId}), whose limits a cascading limiter charges too
 * ({@link io.github.ratelimiter.LimiterOptions.Builder#cascade(boolean)}).
 *
 * @param resourceName the limited resource
 * @param accountId the account
 * @param limit the limit, at least 0 (0 blocks the account)
 * @param window the refill window of a fungible limit, or {@code null} for a non-fungible limit, which has none
 * @param serviceName the service whose limits file owns this row, or {@code null} when it was set by hand
 * @param leasing whether this account's bucket is leased when it is hot ({@link io.github.ratelimiter.Leasing}),
 *     though its limiter does not lease every key: an operator's switch for one hot tenant, set in the limits file or
 *     with {@code ratelimiter limits set --leasing}; a fungible limit's only (a non-fungible limit has no bucket)
 * @param limitName the first limit's name in the account's quota, or {@code null}: the name the limiter's default
 *     quota gives its first limit (a row with more limits must name it)
 * @param moreLimits the quota's other limits by name, in order (fungible rows only; each with a window); empty for
 *     a row of one limit
 * @param parentAccountId the account above this one (an organisation above a tenant), or {@code null}
 */
public record LimitRecord(String resourceName, String accountId, long limit, Duration window, String serviceName,
    boolean leasing, String limitName, Map<String, Limit> moreLimits, String parentAccountId) {

  /** Validates the row and copies the limits. */
  public LimitRecord {
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(accountId, "accountId");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    if (window != null && (window.isNegative() || window.isZero())) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    moreLimits = moreLimits == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(moreLimits));
    if (!moreLimits.isEmpty() && window == null) {
      throw new IllegalArgumentException("a row with several limits is fungible: its first limit needs a window ("
          + resourceName + "/" + accountId + ")");
    }
    if (!moreLimits.isEmpty() && limitName == null) {
      throw new IllegalArgumentException("a row with several limits names its first (limitName) too: "
          + resourceName + "/" + accountId + " has " + moreLimits.keySet());
    }
    if (accountId.equals(parentAccountId)) {
      throw new IllegalArgumentException("account '" + accountId + "' cannot be its own parent");
    }
  }

  /** A row of one limit and no parent. */
  public LimitRecord(String resourceName, String accountId, long limit, Duration window, String serviceName,
      boolean leasing) {
    this(resourceName, accountId, limit, window, serviceName, leasing, null, Map.of(), null);
  }

  /** A row of one limit, no parent, that does not switch on leasing. */
  public LimitRecord(String resourceName, String accountId, long limit, Duration window, String serviceName) {
    this(resourceName, accountId, limit, window, serviceName, false);
  }

  /**
   * The account's quota by this row: its first limit (named {@code limitName}, else {@code defaultFirstName}) and its
   * other limits; {@code null} for a non-fungible row (no window).
   */
  public Quota quota(String defaultFirstName) {
    if (window == null) {
      return null;
    }
    Quota.Builder quota = Quota.builder().limit(limitName != null ? limitName : defaultFirstName, Limit.of(limit,
        window));
    moreLimits.forEach(quota::limit);
    return quota.build();
  }
}
