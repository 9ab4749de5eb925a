package io.github.ratelimiter.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/** Durations on the command line: {@code 1.5} (seconds), {@code 500ms}, {@code 20s}, {@code 2m}, {@code 1h}, ISO. */
final class Durations implements ITypeConverter<Duration> {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  static Duration parse(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(text);
    if (m.matches()) {
      BigDecimal number = new BigDecimal(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      BigDecimal nanosPerUnit = BigDecimal.valueOf(switch (unit) {
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        case "h" -> 3_600_000_000_000L;
        default -> 86_400_000_000_000L;
      });
      return Duration.ofNanos(number.multiply(nanosPerUnit).longValue());
    }
    try {
      return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a duration: '" + value + "' (e.g. 1.5, 500ms, 20s, 2m, 1h, PT20S)");
    }
  }

  /** Decimal seconds, as the limit table stores windows: {@code 1.5}. */
  static BigDecimal seconds(Duration duration) {
    return BigDecimal.valueOf(duration.getSeconds()).add(BigDecimal.valueOf(duration.getNano(), 9))
        .stripTrailingZeros();
  }

  /**
   * As people write it, in the largest unit that keeps it whole: {@code 1s}, {@code 1.5s}, {@code 10m}, {@code 2h},
   * {@code 1d}, {@code 250ms}, {@code 0s} ({@code 90s} stays seconds).
   */
  static String human(Duration duration) {
    if (duration.isZero()) {
      return "0s";
    }
    if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
      BigDecimal ms = BigDecimal.valueOf(duration.toNanos(), 6).stripTrailingZeros();
      return ms.toPlainString() + "ms";
    }
    if (duration.getNano() == 0) {
      long seconds = duration.getSeconds();
      if (seconds % 86_400 == 0) {
        return seconds / 86_400 + "d";
      }
      if (seconds % 3_600 == 0) {
        return seconds / 3_600 + "h";
      }
      if (seconds % 60 == 0) {
        return seconds / 60 + "m";
      }
    }
    return seconds(duration).toPlainString() + "s";
  }

  /** A limit as people say it: {@code 50 per 1s}, {@code 3 per 10m}. */
  static String human(io.github.ratelimiter.Limit limit) {
    return limit.limit() + " per " + human(limit.window());
  }
}
