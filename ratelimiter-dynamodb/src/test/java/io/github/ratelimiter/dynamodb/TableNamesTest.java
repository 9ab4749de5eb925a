package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class TableNamesTest {

  /** Each name's variable and the suffix the Python library appends to the base name. */
  private static final Map<String, String> SUFFIXES = Map.of(
      TableNames.FUNGIBLE_TABLE, "fungible-tokens",
      TableNames.LIMIT_TABLE, "limits",
      TableNames.NON_FUNGIBLE_TABLE, "non-fungible-tokens",
      TableNames.NON_FUNGIBLE_RES_INDEX, "resource-index",
      TableNames.LIMIT_SERVICE_INDEX, "limits-service-index");

  private static final Map<String, Function<TableNames, String>> ACCESSORS = Map.of(
      TableNames.FUNGIBLE_TABLE, TableNames::fungibleTable,
      TableNames.LIMIT_TABLE, TableNames::limitTable,
      TableNames.NON_FUNGIBLE_TABLE, TableNames::nonFungibleTable,
      TableNames.NON_FUNGIBLE_RES_INDEX, TableNames::resourceIndex,
      TableNames.LIMIT_SERVICE_INDEX, TableNames::limitServiceIndex);

  /**
   * The Python library's {@code validate_table_env_fallback}: the variable if set, else the base name plus a '-'
   * unless it ends with one plus the suffix, else {@code ValueError} (here {@code null}).
   */
  private static String python(Map<String, String> env, String variable) {
    if (env.containsKey(variable)) {
      return env.get(variable);
    }
    String base = env.get(TableNames.LIMITER_TABLES_BASE_NAME);
    if (base != null) {
      return (base.endsWith("-") ? base : base + "-") + SUFFIXES.get(variable);
    }
    return null;
  }

  /** Every combination: base name unset, "prod" or "prod-", and each of the five variables set or not. */
  @Test
  void everyCombinationOfTheVariablesGivesThePythonLibrarysNames() {
    List<String> variables = new ArrayList<>(SUFFIXES.keySet());
    int checked = 0;
    for (String base : new String[] {null, "prod", "prod-"}) {
      for (int mask = 0; mask < 1 << variables.size(); mask++) {
        Map<String, String> env = new HashMap<>();
        if (base != null) {
          env.put(TableNames.LIMITER_TABLES_BASE_NAME, base);
        }
        for (int v = 0; v < variables.size(); v++) {
          if ((mask & 1 << v) != 0) {
            env.put(variables.get(v), "explicit-" + v);
          }
        }
        boolean noTable = python(env, TableNames.FUNGIBLE_TABLE) == null && python(env, TableNames.LIMIT_TABLE) == null
            && python(env, TableNames.NON_FUNGIBLE_TABLE) == null;
        if (noTable) {
          assertThatThrownBy(() -> TableNames.fromEnvironment(env)).as("%s", env)
              .isInstanceOf(IllegalStateException.class).hasMessageContaining("LIMITER_TABLES_BASE_NAME");
        } else {
          TableNames names = TableNames.fromEnvironment(env);
          for (String variable : variables) {
            assertThat(ACCESSORS.get(variable).apply(names)).as("%s from %s", variable, env)
                .isEqualTo(python(env, variable));
          }
        }
        checked++;
      }
    }
    assertThat(checked).isEqualTo(96);
  }

  @Test
  void aBaseNameEndingWithADashGetsNoSecondOne() {
    assertThat(TableNames.fromEnvironment(Map.of("LIMITER_TABLES_BASE_NAME", "prod-")).limitTable())
        .isEqualTo("prod-limits");
    assertThat(TableNames.of("prod-")).isEqualTo(TableNames.of("prod"));
    assertThat(TableNames.of("prod").resourceIndex()).isEqualTo("prod-resource-index");
  }

  @Test
  void anIndexWithNeitherItsVariableNorABaseNameFailsOnUseNamingItsVariable() {
    TableNames names = TableNames.fromEnvironment(Map.of("NON_FUNGIBLE_TABLE", "tokens", "LIMIT_TABLE", "limits"));
    assertThat(names.resourceIndex()).isNull();
    assertThatThrownBy(names::requireResourceIndex).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("NON_FUNGIBLE_RES_INDEX");
    assertThatThrownBy(names::requireLimitServiceIndex).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("LIMIT_SERVICE_INDEX");
  }

  @Test
  void aVariableSetButEmptyIsAnError() {
    assertThatThrownBy(() -> TableNames.fromEnvironment(Map.of("LIMITER_TABLES_BASE_NAME", "prod", "LIMIT_TABLE", "")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("LIMIT_TABLE is set but empty");
  }

  @Test
  void noNameAtAllIsAnErrorNamingTheVariables() {
    assertThatThrownBy(() -> TableNames.fromEnvironment(Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("LIMITER_TABLES_BASE_NAME")
        .hasMessageContaining("FUNGIBLE_TABLE")
        .hasMessageContaining("NON_FUNGIBLE_TABLE");
  }

  @Test
  void anUnsetTableFailsOnUseNamingItsVariable() {
    TableNames names = TableNames.fromEnvironment(Map.of("FUNGIBLE_TABLE", "tokens", "LIMIT_TABLE", "limits"));
    assertThat(names.requireFungibleTable()).isEqualTo("tokens");
    assertThatThrownBy(names::requireNonFungibleTable).hasMessageContaining("NON_FUNGIBLE_TABLE");
  }

  @Test
  void invalidNamesAreRejected() {
    assertThatThrownBy(() -> TableNames.of("a b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a b'");
    assertThatThrownBy(() -> new TableNames("ab", null, null, "index", "index"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fungibleTable");
    assertThat(TableNames.of("x").limitTable()).isEqualTo("x-limits");
  }

  /**
   * A name given to the builder is its variable set to that name: over every combination, giving some names and
   * setting the others gives what the environment alone would give with both (the CLI's flags, the starter's
   * properties).
   */
  @Test
  void aNameGivenToTheBuilderIsItsVariableSetToIt() {
    List<String> variables = new ArrayList<>(SUFFIXES.keySet());
    variables.add(TableNames.LIMITER_TABLES_BASE_NAME);
    int checked = 0;
    for (int given = 0; given < 1 << variables.size(); given++) {
      for (int set = 0; set < 1 << variables.size(); set++) {
        Map<String, String> env = new HashMap<>();
        Map<String, String> merged = new HashMap<>();
        TableNames.Builder builder = TableNames.builder().environment(env::get);
        for (int v = 0; v < variables.size(); v++) {
          String variable = variables.get(v);
          if ((set & 1 << v) != 0) {
            env.put(variable, "env-" + v);
            merged.put(variable, "env-" + v);
          }
          if ((given & 1 << v) != 0) {
            give(builder, variable, "given-" + v);
            merged.put(variable, "given-" + v);
          }
        }
        if (python(merged, TableNames.FUNGIBLE_TABLE) == null && python(merged, TableNames.LIMIT_TABLE) == null
            && python(merged, TableNames.NON_FUNGIBLE_TABLE) == null) {
          assertThatThrownBy(builder::build).as("%s", merged).isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("LIMITER_TABLES_BASE_NAME");
        } else {
          assertThat(builder.build()).as("%s", merged).isEqualTo(TableNames.fromEnvironment(merged));
        }
        checked++;
      }
    }
    assertThat(checked).isEqualTo(64 * 64);
  }

  private static void give(TableNames.Builder builder, String variable, String name) {
    switch (variable) {
      case TableNames.FUNGIBLE_TABLE -> builder.fungibleTable(name);
      case TableNames.LIMIT_TABLE -> builder.limitTable(name);
      case TableNames.NON_FUNGIBLE_TABLE -> builder.nonFungibleTable(name);
      case TableNames.NON_FUNGIBLE_RES_INDEX -> builder.resourceIndex(name);
      case TableNames.LIMIT_SERVICE_INDEX -> builder.limitServiceIndex(name);
      default -> builder.baseName(name);
    }
  }

  @Test
  void theBuilderReadsNoVariableUnlessToldWhereAndChecksWhatItIsGiven() {
    assertThat(TableNames.builder().baseName("prod").build()).isEqualTo(TableNames.of("prod"));
    assertThat(TableNames.builder().limitTable("limits").baseName(null).build())
        .isEqualTo(new TableNames(null, "limits", null, null, null));
    assertThatThrownBy(() -> TableNames.builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("LIMITER_TABLES_BASE_NAME");
    assertThatThrownBy(() -> TableNames.builder().limitTable("a b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limitTable must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.': 'a b'");
    assertThatThrownBy(() -> TableNames.builder().baseName("")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("baseName must be 1 to 200 characters");
  }
}
