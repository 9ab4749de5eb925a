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

  /** Short human form: {@code 1.5s}, {@code 250ms}, {@code 0s}. */
  static String human(Duration duration) {
    if (duration.isZero()) {
      return "0s";
    }
    if (duration.compareTo(Duration.ofSeconds(1)) < 0) {
      BigDecimal ms = BigDecimal.valueOf(duration.toNanos(), 6).stripTrailingZeros();
      return ms.toPlainString() + "ms";
    }
    return seconds(duration).toPlainString() + "s";
  }
}
