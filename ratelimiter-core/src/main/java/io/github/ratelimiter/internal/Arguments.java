package io.github.ratelimiter.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Argument checks shared by every public entry point: each names the argument and the value. */
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
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (value.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(name + " must be at least one second: " + value);
    }
    return value;
  }
}
