package io.github.ratelimiter.dynamodb.client.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The library's one reading of durations written as text: the client's timeout variables and the command-line
 * tool's flags ({@code --window}, {@code --default-window}, {@code --duration}), through
 * {@code DynamoDbClients.parseDuration}. A decimal number with a unit ({@code 250ms}, {@code 1.5s}, {@code 2m},
 * {@code 1h}, {@code 1d}), a bare number of seconds ({@code 90}, as the limit table's {@code windowSec} and the
 * Python library count), or ISO-8601 ({@code PT0.2S}); case and spaces around the number do not matter.
 */
public final class DurationText {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");
  private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);

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
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        BigDecimal seconds = switch (unit) {
          case "ms" -> amount.movePointLeft(3);
          case "s" -> amount;
          case "m" -> amount.multiply(BigDecimal.valueOf(60));
          case "h" -> amount.multiply(BigDecimal.valueOf(3_600));
          default -> amount.multiply(BigDecimal.valueOf(86_400));
        };
        BigInteger[] secondsAndNanos =
            seconds.movePointRight(9).toBigIntegerExact().divideAndRemainder(NANOS_PER_SECOND);
        duration = Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValue());
      } else {
        duration = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
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
