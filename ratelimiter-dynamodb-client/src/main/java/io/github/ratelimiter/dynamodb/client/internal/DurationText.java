package io.github.ratelimiter.dynamodb.client.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in configuration: {@code 200ms}, {@code 1s}, {@code 1.5s}, {@code 2m}, or ISO-8601. */
public final class DurationText {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)");

  private DurationText() {}

  /**
   * The positive duration {@code text} names.
   *
   * @throws IllegalArgumentException if it is not one, naming {@code name} and the text
   */
  public static Duration parse(String name, String text) {
    String trimmed = text.trim().toLowerCase(Locale.ROOT);
    Duration duration;
    Matcher matcher = SIMPLE.matcher(trimmed);
    try {
      if (matcher.matches()) {
        BigDecimal amount = new BigDecimal(matcher.group(1));
        BigDecimal millis = switch (matcher.group(2)) {
          case "ms" -> amount;
          case "s" -> amount.movePointRight(3);
          default -> amount.multiply(BigDecimal.valueOf(60_000));
        };
        duration = Duration.ofNanos(millis.movePointRight(6).longValueExact());
      } else {
        duration = Duration.parse(text.trim());
      }
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(name + " must be a duration such as 200ms, 1s or PT0.2S: '" + text + "'", e);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: '" + text + "'");
    }
    return duration;
  }
}
