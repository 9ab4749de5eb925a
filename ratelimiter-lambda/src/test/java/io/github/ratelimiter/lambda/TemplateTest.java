package io.github.ratelimiter.lambda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.events.EventProcessor;
import io.github.ratelimiter.events.EventRules;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SAM template agrees with the code: schemas, handler, variables, and least-privilege IAM. */
class TemplateTest {

  private static JsonNode resources;

  @BeforeAll
  static void readTemplate() throws Exception {
    // CloudFormation's short tags (!Sub, !Ref, !GetAtt) are read as their plain scalar values.
    resources = new YAMLMapper().readTree(new File("template.yaml")).path("Resources");
  }

  private static List<String> texts(JsonNode node) {
    List<String> texts = new ArrayList<>();
    node.forEach(n -> texts.add(n.isTextual() ? n.textValue() : n.toString()));
    return texts;
  }

  private static String keys(JsonNode table) {
    List<String> keys = new ArrayList<>();
    table.path("Properties").path("KeySchema")
        .forEach(k -> keys.add(k.path("AttributeName").asText() + " " + k.path("KeyType").asText()));
    return String.join(", ", keys);
  }

  @Test
  void theFunctionMayOnlyQueryTheResourceIndexAndDeleteTokens() {
    JsonNode statements = resources.path("TokenReleaseFunction").path("Properties").path("Policies")
        .path(0).path("Statement");
    assertThat(resources.path("TokenReleaseFunction").path("Properties").path("Policies")).hasSize(1);
    assertThat(statements).hasSize(2);
    assertThat(statements.path(0).path("Action").asText()).isEqualTo("dynamodb:Query");
    assertThat(statements.path(0).path("Resource").asText())
        .isEqualTo("${NonFungibleTokenTable.Arn}/index/${TablesBaseName}-resource-index");
    assertThat(statements.path(1).path("Action").asText()).isEqualTo("dynamodb:DeleteItem");
    assertThat(statements.path(1).path("Resource").asText()).isEqualTo("NonFungibleTokenTable.Arn");
    statements.forEach(s -> assertThat(s.path("Effect").asText()).isEqualTo("Allow"));
  }

  @Test
  void tablesHaveThePythonLibrarysSchemas() {
    assertThat(keys(resources.path("FungibleTokenTable"))).isEqualTo("resourceName HASH, accountId RANGE");
    assertThat(keys(resources.path("LimitTable"))).isEqualTo("resourceName HASH, accountId RANGE");
    assertThat(resources.path("LimitTable").path("Properties").path("GlobalSecondaryIndexes").path(0)
        .path("KeySchema").path(0).path("AttributeName").asText()).isEqualTo("serviceName");
    JsonNode nonFungible = resources.path("NonFungibleTokenTable");
    assertThat(keys(nonFungible)).isEqualTo("resourceCoordinate HASH, reservationId RANGE");
    JsonNode index = nonFungible.path("Properties").path("GlobalSecondaryIndexes").path(0);
    assertThat(index.path("IndexName").asText()).isEqualTo("${TablesBaseName}-resource-index");
    assertThat(index.path("KeySchema").path(0).path("AttributeName").asText()).isEqualTo("resourceId");
    assertThat(index.path("Projection").path("ProjectionType").asText()).isEqualTo("ALL");
    assertThat(nonFungible.path("Properties").path("TimeToLiveSpecification").path("AttributeName").asText())
        .isEqualTo("expirationTime");
  }

  @Test
  void theFunctionRunsThisHandlerWithTheVariablesItReads() {
    JsonNode function = resources.path("TokenReleaseFunction").path("Properties");
    assertThat(function.path("Handler").asText())
        .isEqualTo(TokenReleaseHandler.class.getName() + "::handleRequest");
    assertThat(function.path("CodeUri").asText()).isEqualTo("target/ratelimiter-lambda.jar");
    List<String> variables = new ArrayList<>();
    function.path("Environment").path("Variables").fieldNames().forEachRemaining(variables::add);
    assertThat(variables).contains(TableNames.NON_FUNGIBLE_TABLE, TableNames.NON_FUNGIBLE_RES_INDEX,
        TokenReleaseHandler.RULES_VARIABLE, TokenReleaseHandler.MISSING_TOKEN_VARIABLE);
  }

  @Test
  void theEventBridgeRuleSendsOnlyEventsTheBundledRulesRelease() {
    JsonNode pattern = resources.path("TokenReleaseFunction").path("Properties").path("Events")
        .path("EmrClusterEnded").path("Properties").path("Pattern");
    EventProcessor clusters = EventRules.fromResource(TokenReleaseHandler.DEFAULT_RULES_RESOURCE).stream()
        .filter(p -> p.detailType().orElse("").equals("EMR Cluster State Change")).findFirst().orElseThrow();
    assertThat(texts(pattern.path("source"))).containsExactly(clusters.source());
    for (String state : texts(pattern.path("detail").path("state"))) {
      ObjectNode event = JsonNodeFactory.instance.objectNode();
      event.putObject("detail").put("state", state);
      assertThat(clusters.matches(event)).as(state).isTrue();
    }
  }
}
