package io.github.ratelimiter.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The argument checks of every public entry point (the limiters, {@code RateLimiters.Builder},
 * {@code LimiterOptions.Builder}, the {@code @RateLimit} proxy): each names the argument and the value.
 *
 * <p>A null id, count or duration is an {@link IllegalArgumentException} naming the argument ({@code "ttl must not be
 * null"}), like any other bad value of it: the contract suites pin this for account ids. A null collaborator (a
 * store, a clock, a listener, options) is {@link java.util.Objects#requireNonNull(Object, String)}'s
 * {@link NullPointerException} naming it, as in the JDK.
 */
public final class Arguments {

  /**
   * The longest id accepted, in UTF-8 bytes. DynamoDB allows 2048 bytes for a partition key and 1024 for a sort
   * key; 1024 for each id keeps every key the library builds (including {@code resource:account}) within both.
   */
  public static final int MAX_ID_BYTES = 1024;

  private Arguments() {}

  /** Requires a non-blank id of at most {@link #MAX_ID_BYTES} UTF-8 bytes. */
  public static String requireId(String name, String value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank: '" + value + "'");
    }
    if (value.length() <= MAX_ID_BYTES / 3) {
      return value; // at most 3 UTF-8 bytes per UTF-16 char (a surrogate pair is 4 bytes for 2 chars)
    }
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_ID_BYTES) {
      throw new IllegalArgumentException(name + " must be at most " + MAX_ID_BYTES + " UTF-8 bytes, was " + bytes
          + ": '" + value.substring(0, 40) + "...'");
    }
    return value;
  }

  /** Requires a count of at least one. */
  public static long requirePositive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1: " + value);
    }
    return value;
  }

  /** Requires a duration of at least one second. */
  public static Duration requireSeconds(String name, Duration value) {
    if (requireNonNullValue(name, value).compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(name + " must be at least one second: " + value);
    }
    return value;
  }

  /** Requires a positive duration. */
  public static Duration requirePositive(String name, Duration value) {
    if (requireNonNullValue(name, value).isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /** Requires a duration that is zero or positive. */
  public static Duration requireNotNegative(String name, Duration value) {
    if (requireNonNullValue(name, value).isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
    return value;
  }

  private static <T> T requireNonNullValue(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
