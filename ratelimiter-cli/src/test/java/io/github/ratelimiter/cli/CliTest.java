package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Every command through {@code CommandLine.execute} against dynalite: success and the documented exit codes. */
class CliTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  @TempDir Path dir;

  private String base;
  private CliRunner cli;

  @BeforeEach
  void setUp() {
    base = LocalDynamoDb.uniqueName("cli");
    cli = new CliRunner(Map.of("DYNAMODB_ENDPOINT", DYNAMO.endpoint().toString(),
        "LIMITER_TABLES_BASE_NAME", base));
  }

  private void createTables() {
    try (DynamoDbClient client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, TableNames.of(base));
    }
  }

  @Test
  void tablesCreateDescribeAndDelete() {
    CliRunner.Result created = cli.run("tables", "create");
    assertThat(created.exit()).as(created.toString()).isZero();
    assertThat(created.out()).contains(base + "-limits").contains("created");

    CliRunner.Result described = cli.run("tables", "describe", "--json");
    assertThat(described.exit()).isZero();
    assertThat(described.json()).hasSize(3).allSatisfy(t -> assertThat(t.get("status").asText()).isEqualTo("ACTIVE"));
    assertThat(cli.run("tables", "create", "--json").json().get("created")).isEmpty();

    CliRunner.Result refused = cli.run("tables", "delete");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("without --yes");
    assertThat(cli.run("tables", "delete", "--yes").exit()).isZero();
    CliRunner.Result missing = cli.run("tables", "describe");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out()).contains("MISSING");
    assertThat(cli.run("tables", "delete", "--yes").exit()).as("nothing left to delete").isEqualTo(1);
  }

  @Test
  void limitsSetGetListAndDelete() {
    createTables();
    CliRunner.Result set = cli.run("limits", "set", "orders-api", "acct-1", "--limit", "10", "--window", "90s",
        "--service", "orders");
    assertThat(set.exit()).as(set.toString()).isZero();
    assertThat(cli.run("limits", "set", "emr", "acct-1", "--limit", "3", "--non-fungible").exit()).isZero();

    JsonNode row = cli.run("limits", "get", "orders-api", "acct-1", "--json").json().get(0);
    assertThat(row.get("limit").asLong()).isEqualTo(10);
    assertThat(row.get("windowSec").decimalValue()).isEqualByComparingTo("90");
    assertThat(row.get("serviceName").asText()).isEqualTo("orders");
    assertThat(cli.run("limits", "get", "emr", "acct-1", "--json").json().get(0).get("kind").asText())
        .isEqualTo("non-fungible");
    assertThat(cli.run("limits", "get", "orders-api", "acct-1").out()).contains("10").contains("90s");
    assertThat(row.get("leasing").asBoolean()).isFalse();
    assertThat(cli.run("limits", "set", "partner-api", "big", "--limit", "20000", "--window", "1s", "--leasing")
        .exit()).isZero();
    assertThat(cli.run("limits", "get", "partner-api", "big", "--json").json().get(0).get("leasing").asBoolean())
        .isTrue();
    assertThat(cli.run("limits", "get", "partner-api", "big").out()).contains("fungible, leased");
    CliRunner.Result capLeased = cli.run("limits", "set", "emr", "acct-2", "--limit", "3", "--non-fungible",
        "--leasing");
    assertThat(capLeased.exit()).isEqualTo(2);
    assertThat(capLeased.err()).contains("leasing: only a fungible limit");

    CliRunner.Result absent = cli.run("limits", "get", "orders-api", "nobody");
    assertThat(absent.exit()).isEqualTo(1);
    assertThat(absent.err()).contains("no limit row");

    assertThat(cli.run("limits", "list", "--service", "orders", "--json").json()).hasSize(1);
    assertThat(cli.run("limits", "list", "--resource", "emr", "--json").json()).hasSize(1);
    assertThat(cli.run("limits", "list").exit()).as("--service or --resource is required").isEqualTo(2);
    assertThat(cli.run("limits", "set", "api", "a", "--limit", "1").exit())
        .as("a window or --non-fungible is required").isEqualTo(2);
    assertThat(cli.run("limits", "set", "api", "a", "--limit", "-1", "--window", "1s").exit()).isEqualTo(2);

    assertThat(cli.run("limits", "delete", "orders-api", "acct-1").exit()).isZero();
    assertThat(cli.run("limits", "delete", "orders-api", "acct-1").exit()).isEqualTo(1);
  }

  /** {@code limits set} refuses what {@code limits sync} refuses, before anything is sent. */
  @Test
  void limitsSetRunsTheSyncValidationBeforeSendingAnything() {
    createTables();
    String longId = "x".repeat(1025);
    CliRunner.Result tooLong = cli.run("limits", "set", "api", longId, "--limit", "1", "--window", "1s");
    assertThat(tooLong.exit()).isEqualTo(2);
    assertThat(tooLong.err()).contains("accountId: must be at most 1024 UTF-8 bytes, was 1025");
    CliRunner.Result tooLongWindow = cli.run("limits", "set", "api", "a", "--limit", "1", "--window", "100000d");
    assertThat(tooLongWindow.exit()).isEqualTo(2);
    assertThat(tooLongWindow.err()).contains("windowSec: must be at most 315619200 seconds");
    CliRunner.Result fractional = cli.run("limits", "set", "api", "a", "--limit", "1", "--window", "1.5s");
    assertThat(fractional.exit()).isEqualTo(2);
    assertThat(fractional.err()).contains("windowSec: must be a whole number of seconds");
    assertThat(cli.run("limits", "list", "--resource", "api", "--json").json()).isEmpty();
  }

  @Test
  void limitsSyncDryRunApplyConflictsAndBadFiles() throws Exception {
    createTables();
    Path file = dir.resolve("orders.json");
    Files.writeString(file, "{\"limits\": ["
        + "{\"resourceName\": \"api\", \"accountId\": \"a\", \"limit\": 10, \"windowSec\": 1},"
        + "{\"resourceName\": \"api\", \"accountId\": \"b\", \"limit\": 20, \"windowSec\": 60}]}");

    JsonNode dry = cli.run("limits", "sync", file.toString(), "--service", "orders", "--dry-run", "--json").json();
    assertThat(dry.get("applied").asBoolean()).isFalse();
    assertThat(dry.get("counts").get("CREATE").asInt()).isEqualTo(2);
    assertThat(cli.run("limits", "list", "--service", "orders", "--json").json()).isEmpty();

    CliRunner.Result applied = cli.run("limits", "sync", file.toString(), "--service", "orders");
    assertThat(applied.exit()).as(applied.toString()).isZero();
    assertThat(applied.out()).contains("2 created");
    assertThat(cli.run("limits", "sync", file.toString(), "--service", "orders", "--json").json()
        .get("unchanged").asInt()).isEqualTo(2);

    Path other = dir.resolve("billing.yaml");
    Files.writeString(other, "limits:\n  - {resourceName: api, accountId: a, limit: 99, windowSec: 1}\n");
    CliRunner.Result conflict = cli.run("limits", "sync", other.toString(), "--service", "billing");
    assertThat(conflict.exit()).isEqualTo(1);
    assertThat(conflict.out()).contains("conflict").contains("owned by orders");
    JsonNode forced = cli.run("limits", "sync", other.toString(), "--service", "billing", "--force", "--json").json();
    assertThat(forced.get("counts").get("TAKE_OVER").asInt()).isEqualTo(1);

    Path bad = dir.resolve("bad.json");
    Files.writeString(bad,
        "{\"limits\": [{\"resourceName\": \"api\", \"accountId\": \"a\", \"limit\": 10, \"windowSec\": 1.5}]}");
    CliRunner.Result invalid = cli.run("limits", "sync", bad.toString(), "--service", "orders");
    assertThat(invalid.exit()).isEqualTo(2);
    assertThat(invalid.err()).contains(bad + ": limits[0].windowSec: must be a whole number of seconds");
    assertThat(cli.run("limits", "sync", dir.resolve("none.json").toString(), "--service", "x").exit())
        .isEqualTo(2);
  }

  @Test
  void acquirePrintsTheDecisionAndExitsOneWhenDenied() {
    createTables();
    cli.run("limits", "set", "api", "a", "--limit", "2", "--window", "10s");
    assertThat(cli.run("limits", "get", "api", "a", "--json").out()).contains("\"windowSec\" : 10,");

    JsonNode first = cli.run("acquire", "api", "a", "--json").json();
    assertThat(first.get("allowed").asBoolean()).isTrue();
    assertThat(first.get("remaining").asLong()).isEqualTo(1);
    assertThat(first.get("limitSource").asText()).isEqualTo("table");
    assertThat(cli.run("acquire", "api", "a").out()).contains("yes");

    CliRunner.Result denied = cli.run("acquire", "api", "a", "--json");
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.json().get("allowed").asBoolean()).isFalse();
    assertThat(denied.json().get("retryAfterMillis").asLong()).isBetween(1L, 5000L);

    assertThat(cli.run("acquire", "api", "nobody").exit()).as("no row, no default").isEqualTo(1);
    CliRunner.Result withDefault = cli.run("acquire", "api", "nobody", "--default-limit", "5", "--default-window",
        "1s", "--permits", "3", "--json");
    assertThat(withDefault.exit()).as(withDefault.toString()).isZero();
    assertThat(withDefault.json().get("remaining").asLong()).isEqualTo(2);
    assertThat(cli.run("acquire", "api", "a", "--permits", "0").exit()).isEqualTo(2);
    assertThat(cli.run("acquire", "api", "a", "--permits", "3").err()).contains("permits");
    assertThat(cli.run("acquire", "api", "a", "--permits", "three").exit()).isEqualTo(2);
  }

  @Test
  void acquireWithAnEstimateSettlesTheActualAndChargeGoesIntoDebt() {
    createTables();
    String[] quota = {"--default-limit", "requests=100/1h", "--default-limit", "tokens=1000/1h"};
    CliRunner.Result reserved = cli.run(concat(new String[] {"acquire", "llm", "k1", "--estimate", "tokens=600",
        "--settle", "tokens=100", "--json"}, quota));
    assertThat(reserved.exit()).as(reserved.toString()).isZero();
    assertThat(reserved.json().get("reserve").get("allowed").asBoolean()).isTrue();
    assertThat(reserved.json().get("settle").get("cost").asText()).isEqualTo("tokens=100");
    assertThat(reserved.json().get("settle").get("result").asText()).isEqualTo("tokens -500");
    // 100 used, not 600: another 600 fits
    CliRunner.Result again = cli.run(concat(new String[] {"acquire", "llm", "k1", "--estimate", "tokens=600"},
        quota));
    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(again.out().lines().skip(2).findFirst().orElseThrow()).contains("settle").contains("at the estimate");

    CliRunner.Result charged = cli.run(concat(new String[] {"charge", "llm", "k1", "--cost", "tokens=900", "--json"},
        quota));
    assertThat(charged.exit()).as("700 + 900 of 1000: over the limit").isEqualTo(1);
    assertThat(charged.json().get("withinLimits").asBoolean()).isFalse();
    assertThat(charged.json().get("limitName").asText()).isEqualTo("tokens");
    assertThat(charged.json().get("retryAfterMillis").asLong()).as("600 tokens of debt at 3.6 s each")
        .isBetween(2_150_000L, 2_160_000L);
    CliRunner.Result denied = cli.run(concat(new String[] {"acquire", "llm", "k1", "--estimate", "tokens=1"}, quota));
    assertThat(denied.exit()).isEqualTo(1);
    assertThat(denied.out()).contains("nothing (denied)");

    assertThat(cli.run("acquire", "llm", "k1", "--settle", "tokens=1").exit()).as("--settle alone").isEqualTo(2);
    assertThat(cli.run("acquire", "llm", "k1", "--cost", "tokens=1", "--estimate", "tokens=1").exit()).isEqualTo(2);
    assertThat(cli.run("charge", "llm", "k1").exit()).as("--cost is required").isEqualTo(2);
  }

  private static String[] concat(String[] first, String[] second) {
    String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }

  /** A quota of several named limits and a parent: set, shown by get and list, checked before anything is sent. */
  @Test
  void limitsSetTakesSeveralNamedLimitsAndAParent() {
    createTables();
    CliRunner.Result set = cli.run("limits", "set", "llm", "t1", "--limit", "requests=60/1m", "--limit",
        "tokens=100000/1m", "--limit", "daily=2000000/1d", "--parent", "org-1", "--service", "llm");
    assertThat(set.exit()).as(set.toString()).isZero();
    assertThat(set.out().lines().toList()).hasSize(4);
    assertThat(set.out().lines().skip(1).map(l -> l.split("\\s+")[2]).toList())
        .containsExactly("requests", "tokens", "daily");
    assertThat(set.out().replaceAll(" +", " ")).contains("tokens 100000 1m").contains("daily 2000000 1d")
        .contains("org-1");

    JsonNode row = cli.run("limits", "get", "llm", "t1", "--json").json().get(0);
    assertThat(row.get("limit").asLong()).isEqualTo(60);
    assertThat(row.get("windowSec").asLong()).isEqualTo(60);
    assertThat(row.get("limitName").asText()).isEqualTo("requests");
    assertThat(row.get("parentAccountId").asText()).isEqualTo("org-1");
    assertThat(row.get("limits")).extracting(l -> l.get("name").asText() + "=" + l.get("limit").asLong() + "/"
        + l.get("windowSec").asLong()).containsExactly("requests=60/60", "tokens=100000/60", "daily=2000000/86400");
    assertThat(cli.run("limits", "list", "--resource", "llm").out().lines().toList()).hasSize(4);
    assertThat(cli.run("limits", "list", "--service", "llm", "--json").json()).hasSize(1);

    assertThat(cli.run("limits", "set", "llm", "t2", "--limit", "30", "--window", "1m", "--parent", "org-1")
        .exit()).isZero();
    JsonNode plain = cli.run("limits", "get", "llm", "t2", "--json").json().get(0);
    assertThat(plain.get("limitName").isNull()).isTrue();
    assertThat(plain.get("limits")).singleElement().satisfies(l -> assertThat(l.get("name").isNull()).isTrue());
    assertThat(plain.get("parentAccountId").asText()).isEqualTo("org-1");
    assertThat(cli.run("limits", "set", "emr", "a", "--limit", "3", "--non-fungible", "--json").json().get(0)
        .get("limits")).as("a cap has no fungible limits").isEmpty();

    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "requests=60/1m", "--limit", "5", "--window",
        "1s"), "give every --limit as NAME=N/WINDOW, or one --limit N with --window, not both");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "requests=60/1m", "--window", "1s"),
        "--window goes with one --limit N");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "5", "--limit", "6", "--window", "1s"),
        "several --limit values must each be NAME=N/WINDOW");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "r=1/1m", "--limit", "r=2/1h"),
        "the name 'r' is given twice");
    assertOneErrorLine(cli.run("limits", "set", "emr", "x", "--limit", "r=1/1m", "--non-fungible"),
        "named limits (NAME=N/WINDOW) are a fungible quota");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "r=1/1m", "--parent", "x"),
        "--parent: an account cannot be its own parent");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "r=1/1m", "--limit", "t=5/1.5s"),
        "limits.t.windowSec: must be a whole number of seconds");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "r=many/1m"), "'many' is not a whole number");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "r=1/soon"), "--limit 'r=1/soon': the window");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "no spaces=1/1m"), "limitName: must be 1 to 64");
    assertOneErrorLine(cli.run("limits", "set", "llm", "x", "--limit", "r=1/1m", "--limit", "t=2/1m", "--leasing"),
        "leasing: a quota of several limits is not leased");
    assertThat(cli.run("limits", "get", "llm", "x").exit()).as("nothing was written").isEqualTo(1);
  }

  /** A file's quota entries: synced, shown with every limit in the plan, and a change of one limit is an update. */
  @Test
  void limitsSyncOfAQuotaShowsEveryLimitAndUpdatesOnAChangeOfOne() throws Exception {
    createTables();
    Path file = dir.resolve("llm.yaml");
    String yaml = String.join("\n",
        "limits:",
        "  - resourceName: llm",
        "    accountId: t1",
        "    parentAccountId: org-1",
        "    limits:",
        "      - {name: requests, limit: 60, windowSec: 60}",
        "      - {name: tokens, limit: 100000, windowSec: 60}",
        "");
    Files.writeString(file, yaml);
    CliRunner.Result created = cli.run("limits", "sync", file.toString(), "--service", "llm");
    assertThat(created.exit()).as(created.toString()).isZero();
    assertThat(created.out()).contains("requests: 60 per 1m, tokens: 100000 per 1m, parent org-1");

    Files.writeString(file, yaml.replace("limit: 100000", "limit: 200000"));
    JsonNode plan = cli.run("limits", "sync", file.toString(), "--service", "llm", "--json").json();
    assertThat(plan.get("counts").get("UPDATE").asInt()).isEqualTo(1);
    JsonNode change = plan.get("changes").get(0);
    assertThat(change.get("before").get("limits").get(1).get("limit").asLong()).isEqualTo(100_000);
    assertThat(change.get("after").get("limits").get(1).get("limit").asLong()).isEqualTo(200_000);
    assertThat(cli.run("limits", "get", "llm", "t1", "--json").json().get(0).get("limits").get(1).get("limit")
        .asLong()).isEqualTo(200_000);

    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, yaml.replace("name: tokens", "name: requests").replace("org-1", "t1"));
    CliRunner.Result invalid = cli.run("limits", "sync", bad.toString(), "--service", "llm");
    assertThat(invalid.exit()).isEqualTo(2);
    assertThat(invalid.err()).contains(bad + ": limits[0].limits[1].name: 'requests' is also the name of")
        .contains(bad + ": limits[0].parentAccountId: an account cannot be its own parent");
  }

  /** {@code acquire --cost} against the row's quota, or a default quota of named limits. */
  @Test
  void acquireTakesACostAgainstTheRowsQuotaOrADefaultQuota() {
    createTables();
    cli.run("limits", "set", "llm", "t1", "--limit", "requests=2/1h", "--limit", "tokens=1000/1h");

    JsonNode first = cli.run("acquire", "llm", "t1", "--cost", "tokens=800,requests=1", "--json").json();
    assertThat(first.get("allowed").asBoolean()).isTrue();
    assertThat(first.get("cost").get("tokens").asLong()).isEqualTo(800);
    assertThat(first.get("permits").isNull()).isTrue();
    assertThat(first.get("limitSource").asText()).isEqualTo("table");
    CliRunner.Result denied = cli.run("acquire", "llm", "t1", "--cost", "tokens=300");
    assertThat(denied.exit()).as(denied.toString()).isEqualTo(1);
    assertThat(denied.out()).contains("tokens=300").contains("no").contains("tokens: 1000 per 1h");
    assertThat(cli.run("acquire", "llm", "t1", "--json").json().get("limitName").asText())
        .as("a permit from every limit: requests has 1 left").isEqualTo("requests");
    assertThat(cli.run("acquire", "llm", "t1", "--cost", "requests=1").exit()).as("requests spent").isEqualTo(1);

    CliRunner.Result byDefault = cli.run("acquire", "llm", "t2", "--default-limit", "requests=5/1m",
        "--default-limit", "tokens=100/1m", "--cost", "tokens=100", "--json");
    assertThat(byDefault.exit()).as(byDefault.toString()).isZero();
    assertThat(byDefault.json().get("limitSource").asText()).isEqualTo("default");
    assertThat(byDefault.json().get("limitName").asText()).isEqualTo("tokens");
    assertThat(cli.run("acquire", "llm", "t2", "--default-limit", "requests=5/1m", "--default-limit",
        "tokens=100/1m", "--cost", "tokens=1").exit()).isEqualTo(1);
    cli.run("limits", "set", "llm", "t3", "--limit", "50", "--window", "1m");
    assertThat(cli.run("acquire", "llm", "t3", "--default-limit", "requests=5/1m", "--default-limit",
        "tokens=100/1m", "--cost", "requests=7", "--json").json().get("limit").asLong())
        .as("a row of one limit replaces the default's first").isEqualTo(50);

    assertOneErrorLine(cli.run("acquire", "llm", "t1", "--cost", "tokens=1", "--permits", "1"),
        "--permits and --cost are two ways to ask");
    assertOneErrorLine(cli.run("acquire", "llm", "t1", "--cost", "tokens"), "expected NAME=N[,NAME=N...]");
    assertOneErrorLine(cli.run("acquire", "llm", "t1", "--cost", "tokens=1,tokens=2"), "'tokens' is given twice");
    assertOneErrorLine(cli.run("acquire", "llm", "t1", "--cost", "images=1"), "names limit 'images'");
    assertOneErrorLine(cli.run("acquire", "llm", "t9", "--default-limit", "5"), "--default-limit N and"
        + " --default-window go together");
    assertOneErrorLine(cli.run("acquire", "llm", "t9", "--default-window", "1s"), "--default-limit and"
        + " --default-window go together");
  }

  @Test
  void tokensListAndRelease() {
    createTables();
    List<String> clusters = new ArrayList<>();
    try (RateLimiters limiters = RateLimiters.builder().store(DynamoDbStore.builder().client(DYNAMO.newClient())
        .ownsClient(true).tableNames(TableNames.of(base)).build()).build()) {
      limiters.nonFungible("emr", 5).reserve("a").createToken("j-1");
      limiters.nonFungible("emr", 5).reserve("a").createToken("j-2");
      Reservation held = limiters.nonFungible("emr", 5).reserve("a");
      clusters.add(held.reservationId());
    }

    JsonNode tokens = cli.run("tokens", "list", "emr", "a", "--json").json();
    assertThat(tokens).hasSize(3);
    assertThat(tokens).extracting(t -> t.get("kind").asText()).containsExactlyInAnyOrder("token", "token",
        "reservation");
    assertThat(cli.run("tokens", "list", "emr", "a").out()).contains("j-1").contains("3 live");

    CliRunner.Result released = cli.run("tokens", "release", "emr", "j-1");
    assertThat(released.exit()).as(released.toString()).isZero();
    assertThat(cli.run("tokens", "release", "emr", "j-1", "--json").json().get("released").asBoolean()).isFalse();
    assertThat(cli.run("tokens", "release", "emr", "j-1").exit()).isEqualTo(1);
    assertThat(cli.run("tokens", "list", "emr", "a", "--json").json()).hasSize(2);
  }

  /** A token the Python library wrote (a UUID reservation id, no holder) is listed, marked, and released. */
  @Test
  void tokensListMarksPythonRowsAndReleaseFreesThem() {
    createTables();
    long now = Instant.now().getEpochSecond();
    try (DynamoDbClient client = DYNAMO.newClient()) {
      client.putItem(b -> b.tableName(base + "-non-fungible-tokens").item(Map.of(
          "resourceCoordinate", AttributeValue.fromS("emr:a"),
          "reservationId", AttributeValue.fromS("5f0c8a9e-3b1d-4a57-9d1e-2b7c6f0a1e93"),
          "resourceName", AttributeValue.fromS("emr"), "accountId", AttributeValue.fromS("a"),
          "resourceId", AttributeValue.fromS("j-py"),
          "expirationTime", AttributeValue.fromN(Long.toString(now + 28_800)))));
    }

    JsonNode tokens = cli.run("tokens", "list", "emr", "a", "--json").json();
    assertThat(tokens).singleElement().satisfies(t -> {
      assertThat(t.get("foreign").asBoolean()).isTrue();
      assertThat(t.get("resourceId").asText()).isEqualTo("j-py");
    });
    assertThat(cli.run("tokens", "list", "emr", "a").out()).contains("python").contains("1 live");
    assertThat(cli.run("tokens", "release", "emr", "j-py").exit()).isZero();
    assertThat(cli.run("tokens", "list", "emr", "a", "--json").json()).isEmpty();
  }

  @Test
  void aMissingTableIsAStoreErrorExitingThree() {
    CliRunner.Result result = cli.run("limits", "get", "api", "a");
    assertThat(result.exit()).isEqualTo(3);
    assertThat(result.err()).contains(base + "-limits").contains("tables create");
    assertThat(cli.run("acquire", "api", "a", "--default-limit", "1", "--default-window", "1s").exit())
        .isEqualTo(3);
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(cli.run("frobnicate").exit()).isEqualTo(2);
    assertThat(cli.run("limits", "get", "only-one-arg").exit()).isEqualTo(2);
    assertThat(cli.run("demo", "--duration", "soon").exit()).isEqualTo(2);
    CliRunner.Result unconfigured = new CliRunner(Map.of()).run("limits", "get", "api", "a");
    assertThat(unconfigured.exit()).isEqualTo(2);
    assertThat(unconfigured.err()).contains("LIMITER_TABLES_BASE_NAME").contains("--base-name");
    assertThat(cli.run("--help").exit()).isZero();
    CliRunner.Result none = cli.run();
    assertThat(none.exit()).as("no command").isEqualTo(2);
    assertThat(none.err()).contains("Usage: ratelimiter");
  }

  /** One {@code error:} line naming the problem, exit 2, nothing else: no usage dump, no stack trace. */
  private static void assertOneErrorLine(CliRunner.Result result, String expected) {
    assertThat(result.exit()).as(result.toString()).isEqualTo(2);
    assertThat(result.err().lines().toList()).as(result.toString()).hasSize(1)
        .first().asString().startsWith("error: ").contains(expected);
    assertThat(result.out()).isEmpty();
  }

  @Test
  void everyUsageProblemIsOneErrorLine() throws Exception {
    assertOneErrorLine(cli.run("acquire", "api", "a", "--permits", "abc"), "'abc' is not a long");
    assertOneErrorLine(cli.run("frobnicate"), "frobnicate");
    assertOneErrorLine(cli.run("limits", "get", "only-one-arg"), "ACCOUNT");
    assertOneErrorLine(cli.run("--endpoint", "notaurl", "tables", "describe"), "not an http(s) URL: 'notaurl'");
    assertOneErrorLine(cli.run("--endpoint", "", "tables", "describe"), "not an http(s) URL: ''");
    assertOneErrorLine(new CliRunner(Map.of("DYNAMODB_ENDPOINT", "notaurl", "LIMITER_TABLES_BASE_NAME", base))
        .run("limits", "get", "api", "a"), "DYNAMODB_ENDPOINT is not an http(s) URL");
    Path aFile = Files.writeString(dir.resolve("a-file"), "");
    assertOneErrorLine(cli.run("demo", "--in-memory", "--chart", aFile.resolve("demo.png").toString()),
        "--chart: cannot create the directory");
    assertOneErrorLine(cli.run("demo", "--in-memory", "--chart", dir.toString()), "--chart is a directory");
    Path missing = dir.resolve("missing.yaml");
    assertOneErrorLine(cli.run("limits", "sync", missing.toString(), "--service", "s"), "no such file: " + missing);
  }

  @Test
  void jsonIsAlwaysOneDocumentWithStableKeys() {
    createTables();
    CliRunner.Result missingRow = cli.run("limits", "get", "api", "nobody", "--json");
    assertThat(missingRow.exit()).isEqualTo(1);
    assertThat(missingRow.json()).isEmpty();
    CliRunner.Result noLimit = cli.run("acquire", "api", "nobody", "--json");
    assertThat(noLimit.exit()).isEqualTo(1);
    assertThat(noLimit.json().get("allowed").asBoolean()).isFalse();
    CliRunner.Result usage = cli.run("acquire", "api", "a", "--permits", "abc", "--json");
    assertThat(usage.exit()).isEqualTo(2);
    assertThat(usage.json().get("exitCode").asInt()).isEqualTo(2);
    assertThat(usage.json().get("error").asText()).contains("'abc' is not a long");
    CliRunner.Result deleted = cli.run("limits", "delete", "api", "nobody", "--json");
    assertThat(deleted.json().fieldNames()).toIterable().containsExactly("resourceName", "accountId", "deleted");
  }

  @Test
  void humanOutputWritesDurationsAsPeopleDo() {
    createTables();
    assertThat(cli.run("limits", "set", "api", "a", "--limit", "3", "--window", "10m").exit()).isZero();
    assertThat(cli.run("limits", "get", "api", "a").out()).contains("10m").doesNotContain("PT");
    CliRunner.Result acquired = cli.run("acquire", "api", "a");
    assertThat(acquired.out()).contains("3 per 10m").doesNotContain("PT");
    assertThat(cli.run("acquire", "api", "b", "--default-limit", "50", "--default-window", "1s").out())
        .contains("50 per 1s (default)");
  }

  @Test
  void flagsOverrideTheEnvironmentAndGlobalOptionsGoAnywhere() {
    createTables();
    CliRunner wrongEnvironment = new CliRunner(Map.of("DYNAMODB_ENDPOINT", "http://127.0.0.1:1",
        "LIMITER_TABLES_BASE_NAME", "does-not-exist"));

    CliRunner.Result result = wrongEnvironment.run("limits", "set", "api", "a", "--limit", "1", "--window", "1s",
        "--endpoint", DYNAMO.endpoint().toString(), "--base-name", base, "--json");

    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(result.json().get(0).get("limit").asLong()).isEqualTo(1);
    assertThat(wrongEnvironment.run("--endpoint", DYNAMO.endpoint().toString(), "--limit-table", base + "-limits",
        "limits", "get", "api", "a").exit()).isZero();
  }
}
