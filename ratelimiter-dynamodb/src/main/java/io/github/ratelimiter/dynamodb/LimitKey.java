package io.github.ratelimiter.dynamodb;

import java.util.Comparator;
import java.util.Objects;

/**
 * The key of a limit row: a (resource, account) pair. Two keys are equal only when both parts are: ("a", "bc") and
 * ("ab", "c") are different rows, as they are in DynamoDB. Ordered by resource, then account. Immutable.
 *
 * @param resourceName the limited resource
 * @param accountId the account
 */
public record LimitKey(String resourceName, String accountId) implements Comparable<LimitKey> {

  private static final Comparator<LimitKey> ORDER =
      Comparator.comparing(LimitKey::resourceName).thenComparing(LimitKey::accountId);

  /** Requires both parts. */
  public LimitKey {
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(accountId, "accountId");
  }

  @Override
  public int compareTo(LimitKey other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return "(" + resourceName + ", " + accountId + ")";
  }
}
