package io.github.ratelimiter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answer of {@link RateLimiters#check()}: whether the store answers and every table the limiters use exists,
 * for a health endpoint. Immutable and thread-safe.
 *
 * @param healthy whether every check passed
 * @param checks each check, in the order made (e.g. one per table)
 */
public record StoreHealth(boolean healthy, List<Check> checks) {

  /**
   * One check.
   *
   * @param name what was checked, e.g. {@code fungible table}
   * @param ok whether it passed
   * @param detail what was found, for people: e.g. {@code 'prod-fungible' ACTIVE}, or the error
   */
  public record Check(String name, boolean ok, String detail) {
    /** Validates the fields. */
    public Check {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /** Validates the fields and copies the list. */
  public StoreHealth {
    checks = List.copyOf(checks);
  }

  /** The health of {@code checks}: healthy when every one passed. */
  public static StoreHealth of(List<Check> checks) {
    return new StoreHealth(checks.stream().allMatch(Check::ok), checks);
  }

  /** Each check's detail by its name, prefixed {@code "ok: "} or {@code "FAILED: "}, in order. */
  public Map<String, String> details() {
    Map<String, String> details = new LinkedHashMap<>();
    for (Check check : checks) {
      details.put(check.name(), (check.ok() ? "ok: " : "FAILED: ") + check.detail());
    }
    return details;
  }
}
