package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.dynamodb.internal.LimitsFileParser;
import io.github.ratelimiter.store.LimitRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Every limit one service owns: what {@link LimitLoader} makes the limit table hold for that service.
 *
 * <p>Read from a limits file in the Python library's JSON format, or the same structure in YAML:
 *
 * <pre>{@code
 * {"limits": [
 *   {"resourceName": "orders-api", "accountId": "acct-1", "limit": 100, "windowSec": 60},
 *   {"resourceName": "orders-api", "accountId": "acct-2", "limit": 0,   "windowSec": 60},
 *   {"resourceName": "emr-cluster", "accountId": "acct-1", "limit": 10, "kind": "non-fungible"}
 * ]}
 * }</pre>
 *
 * <p>Each entry has a non-blank string {@code resourceName} and {@code accountId} (quote numeric account ids: a
 * number would lose leading zeros), an integer {@code limit} of at least 0 (0 blocks the account), and optionally
 * {@code windowSec}, a whole number of seconds: a fungible limit's window. Without one (absent, {@code null} or 0,
 * stored as {@code windowSec} 0) the entry has no window: a cap on live resources, or a fungible limit applied on the
 * limiter's default window, so that the Python library's files load unchanged with the meaning it gives them.
 * {@code "kind": "non-fungible"} says which is meant and forbids a window. Unknown fields, repeated keys and a
 * second entry for the same (resource, account) are errors.
 *
 * <p>A fungible entry may hold a quota of several named limits instead of {@code limit} and {@code windowSec}:
 * {@code "limits": [{"name": "requests", "limit": 60, "windowSec": 60}, {"name": "tokens", "limit": 100000,
 * "windowSec": 60}]}, 1 to {@link io.github.ratelimiter.Quota#MAX_LIMITS}, each with its own positive whole-second
 * window, names of 1 to 64 letters, digits, {@code _ - .}, unique in the entry. The first is stored as the row's
 * {@code limit}, {@code windowSec} and {@code limitName} (so the Python library reads it), the others in the row's
 * {@code limits}. Any entry may name the account's parent, {@code "parentAccountId": "org-1"} (not the account
 * itself).
 *
 * <p>Every problem is reported before anything is written, as an {@link IllegalArgumentException} whose message
 * lists each one as {@code file: limits[index].field: what is wrong}. An empty list is valid: syncing it deletes
 * every row of the service. Immutable.
 *
 * @param serviceName the owning service, written to each row's {@code serviceName}
 * @param limits the rows, each with {@code serviceName} set to the service; no two with the same key
 */
public record ServiceLimits(String serviceName, List<LimitRecord> limits) {

  /** Validates the service name and the rows, and sets each row's service. */
  public ServiceLimits {
    LimitsFileParser.requireServiceName(serviceName);
    Objects.requireNonNull(limits, "limits");
    limits = LimitsFileParser.normalize(serviceName, "limits", new ArrayList<>(limits));
  }

  /** The limits of {@code serviceName}, from rows given in code. */
  public static ServiceLimits of(String serviceName, List<LimitRecord> limits) {
    return new ServiceLimits(serviceName, limits);
  }

  /**
   * Reads a limits file: YAML when its name ends in {@code .yaml} or {@code .yml}, else JSON.
   *
   * @throws IllegalArgumentException if the file is not a valid limits file, naming file, entry and field
   * @throws UncheckedIOException if it cannot be read
   */
  public static ServiceLimits read(String serviceName, Path file) {
    Objects.requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read limits file " + file + ": " + e.getMessage(), e);
    }
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
    return yaml ? parseYaml(serviceName, file.toString(), text) : parseJson(serviceName, file.toString(), text);
  }

  /**
   * Parses a JSON limits file.
   *
   * @param source what to call the file in messages, e.g. its path
   * @throws IllegalArgumentException if it is not a valid limits file
   */
  public static ServiceLimits parseJson(String serviceName, String source, String json) {
    return new ServiceLimits(serviceName, LimitsFileParser.parse(source, json, false));
  }

  /**
   * Parses a YAML limits file.
   *
   * @param source what to call the file in messages, e.g. its path
   * @throws IllegalArgumentException if it is not a valid limits file
   */
  public static ServiceLimits parseYaml(String serviceName, String source, String yaml) {
    return new ServiceLimits(serviceName, LimitsFileParser.parse(source, yaml, true));
  }
}
