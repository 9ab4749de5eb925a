package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.LEASING;
import static io.github.ratelimiter.dynamodb.internal.Schema.LIMIT;
import static io.github.ratelimiter.dynamodb.internal.Schema.LIMITS;
import static io.github.ratelimiter.dynamodb.internal.Schema.LIMIT_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.PARENT_ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.WINDOW_SEC;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.dynamodb.LimitKey;
import io.github.ratelimiter.store.LimitRecord;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
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
 *   <li><b>A quota and a parent</b> (this library's only, each written only when set, so a row of one unnamed limit
 *       without a parent is byte for byte what it was): {@code limitName} (S), the first limit's name;
 *       {@code limits} (L), the quota's other limits in order, each a map {@code {name (S), limit (N), windowSec
 *       (N)}} with the same rules as the first; {@code parentAccountId} (S). The first limit stays in {@code limit}
 *       and {@code windowSec}, which is all the Python library reads: it sees the first limit of such a row.
 *   <li><b>Read:</b> {@code windowSec} absent or {@code 0} means "no window"; a decimal {@code windowSec} (an older
 *       row of this library) is read exactly. A row with a negative, non-integer or missing {@code limit}, or a
 *       negative window, or a {@code limits} element that is not such a map, cannot be read as a limit.
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
     * Whether the row holds exactly the wanted limits ({@link #sameLimits}) for the same owner, stored as this codec
     * writes it: a row an older writer stored without {@code windowSec} is rewritten rather than left for the Python
     * loader to fail on.
     */
    public boolean sameAs(LimitRecord wanted) {
      return canonical && record.isPresent() && Objects.equals(serviceName, wanted.serviceName())
          && sameLimits(record.get(), wanted);
    }
  }

  /**
   * Whether two rows hold the same limits (the first's limit, window and name, the others in the same order), the
   * same leasing switch and the same parent; owner and key aside.
   */
  public static boolean sameLimits(LimitRecord a, LimitRecord b) {
    return a.limit() == b.limit() && Objects.equals(a.window(), b.window()) && a.leasing() == b.leasing()
        && Objects.equals(a.limitName(), b.limitName()) && Objects.equals(a.parentAccountId(), b.parentAccountId())
        && new ArrayList<>(a.moreLimits().entrySet()).equals(new ArrayList<>(b.moreLimits().entrySet()));
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
    if (row.limitName() != null) {
      item.put(LIMIT_NAME, AttributeValue.fromS(row.limitName()));
    }
    if (!row.moreLimits().isEmpty()) {
      List<AttributeValue> more = new ArrayList<>();
      row.moreLimits().forEach((name, limit) -> more.add(AttributeValue.fromM(Map.of(NAME, AttributeValue.fromS(name),
          LIMIT, AttributeValue.fromN(Long.toString(limit.limit())),
          WINDOW_SEC, AttributeValue.fromN(Long.toString(limit.window().getSeconds()))))));
      item.put(LIMITS, AttributeValue.fromL(more));
    }
    if (row.parentAccountId() != null) {
      item.put(PARENT_ACCOUNT_ID, AttributeValue.fromS(row.parentAccountId()));
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
   * What keeps a row from being written, each as {@code field: problem}: ids (the parent's too) blank or over 1024
   * UTF-8 bytes, a limit over {@link Limit#MAX_LIMIT}, a window over {@link Limit#MAX_WINDOW} or not a whole number
   * of seconds (the other limits' too), a limit name that a {@link Quota} would refuse (1 to 64 letters, digits,
   * {@code _ - .}), a name on a row without a window, two limits of one name, more than {@link Quota#MAX_LIMITS}
   * limits, leasing on a row of several limits (quotas are not leased).
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
    if (row.limitName() != null) {
      nameProblem(LIMIT_NAME, row.limitName()).ifPresent(problems::add);
      if (row.window() == null) {
        problems.add(LIMIT_NAME + ": only a fungible limit (one with a window) is named, this row has no window");
      }
    }
    row.moreLimits().forEach((name, limit) -> {
      String at = LIMITS + "." + name;
      nameProblem(at + "." + NAME, name).ifPresent(problems::add);
      if (name.equals(row.limitName())) {
        problems.add(at + "." + NAME + ": the first limit (limitName) has this name too; each limit's name is its own");
      }
      windowProblem(limit.window()).ifPresent(problem -> problems.add(at + "." + problem));
    });
    if (1 + row.moreLimits().size() > Quota.MAX_LIMITS) {
      problems.add(LIMITS + ": a row holds at most " + Quota.MAX_LIMITS + " limits (the first and "
          + (Quota.MAX_LIMITS - 1) + " more), this one " + (1 + row.moreLimits().size()));
    }
    if (row.leasing() && !row.moreLimits().isEmpty()) {
      problems.add(LEASING + ": a quota of several limits is not leased; drop leasing or the other limits");
    }
    if (row.parentAccountId() != null) {
      idProblem(PARENT_ACCOUNT_ID, row.parentAccountId()).ifPresent(problems::add);
    }
    return problems;
  }

  /** A limit's name as {@link Quota.Builder#limit} accepts it. */
  private static final Pattern LIMIT_NAME_PATTERN = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** What keeps a limit's name from being one a {@link Quota} accepts, or empty. */
  public static Optional<String> nameProblem(String field, String name) {
    return LIMIT_NAME_PATTERN.matcher(name).matches() ? Optional.empty()
        : Optional.of(field + ": must be 1 to 64 letters, digits, '_', '-' or '.', was '" + name + "'");
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
          limit(item.get(LIMIT)), window(item.get(WINDOW_SEC)), serviceName, leasing(item.get(LEASING)),
          string(item.get(LIMIT_NAME), LIMIT_NAME), moreLimits(item.get(LIMITS)),
          string(item.get(PARENT_ACCOUNT_ID), PARENT_ACCOUNT_ID))), null, canonical(item));
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

  private static String string(AttributeValue value, String field) {
    if (value == null) {
      return null;
    }
    if (value.s() == null) {
      throw new IllegalArgumentException(field + ": not a string");
    }
    return value.s();
  }

  /** The other limits: absent, none; else a list of {@code {name, limit, windowSec}} maps, names unique. */
  private static Map<String, Limit> moreLimits(AttributeValue value) {
    if (value == null) {
      return Map.of();
    }
    if (!value.hasL()) {
      throw new IllegalArgumentException(LIMITS + ": not a list");
    }
    Map<String, Limit> limits = new LinkedHashMap<>();
    for (int i = 0; i < value.l().size(); i++) {
      AttributeValue element = value.l().get(i);
      String at = LIMITS + "[" + i + "]";
      if (!element.hasM()) {
        throw new IllegalArgumentException(at + ": not a map of name, limit and windowSec");
      }
      String name = string(element.m().get(NAME), at + "." + NAME);
      Duration window = window(element.m().get(WINDOW_SEC));
      if (name == null || window == null) {
        throw new IllegalArgumentException(at + ": needs a name and a positive windowSec");
      }
      if (limits.put(name, Limit.of(limit(element.m().get(LIMIT)), window)) != null) {
        throw new IllegalArgumentException(at + ".name: '" + name + "' appears twice");
      }
    }
    return limits;
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
