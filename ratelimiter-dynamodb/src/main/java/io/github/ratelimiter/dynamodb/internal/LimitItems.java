package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.LEASING;
import static io.github.ratelimiter.dynamodb.internal.Schema.LIMIT;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.WINDOW_SEC;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.dynamodb.LimitKey;
import io.github.ratelimiter.store.LimitRecord;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The one codec of a limit row: its key, the item written, and how an item is read. Used by the limiter's reads
 * ({@link DynamoDbLimits}), the loader and the CLI, so every writer writes what the Python library reads and every
 * reader reads what either library wrote.
 *
 * <ul>
 *   <li><b>Written:</b> {@code resourceName}, {@code accountId}, {@code limit} (an integer), {@code windowSec} (an
 *       integer number of seconds, {@code 0} for a row without a window, as the Python loader writes it) and
 *       {@code serviceName} when set; {@code leasing} ({@code true}) only on a row that switches leasing on, so
 *       every other row is exactly what the Python loader writes. A window that is not a whole number of seconds is refused: the Python
 *       library reads {@code windowSec} as {@code int(...)} (1.5 s would be 1 s, 0.5 s a division by zero).
 *   <li><b>Read:</b> {@code windowSec} absent or {@code 0} means "no window"; a decimal {@code windowSec} (an older
 *       row of this library) is read exactly. A row with a negative, non-integer or missing {@code limit}, or a
 *       negative window, cannot be read as a limit.
 * </ul>
 */
public final class LimitItems {

  private LimitItems() {}

  /**
   * A stored row: its key, its owner, its limit when the row can be read as one (else what is wrong with it), and
   * whether it is stored as this codec writes it (integer {@code limit} and {@code windowSec} both present), which is
   * what the Python library's loader and limiter need.
   */
  public record Stored(LimitKey key, String serviceName, Optional<LimitRecord> record, String problem,
      boolean canonical) {

    /**
     * Whether the row holds exactly the wanted limit and window for the same owner, stored as this codec writes it:
     * a row an older writer stored without {@code windowSec} is rewritten rather than left for the Python loader to
     * fail on.
     */
    public boolean sameAs(LimitRecord wanted) {
      return canonical && record.isPresent() && Objects.equals(serviceName, wanted.serviceName())
          && record.get().limit() == wanted.limit() && Objects.equals(record.get().window(), wanted.window())
          && record.get().leasing() == wanted.leasing();
    }
  }

  /** The item's key attributes. */
  public static Map<String, AttributeValue> key(LimitKey key) {
    return key(key.resourceName(), key.accountId());
  }

  /** The item's key attributes. */
  public static Map<String, AttributeValue> key(String resourceName, String accountId) {
    return Map.of(RESOURCE_NAME, AttributeValue.fromS(resourceName), ACCOUNT_ID, AttributeValue.fromS(accountId));
  }

  /**
   * The whole item of a row.
   *
   * @throws IllegalArgumentException if the row cannot be written (see {@link #problems(LimitRecord)})
   */
  public static Map<String, AttributeValue> item(LimitRecord row) {
    requireWritable(row);
    Map<String, AttributeValue> item = new HashMap<>(key(row.resourceName(), row.accountId()));
    item.put(LIMIT, AttributeValue.fromN(Long.toString(row.limit())));
    item.put(WINDOW_SEC, AttributeValue.fromN(row.window() == null ? "0" : Long.toString(row.window().getSeconds())));
    if (row.serviceName() != null) {
      item.put(SERVICE_NAME, AttributeValue.fromS(row.serviceName()));
    }
    if (row.leasing()) {
      item.put(LEASING, AttributeValue.fromBool(true));
    }
    return item;
  }

