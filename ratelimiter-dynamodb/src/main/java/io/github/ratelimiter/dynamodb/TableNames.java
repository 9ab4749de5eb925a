package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.dynamodb.internal.Environment;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The names of the three tables and two indexes, as in the Python library rate-limiter-py.
 *
 * <table>
 *   <caption>Names, their environment variables, and what {@code LIMITER_TABLES_BASE_NAME} derives</caption>
 *   <tr><th>name</th><th>variable</th><th>derived from the base name</th></tr>
 *   <tr><td>fungible token table</td><td>{@code FUNGIBLE_TABLE}</td><td>{@code <base>-fungible-tokens}</td></tr>
 *   <tr><td>limit table</td><td>{@code LIMIT_TABLE}</td><td>{@code <base>-limits}</td></tr>
 *   <tr><td>non-fungible token table</td><td>{@code NON_FUNGIBLE_TABLE}</td>
 *       <td>{@code <base>-non-fungible-tokens}</td></tr>
 *   <tr><td>its {@code resourceId} index</td><td>{@code NON_FUNGIBLE_RES_INDEX}</td>
 *       <td>{@code <base>-resource-index}</td></tr>
 *   <tr><td>the limit table's {@code serviceName} index</td><td>{@code LIMIT_SERVICE_INDEX}</td>
 *       <td>{@code <base>-limits-service-index}</td></tr>
 * </table>
 *
 * <p>A table that an application does not use may be left unset ({@code null}); using it then fails with an error
 * that names its variable. Immutable.
 *
 * @param fungibleTable the fungible token table, or {@code null}
 * @param limitTable the limit table, or {@code null}
 * @param nonFungibleTable the non-fungible token table, or {@code null}
 * @param resourceIndex the non-fungible table's GSI on {@code resourceId}
 * @param limitServiceIndex the limit table's GSI on {@code serviceName}
 */
