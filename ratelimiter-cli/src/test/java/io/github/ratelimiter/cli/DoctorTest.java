package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** {@code ratelimiter doctor} against dynalite: a verdict per line, exit 1 when a check fails. */
class DoctorTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private final String base = LocalDynamoDb.uniqueName("doctor");
  private final CliRunner cli = new CliRunner(Map.of("DYNAMODB_ENDPOINT", DYNAMO.endpoint().toString(),
      "LIMITER_TABLES_BASE_NAME", base));

  @Test
  void healthyTablesPassEveryCheckAndEveryActionIsPermitted() {
    try (DynamoDbClient client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, TableNames.of(base));
    }
    CliRunner.Result result = cli.run("doctor");
    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(result.out())
        .contains("OK       health probe")
        .contains("fungible table: key schema")
        .contains("resourceName HASH, accountId RANGE")
        .contains("non-fungible table: index " + base + "-resource-index")
        .contains("limit table: dynamodb:BatchWriteItem")
        .containsPattern("OK +fungible table: dynamodb:UpdateItem +permitted")
        // dynalite has DescribeTimeToLive but no UpdateTimeToLive: TTL is DISABLED there, a warning; moto has both
        .containsPattern(LocalDynamoDb.onDynalite() ? "WARN +non-fungible table: TTL +DISABLED"
            : "OK +non-fungible table: TTL +ENABLED on expirationTime")
        .contains("0 failed");

    JsonNode json = cli.run("doctor", "--json").json();
    assertThat(json.get("verdict").asText()).isEqualTo("OK");
    assertThat(json.get("healthy").asBoolean()).isTrue();
    List<String> actions = new ArrayList<>();
    json.get("findings").forEach(f -> {
      assertThat(f.get("verdict").asText()).isIn("OK", "WARN");
      actions.add(f.get("subject").asText());
    });
    // every action of the README's Permissions table, on its table
    assertThat(actions).contains(
        "fungible table: dynamodb:UpdateItem", "fungible table: dynamodb:GetItem",
        "limit table: dynamodb:Query", "limit table: dynamodb:GetItem", "limit table: dynamodb:PutItem",
        "limit table: dynamodb:DeleteItem", "limit table: dynamodb:BatchGetItem",
        "limit table: dynamodb:Query on index " + base + "-limits-service-index",
        "non-fungible table: dynamodb:Query", "non-fungible table: dynamodb:PutItem",
        "non-fungible table: dynamodb:DeleteItem",
        "non-fungible table: dynamodb:Query on index " + base + "-resource-index",
        "fungible table: dynamodb:DescribeTable");
    assertThat(actions).anyMatch(a -> a.startsWith("limit table: dynamodb:BatchWriteItem"))
        .anyMatch(a -> a.startsWith("non-fungible table: dynamodb:CreateTable"));
  }

  @Test
  void missingTablesFailWithExitOne() {
    CliRunner.Result result = cli.run("doctor");
    assertThat(result.exit()).as(result.toString()).isEqualTo(1);
    assertThat(result.out())
        .containsPattern("FAIL +health probe +unhealthy")
        .containsPattern("FAIL +limit table +'" + base + "-limits' does not exist")
        .contains("FAIL: 4 checks, 4 failed");
  }

  @Test
  void anUnreachableStoreIsAFailedCheckNotAStackTrace() {
    CliRunner unreachable = new CliRunner(Map.of("LIMITER_TABLES_BASE_NAME", base,
        "RATELIMITER_DYNAMODB_MAX_ATTEMPTS", "1")); // one refused connection per call, no retries to wait for
    CliRunner.Result result = unreachable.run("--endpoint", "http://127.0.0.1:9", "doctor");
    assertThat(result.exit()).as(result.toString()).isEqualTo(1);
    assertThat(result.out()).containsPattern("FAIL +fungible table +'" + base + "-fungible-tokens' could not be"
        + " described");
    assertThat(result.err()).isEmpty();
  }
}
