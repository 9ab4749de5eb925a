package io.github.ratelimiter;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How much one request takes from each limit of a {@link Quota}, by the limits' names: 1 request and 800 tokens,
 * say. A limit the cost does not name is charged 0, and does not stand in the request's way.
 *
 * <pre>{@code
 * Cost.permits(3)                                     // 3 from every limit
 * Cost.of("tokens", 800)                              // 800 from "tokens", nothing from the others
 * Cost.of(Map.of("requests", 1L, "tokens", 800L))     // both
 * }</pre>
 *
 * <p>A limiter checks a cost against its quota before any store request: a name the quota does not have, or an
 * amount larger than its limit could ever grant, is an {@link IllegalArgumentException}. Immutable and thread-safe.
 */
public final class Cost {

  /** The amount of every limit for {@link #permits(long)}, or -1 when the amounts are by name. */
  private final long everyLimit;
  /** The amounts by name (positive, in the order given), empty for {@link #permits(long)}. */
  private final Map<String, Long> amounts;

  private Cost(long everyLimit, Map<String, Long> amounts) {
    this.everyLimit = everyLimit;
    this.amounts = amounts;
  }

  /**
   * {@code n} permits from every limit of the quota.
   *
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public static Cost permits(long n) {
    if (n < 1) {
      throw new IllegalArgumentException("permits must be at least 1: " + n);
    }
    return new Cost(n, Map.of());
  }

  /**
   * {@code amount} from the limit named {@code name}, nothing from the others.
   *
   * @throws IllegalArgumentException if {@code name} is blank or {@code amount < 1}
   */
  public static Cost of(String name, long amount) {
    return of(Map.of(requireName(name), amount));
  }

  /**
   * These amounts from the limits so named, nothing from the others. An amount of 0 is allowed for a name (it
   * charges nothing), but some amount must be positive.
   *
   * @throws IllegalArgumentException if {@code amounts} is empty, a name is blank, an amount is negative or null,
   *     or every amount is 0
   */
  public static Cost of(Map<String, Long> amounts) {
    Objects.requireNonNull(amounts, "amounts");
    Map<String, Long> copy = new LinkedHashMap<>();
    boolean positive = false;
    for (Map.Entry<String, Long> entry : new TreeMap<>(amounts).entrySet()) {
      String name = requireName(entry.getKey());
      Long amount = entry.getValue();
      if (amount == null || amount < 0) {
        throw new IllegalArgumentException("the cost of limit '" + name + "' must be 0 or more: " + amount);
      }
      positive |= amount > 0;
      copy.put(name, amount);
    }
    if (!positive) {
      throw new IllegalArgumentException("a cost must charge some limit more than 0: " + amounts);
    }
    return new Cost(-1, java.util.Collections.unmodifiableMap(copy));
  }

  private static String requireName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a limit's name must not be blank: " + (name == null ? null : "'" + name
          + "'"));
    }
    return name;
  }

  /** What this cost takes from the limit named {@code name}: 0 when it does not name it. */
  public long amount(String name) {
    if (everyLimit >= 0) {
      return everyLimit;
    }
    Long amount = amounts.get(name);
    return amount == null ? 0 : amount;
  }

  /** The amounts by name, or empty for {@link #permits(long)} (the same from every limit). */
  public Map<String, Long> amounts() {
    return amounts;
  }

  /** Whether this is {@link #permits(long)}: the same amount from every limit. */
  public boolean uniform() {
    return everyLimit >= 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cost other && everyLimit == other.everyLimit && amounts.equals(other.amounts);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(everyLimit) * 31 + amounts.hashCode();
  }

  @Override
  public String toString() {
    return everyLimit >= 0 ? everyLimit + " permits" : amounts.toString();
  }
}