public record TableNames(
    String fungibleTable, String limitTable, String nonFungibleTable, String resourceIndex,
    String limitServiceIndex) {

  /** The environment variable of each name. */
  public static final String FUNGIBLE_TABLE = "FUNGIBLE_TABLE";
  /** See {@link TableNames}. */
  public static final String LIMIT_TABLE = "LIMIT_TABLE";
  /** See {@link TableNames}. */
  public static final String NON_FUNGIBLE_TABLE = "NON_FUNGIBLE_TABLE";
  /** See {@link TableNames}. */
  public static final String NON_FUNGIBLE_RES_INDEX = "NON_FUNGIBLE_RES_INDEX";
  /** See {@link TableNames}. */
  public static final String LIMIT_SERVICE_INDEX = "LIMIT_SERVICE_INDEX";
  /** See {@link TableNames}. */
  public static final String LIMITER_TABLES_BASE_NAME = "LIMITER_TABLES_BASE_NAME";

  /** The index names used when neither their variable nor a base name is set. */
  static final String DEFAULT_RESOURCE_INDEX = "resource-index";
  static final String DEFAULT_LIMIT_SERVICE_INDEX = "limits-service-index";

  /** Validates the names: each set one is a valid DynamoDB table or index name. */
  public TableNames {
    requireValidName("fungibleTable", fungibleTable);
    requireValidName("limitTable", limitTable);
    requireValidName("nonFungibleTable", nonFungibleTable);
    Objects.requireNonNull(resourceIndex, "resourceIndex");
    Objects.requireNonNull(limitServiceIndex, "limitServiceIndex");
    requireValidName("resourceIndex", resourceIndex);
    requireValidName("limitServiceIndex", limitServiceIndex);
    if (fungibleTable == null && limitTable == null && nonFungibleTable == null) {
      throw new IllegalArgumentException("at least one table name must be set");
    }
  }

  /** Every name derived from one base name, e.g. {@code of("prod")} gives {@code prod-limits} and so on. */
  public static TableNames of(String baseName) {
    Objects.requireNonNull(baseName, "baseName");
    if (!baseName.matches("[a-zA-Z0-9_.-]{1,200}")) {
      throw new IllegalArgumentException("baseName must be 1 to 200 characters of a-z, A-Z, 0-9, '_', '-' and '.': '"
          + baseName + "'");
    }
    return new TableNames(baseName + "-fungible-tokens", baseName + "-limits", baseName + "-non-fungible-tokens",
        baseName + "-resource-index", baseName + "-limits-service-index");
  }

  /**
   * The names from the process environment: each variable of the table above, else derived from
   * {@code LIMITER_TABLES_BASE_NAME}.
   *
   * @throws IllegalStateException if no table name is set, naming the variables
   */
  public static TableNames fromEnvironment() {
    return fromEnvironment(Environment.variables());
  }

  /** As {@link #fromEnvironment()}, from the given variables (for tests and tools). */
  public static TableNames fromEnvironment(Map<String, String> env) {
    Optional<String> base = value(env, LIMITER_TABLES_BASE_NAME);
    String fungible = value(env, FUNGIBLE_TABLE).or(() -> base.map(b -> b + "-fungible-tokens")).orElse(null);
    String limits = value(env, LIMIT_TABLE).or(() -> base.map(b -> b + "-limits")).orElse(null);
    String nonFungible =
        value(env, NON_FUNGIBLE_TABLE).or(() -> base.map(b -> b + "-non-fungible-tokens")).orElse(null);
    if (fungible == null && limits == null && nonFungible == null) {
      throw new IllegalStateException("no DynamoDB table names are configured: set " + LIMITER_TABLES_BASE_NAME
          + ", or " + FUNGIBLE_TABLE + ", " + LIMIT_TABLE + " and " + NON_FUNGIBLE_TABLE
          + " (with " + NON_FUNGIBLE_RES_INDEX + " and " + LIMIT_SERVICE_INDEX + " for the indexes)");
    }
    String resourceIndex = value(env, NON_FUNGIBLE_RES_INDEX)
        .or(() -> base.map(b -> b + "-resource-index")).orElse(DEFAULT_RESOURCE_INDEX);
    String serviceIndex = value(env, LIMIT_SERVICE_INDEX)
        .or(() -> base.map(b -> b + "-limits-service-index")).orElse(DEFAULT_LIMIT_SERVICE_INDEX);
    return new TableNames(fungible, limits, nonFungible, resourceIndex, serviceIndex);
  }

  /** A copy with another fungible table. */
  public TableNames withFungibleTable(String name) {
    return new TableNames(name, limitTable, nonFungibleTable, resourceIndex, limitServiceIndex);
  }

  /** A copy with another limit table. */
  public TableNames withLimitTable(String name) {
    return new TableNames(fungibleTable, name, nonFungibleTable, resourceIndex, limitServiceIndex);
  }

  /** A copy with another non-fungible table. */
  public TableNames withNonFungibleTable(String name) {
    return new TableNames(fungibleTable, limitTable, name, resourceIndex, limitServiceIndex);
  }

  /** The fungible table's name, or an error naming its variable. */
  public String requireFungibleTable() {
    return require(fungibleTable, "fungible token", FUNGIBLE_TABLE);
  }

  /** The limit table's name, or an error naming its variable. */
  public String requireLimitTable() {
    return require(limitTable, "limit", LIMIT_TABLE);
  }

  /** The non-fungible table's name, or an error naming its variable. */
  public String requireNonFungibleTable() {
    return require(nonFungibleTable, "non-fungible token", NON_FUNGIBLE_TABLE);
  }

  private static String require(String name, String what, String variable) {
    if (name == null) {
      throw new IllegalStateException("no " + what + " table is configured: set " + variable + " or "
          + LIMITER_TABLES_BASE_NAME + ", or name it in TableNames");
    }
    return name;
  }

  private static Optional<String> value(Map<String, String> env, String name) {
    return Optional.ofNullable(env.get(name)).map(String::trim).filter(v -> !v.isEmpty());
  }

  private static void requireValidName(String argument, String name) {
    if (name != null && !name.matches("[a-zA-Z0-9_.-]{3,255}")) {
      throw new IllegalArgumentException(argument + " must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and"
          + " '.': '" + name + "'");
    }
  }
}
