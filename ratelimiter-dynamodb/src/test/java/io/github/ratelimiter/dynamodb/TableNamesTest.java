package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TableNamesTest {

  @Test
  void explicitVariablesWinOverTheBaseName() {
    TableNames names = TableNames.fromEnvironment(Map.of(
        "LIMITER_TABLES_BASE_NAME", "prod", "LIMIT_TABLE", "shared-limits", "NON_FUNGIBLE_RES_INDEX", "by-res"));
    assertThat(names).isEqualTo(new TableNames("prod-fungible-tokens", "shared-limits", "prod-non-fungible-tokens",
        "by-res", "prod-limits-service-index"));
  }

  @Test
  void theBaseNameDerivesEveryName() {
    assertThat(TableNames.fromEnvironment(Map.of("LIMITER_TABLES_BASE_NAME", "prod"))).isEqualTo(TableNames.of("prod"));
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
}