  /**
   * Requires a row this library may write: every problem of {@link #problems(LimitRecord)}, in one message.
   *
   * @throws IllegalArgumentException naming each field and value
   */
  public static LimitRecord requireWritable(LimitRecord row) {
    List<String> problems = problems(row);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("limit row (" + row.resourceName() + ", " + row.accountId()
          + ") cannot be written: " + String.join("; ", problems));
    }
    return row;
  }

  /**
   * What keeps a row from being written, each as {@code field: problem}: ids blank or over 1024 UTF-8 bytes, a limit
   * over {@link Limit#MAX_LIMIT}, a window over {@link Limit#MAX_WINDOW} or not a whole number of seconds.
   */
  public static List<String> problems(LimitRecord row) {
    List<String> problems = new ArrayList<>();
    idProblem(RESOURCE_NAME, row.resourceName()).ifPresent(problems::add);
    idProblem(ACCOUNT_ID, row.accountId()).ifPresent(problems::add);
    if (row.serviceName() != null) {
      idProblem(SERVICE_NAME, row.serviceName()).ifPresent(problems::add);
    }
    if (row.limit() > Limit.MAX_LIMIT) {
      problems.add(LIMIT + ": must be at most " + Limit.MAX_LIMIT + ", was " + row.limit());
    }
    if (row.window() != null) {
      windowProblem(row.window()).ifPresent(problems::add);
    }
    if (row.leasing() && row.window() == null) {
      problems.add(LEASING + ": only a fungible limit (one with a window) is leased, this row has no window");
    }
    return problems;
  }

  /** What keeps an id from being a key part, or empty. */
  public static Optional<String> idProblem(String field, String value) {
    if (value.isBlank()) {
      return Optional.of(field + ": must not be blank, was '" + value + "'");
    }
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > 1024) {
      return Optional.of(field + ": must be at most 1024 UTF-8 bytes, was " + bytes);
    }
    return Optional.empty();
  }

  /** What keeps a (positive) window from being written, or empty. */
  public static Optional<String> windowProblem(Duration window) {
    if (window.compareTo(Limit.MAX_WINDOW) > 0) {
      return Optional.of(WINDOW_SEC + ": must be at most " + Limit.MAX_WINDOW.getSeconds() + " seconds, was "
          + seconds(window).toPlainString());
    }
    if (window.getNano() != 0) {
      return Optional.of(WINDOW_SEC + ": must be a whole number of seconds (the Python library reads windowSec as"
          + " an integer), was " + seconds(window).toPlainString());
    }
    return Optional.empty();
  }

  /** The key of a row. */
  public static LimitKey keyOf(LimitRecord row) {
    return new LimitKey(row.resourceName(), row.accountId());
  }

  /** The key of an item. */
  public static LimitKey keyOf(Map<String, AttributeValue> item) {
    return new LimitKey(item.get(RESOURCE_NAME).s(), item.get(ACCOUNT_ID).s());
  }

  /** Reads an item leniently: an unreadable limit or window leaves {@link Stored#record()} empty. */
  public static Stored stored(Map<String, AttributeValue> item) {
    LimitKey key = keyOf(item);
    AttributeValue service = item.get(SERVICE_NAME);
    String serviceName = service == null ? null : service.s();
    try {
      return new Stored(key, serviceName, Optional.of(new LimitRecord(key.resourceName(), key.accountId(),
          limit(item.get(LIMIT)), window(item.get(WINDOW_SEC)), serviceName, leasing(item.get(LEASING)))), null,
          canonical(item));
    } catch (RuntimeException e) {
      return new Stored(key, serviceName, Optional.empty(), e.getMessage(), false);
    }
  }

  private static boolean canonical(Map<String, AttributeValue> item) {
    AttributeValue window = item.get(WINDOW_SEC);
    return window != null && window.n() != null && new BigDecimal(window.n()).stripTrailingZeros().scale() <= 0
        && new BigDecimal(window.n()).signum() >= 0;
  }

  private static long limit(AttributeValue value) {
    if (value == null || value.n() == null) {
      throw new IllegalArgumentException("limit: missing or not a number");
    }
    try {
      return new BigDecimal(value.n()).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("limit: not an integer: " + value.n(), e);
    }
  }

  /** {@code leasing} is on only when stored as the boolean {@code true}; absent (every Python row) is off. */
  private static boolean leasing(AttributeValue value) {
    return value != null && Boolean.TRUE.equals(value.bool());
  }

  private static Duration window(AttributeValue value) {
    if (value == null) {
      return null;
    }
    if (value.n() == null) {
      throw new IllegalArgumentException("windowSec: not a number");
    }
    BigDecimal seconds = new BigDecimal(value.n());
    if (seconds.signum() < 0) {
      throw new IllegalArgumentException("windowSec: must not be negative: " + value.n());
    }
    return seconds.signum() == 0 ? null : duration(seconds);
  }

  /** A duration in decimal seconds, without trailing zeros. */
  public static BigDecimal seconds(Duration duration) {
    return BigDecimal.valueOf(duration.getSeconds()).add(BigDecimal.valueOf(duration.getNano(), 9))
        .stripTrailingZeros();
  }

  /** Decimal seconds as a duration, to the nanosecond. */
  public static Duration duration(BigDecimal seconds) {
    return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
  }
}
