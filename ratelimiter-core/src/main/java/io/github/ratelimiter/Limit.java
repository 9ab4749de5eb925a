package io.github.ratelimiter;

import java.time.Duration;
import java.util.Objects;

/**
 * A fungible limit: at most {@code limit} permits at once, refilled continuously at {@code limit / window}.
 *
 * <p>{@code Limit.of(10, Duration.ofSeconds(1))} lets a full bucket grant 10 permits in a burst and then one every
 * 100 ms. A limit of 0 blocks the account. Immutable and thread-safe.
 *
 * @param limit the bucket's capacity, from 0 to {@link #MAX_LIMIT}
 * @param window the time in which an empty bucket refills completely, positive
 */
public record Limit(long limit, Duration window) {

  /** The largest limit accepted: far beyond any real rate, and safe for the nanosecond arithmetic. */
  public static final long MAX_LIMIT = 1_000_000_000_000L;

  /** The longest window accepted: ten years, far inside what epoch nanoseconds can carry. */
  public static final Duration MAX_WINDOW = Duration.ofDays(3653);

  /** Validates the limit; see {@link #of(long, Duration)}. */
  public Limit {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    if (limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be at most " + MAX_LIMIT + ": " + limit);
    }
    Objects.requireNonNull(window, "window");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    if (window.compareTo(MAX_WINDOW) > 0) {
      throw new IllegalArgumentException("window must be at most " + MAX_WINDOW + ": " + window);
    }
  }

  /**
   * Creates a limit.
   *
   * @throws IllegalArgumentException if {@code limit} is negative or {@code window} is not positive
   */
  public static Limit of(long limit, Duration window) {
    return new Limit(limit, window);
  }

  /** Whether this limit blocks every request. */
  public boolean blocks() {
    return limit == 0;
  }

  /** As people write it: {@code 50 per 1s}, {@code 3 per 10m}, {@code 100 per 1.5s}, {@code 5 per 250ms}. */
  @Override
  public String toString() {
    return limit + " per " + windowText(window);
  }

  /** A window as {@link #toString()} writes it ({@code 1s}, {@code 10m}, {@code 250ms}): a quota's default name. */
  static String windowText(Duration window) {
    long seconds = window.getSeconds();
    if (window.getNano() == 0) {
      for (long[] unit : new long[][] {{86_400, 'd'}, {3_600, 'h'}, {60, 'm'}, {1, 's'}}) {
        if (seconds % unit[0] == 0) {
          return seconds / unit[0] + String.valueOf((char) unit[1]);
        }
      }
    }
    if (seconds == 0 && window.getNano() % 1_000_000 == 0) {
      return window.getNano() / 1_000_000 + "ms";
    }
    return java.math.BigDecimal.valueOf(seconds).add(java.math.BigDecimal.valueOf(window.getNano(), 9))
        .stripTrailingZeros().toPlainString() + "s";
  }
}
