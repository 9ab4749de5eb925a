package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.dynamodb.internal.Environment;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The names of the three tables and two indexes, derived from the same environment variables exactly as the
 * Python library rate-limiter-py derives them.
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
 * <p>Each name is its variable's value when that is set, else derived from the base name: {@code <base>} followed
 * by {@code -} unless it already ends with one ({@code prod} and {@code prod-} both give {@code prod-limits}). A
 * name that is neither set nor derivable is left unset ({@code null}), and using it fails with an error that names
 * its variable, where the Python library raises {@code ValueError}; there are no built-in index names. A variable
 * set to an empty value is an error (the Python library would use the empty name and fail at its first request).
 * {@link #builder()} takes names from code or configuration (a command's flags, an application's properties) by
 * the same rules, each in place of its variable. Immutable.
 *
 * @param fungibleTable the fungible token table, or {@code null}
 * @param limitTable the limit table, or {@code null}
 * @param nonFungibleTable the non-fungible token table, or {@code null}
 * @param resourceIndex the non-fungible table's GSI on {@code resourceId}, or {@code null}
 * @param limitServiceIndex the limit table's GSI on {@code serviceName}, or {@code null}
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

  /** What the base name derives each name with, as the Python library does. */
  private static final String FUNGIBLE_SUFFIX = "fungible-tokens";
  private static final String LIMIT_SUFFIX = "limits";
  private static final String NON_FUNGIBLE_SUFFIX = "non-fungible-tokens";
  private static final String RESOURCE_INDEX_SUFFIX = "resource-index";
  private static final String SERVICE_INDEX_SUFFIX = "limits-service-index";

  /** Validates the names: each set one is a valid DynamoDB table or index name. */
  public TableNames {
    requireValidName("fungibleTable", fungibleTable);
    requireValidName("limitTable", limitTable);
    requireValidName("nonFungibleTable", nonFungibleTable);
    requireValidName("resourceIndex", resourceIndex);
    requireValidName("limitServiceIndex", limitServiceIndex);
    if (fungibleTable == null && limitTable == null && nonFungibleTable == null) {
      throw new IllegalArgumentException("at least one table name must be set");
    }
  }

  /**
   * Every name derived from one base name, as {@code LIMITER_TABLES_BASE_NAME} derives them: {@code of("prod")} and
   * {@code of("prod-")} both give {@code prod-limits} and so on.
   */
  public static TableNames of(String baseName) {
    checkedBaseName(Objects.requireNonNull(baseName, "baseName"));
    return new TableNames(derive(baseName, FUNGIBLE_SUFFIX), derive(baseName, LIMIT_SUFFIX),
        derive(baseName, NON_FUNGIBLE_SUFFIX), derive(baseName, RESOURCE_INDEX_SUFFIX),
        derive(baseName, SERVICE_INDEX_SUFFIX));
  }

  private static String checkedBaseName(String baseName) {
    if (!baseName.matches("[a-zA-Z0-9_.-]{1,200}")) {
      throw new IllegalArgumentException("baseName must be 1 to 200 characters of a-z, A-Z, 0-9, '_', '-' and '.': '"
          + baseName + "'");
    }
    return baseName;
  }

  /** The Python library's rule: the base, a '-' unless it ends with one, the suffix. */
  private static String derive(String base, String suffix) {
    return (base.endsWith("-") ? base : base + "-") + suffix;
  }

  /**
   * The names from the process environment: each variable of the table above, else derived from
   * {@code LIMITER_TABLES_BASE_NAME}.
   *
   * @throws IllegalStateException if no table name is set, naming the variables, or a variable is set but empty
   */
  public static TableNames fromEnvironment() {
    return fromEnvironment(Environment.variables());
  }

  /** As {@link #fromEnvironment()}, from the given variables (for tests and tools). */
  public static TableNames fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    return builder().environment(env::get).build();
  }

  /**
   * A builder for names given in code or configuration (a command's flags, an application's properties), each
   * falling back to its variable and then to the base name as {@link #fromEnvironment()} does:
   *
   * <pre>{@code
   * TableNames names = TableNames.builder()
   *     .baseName(flags.baseName())          // null: LIMITER_TABLES_BASE_NAME, if set
   *     .limitTable(flags.limitTable())      // null: LIMIT_TABLE, else derived from the base name
   *     .environment(System::getenv)         // without it, no variable is read
   *     .build();
   * }</pre>
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Names from code, configuration or the environment. A name given here replaces its variable, exactly as if the
   * variable were set to it; so a table's own name, given or from its variable, wins over one derived from the base
   * name, and a given base name derives only the names neither given nor set. {@code null} leaves a name to the
   * environment. Not thread-safe.
   */
  public static final class Builder {
    private String baseName;
    private String fungibleTable;
    private String limitTable;
    private String nonFungibleTable;
    private String resourceIndex;
    private String limitServiceIndex;
    private Function<String, String> environment = variable -> null;

    private Builder() {}

    /**
     * In place of {@code LIMITER_TABLES_BASE_NAME}; see {@link TableNames#of(String)}.
     *
     * @throws IllegalArgumentException if it is not a valid base name
     */
    public Builder baseName(String baseName) {
      this.baseName = baseName == null ? null : checkedBaseName(baseName);
      return this;
    }

    /** In place of {@code FUNGIBLE_TABLE}. */
    public Builder fungibleTable(String name) {
      this.fungibleTable = checked("fungibleTable", name);
      return this;
    }

    /** In place of {@code LIMIT_TABLE}. */
    public Builder limitTable(String name) {
      this.limitTable = checked("limitTable", name);
      return this;
    }

    /** In place of {@code NON_FUNGIBLE_TABLE}. */
    public Builder nonFungibleTable(String name) {
      this.nonFungibleTable = checked("nonFungibleTable", name);
      return this;
    }

    /** In place of {@code NON_FUNGIBLE_RES_INDEX}. */
    public Builder resourceIndex(String name) {
      this.resourceIndex = checked("resourceIndex", name);
      return this;
    }

    /** In place of {@code LIMIT_SERVICE_INDEX}. */
    public Builder limitServiceIndex(String name) {
      this.limitServiceIndex = checked("limitServiceIndex", name);
      return this;
    }

    /**
     * Where the variables of the names not given are read: {@code System::getenv}, a map's {@code get}, a Spring
     * {@code Environment}'s {@code getProperty}. None by default.
     */
    public Builder environment(Function<String, String> variables) {
      this.environment = Objects.requireNonNull(variables, "variables");
      return this;
    }

    /**
     * The names.
     *
     * @throws IllegalStateException if no table name is given, set or derivable, naming the variables, or a
     *     variable that is read is set but empty
     * @throws IllegalArgumentException if a name is not a valid DynamoDB table or index name
     */
    public TableNames build() {
      Optional<String> base = given(baseName, LIMITER_TABLES_BASE_NAME);
      String fungible = name(fungibleTable, FUNGIBLE_TABLE, base, FUNGIBLE_SUFFIX);
      String limits = name(limitTable, LIMIT_TABLE, base, LIMIT_SUFFIX);
      String nonFungible = name(nonFungibleTable, NON_FUNGIBLE_TABLE, base, NON_FUNGIBLE_SUFFIX);
      if (fungible == null && limits == null && nonFungible == null) {
        throw new IllegalStateException("no DynamoDB table names are configured: set " + LIMITER_TABLES_BASE_NAME
            + ", or " + FUNGIBLE_TABLE + ", " + LIMIT_TABLE + " and " + NON_FUNGIBLE_TABLE
            + " (with " + NON_FUNGIBLE_RES_INDEX + " and " + LIMIT_SERVICE_INDEX + " for the indexes)");
      }
      return new TableNames(fungible, limits, nonFungible,
          name(resourceIndex, NON_FUNGIBLE_RES_INDEX, base, RESOURCE_INDEX_SUFFIX),
          name(limitServiceIndex, LIMIT_SERVICE_INDEX, base, SERVICE_INDEX_SUFFIX));
    }

    private String name(String given, String variable, Optional<String> base, String suffix) {
      return given(given, variable).or(() -> base.map(b -> derive(b, suffix))).orElse(null);
    }

    private Optional<String> given(String given, String variable) {
      if (given != null) {
        return Optional.of(given);
      }
      String value = environment.apply(variable);
      if (value != null && value.isBlank()) {
        throw new IllegalStateException(variable + " is set but empty: unset it or give it a name");
      }
      return Optional.ofNullable(value);
    }

    private static String checked(String argument, String name) {
      if (name != null) {
        requireValidName(argument, name);
      }
      return name;
    }
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

  /** The non-fungible table's {@code resourceId} index, or an error naming its variable. */
  public String requireResourceIndex() {
    return requireIndex(resourceIndex, "non-fungible table's resourceId", NON_FUNGIBLE_RES_INDEX);
  }

  /** The limit table's {@code serviceName} index, or an error naming its variable. */
  public String requireLimitServiceIndex() {
    return requireIndex(limitServiceIndex, "limit table's serviceName", LIMIT_SERVICE_INDEX);
  }

  private static String requireIndex(String name, String what, String variable) {
    if (name == null) {
      throw new IllegalStateException("no name is configured for the " + what + " index: set " + variable + " or "
          + LIMITER_TABLES_BASE_NAME + ", or name it in TableNames");
    }
    return name;
  }

  private static String require(String name, String what, String variable) {
    if (name == null) {
      throw new IllegalStateException("no " + what + " table is configured: set " + variable + " or "
          + LIMITER_TABLES_BASE_NAME + ", or name it in TableNames");
    }
    return name;
  }

  private static void requireValidName(String argument, String name) {
    if (name != null && !name.matches("[a-zA-Z0-9_.-]{3,255}")) {
      throw new IllegalArgumentException(argument + " must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and"
          + " '.': '" + name + "'");
    }
  }
}
