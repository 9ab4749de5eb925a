package io.github.ratelimiter.cli;

import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import java.math.BigDecimal;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations on the command line, read as the library reads its variables ({@link DynamoDbClients#parseDuration}:
 * {@code 1.5} seconds, {@code 500ms}, {@code 20s}, {@code 2m}, {@code 1h}, ISO), and written as people write them.
 */
final class Durations implements ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    try {
      return DynamoDbClients.parseDuration("the value", value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
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
}
