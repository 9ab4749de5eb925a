package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.SyncPlan.Action;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Limit rows of several limits and a parent (issue 19), against dynalite: files and the store write them as
 * {@code limitName}, {@code limits} and {@code parentAccountId} beside the Python library's {@code limit} and
 * {@code windowSec}, read them back, a sync sees a change in any of them, rows without them stay what they were,
 * and every problem of a file is named by entry and field before anything is sent.
 */
class LimitRowsWithQuotasTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final Duration MINUTE = Duration.ofMinutes(1);

  private static final String YAML = String.join("\n",
      "limits:",
      "  - resourceName: llm-api",
      "    accountId: tenant-1",
      "    parentAccountId: org-1",
      "    limits:",
      "      - {name: requests, limit: 60, windowSec: 60}",
      "      - {name: tokens, limit: 100000, windowSec: 60}",
      "      - {name: daily-tokens, limit: 2000000, windowSec: 86400}",
      "  - {resourceName: llm-api, accountId: org-1, limits: [{name: tokens, limit: 1000000, windowSec: 60}]}",
      "  - {resourceName: llm-api, accountId: tenant-2, limit: 30, windowSec: 60, parentAccountId: org-1}",
      "  - {resourceName: llm-api, accountId: tenant-3, limit: 10, windowSec: 60}");

  private final RequestCounter requests = new RequestCounter();
  private DynamoDbTestTables tables;
  private DynamoDbClient client;
  private LimitLoader loader;
  private DynamoDbStore store;

  @BeforeEach
  void open() {
    tables = new DynamoDbTestTables(DYNAMO);
    client = DYNAMO.newClient(requests);
    loader = LimitLoader.create(client, tables.names);
    store = tables.openStore();
  }

  @AfterEach
  void close() {
    client.close();
    store.close();
  }

  private static Map<String, Limit> more(Object... namesAndLimits) {
    Map<String, Limit> more = new LinkedHashMap<>();
    for (int i = 0; i < namesAndLimits.length; i += 2) {
      more.put((String) namesAndLimits[i], (Limit) namesAndLimits[i + 1]);
    }
    return more;
  }

  private static final LimitRecord TENANT_1 = new LimitRecord("llm-api", "tenant-1", 60, MINUTE, "svc", false,
      "requests", more("tokens", Limit.of(100_000, MINUTE), "daily-tokens", Limit.of(2_000_000, Duration.ofDays(1))),
      "org-1");

  @Test
  void aFileOfSeveralLimitsAndParentsRoundTripsThroughTheTableAndAResyncIsUnchanged() {
    SyncPlan plan = loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", YAML), false);

    assertThat(plan.count(Action.CREATE)).isEqualTo(4);
    assertThat(stored("llm-api", "tenant-1")).contains(TENANT_1);
    assertThat(stored("llm-api", "org-1")).contains(new LimitRecord("llm-api", "org-1", 1_000_000, MINUTE, "svc",
        false, "tokens", Map.of(), null));
    assertThat(stored("llm-api", "tenant-2")).contains(new LimitRecord("llm-api", "tenant-2", 30, MINUTE, "svc",
        false, null, Map.of(), "org-1"));
    assertThat(stored("llm-api", "tenant-3")).contains(new LimitRecord("llm-api", "tenant-3", 10, MINUTE, "svc"));
    assertThat(stored("llm-api", "tenant-1").orElseThrow().moreLimits().keySet()).as("in the file's order")
        .containsExactly("tokens", "daily-tokens");
    assertThat(store.limits().listByService("svc")).hasSize(4).contains(TENANT_1);

    assertThat(loader.plan(ServiceLimits.parseYaml("svc", "limits.yaml", YAML), false).unchanged()).isEqualTo(4);
    String json = "{\"limits\": [{\"resourceName\": \"llm-api\", \"accountId\": \"tenant-1\", \"parentAccountId\":"
        + " \"org-1\", \"limits\": [{\"name\": \"requests\", \"limit\": 60, \"windowSec\": 60},"
        + " {\"name\": \"tokens\", \"limit\": 100000, \"windowSec\": 60},"
        + " {\"name\": \"daily-tokens\", \"limit\": 2000000, \"windowSec\": 86400}]}]}";
    assertThat(ServiceLimits.parseJson("svc", "limits.json", json).limits()).as("JSON reads as YAML does")
        .containsExactly(TENANT_1);
  }

  /**
   * The attributes, one by one: the first limit where the Python library reads it, the others in one list, the
   * name and parent as strings; rows that use none of them carry none of them.
   */
  @Test
  void theRowFormatKeepsTheFirstLimitWhereThePythonLibraryReadsItAndAddsAttributesOnlyWhenSet() {
    loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", YAML), false);

    Map<String, AttributeValue> tenant1 = item("llm-api", "tenant-1");
    assertThat(tenant1).containsOnlyKeys("resourceName", "accountId", "limit", "windowSec", "serviceName",
        "limitName", "limits", "parentAccountId");
    assertThat(tenant1).containsEntry("limit", AttributeValue.fromN("60"))
        .containsEntry("windowSec", AttributeValue.fromN("60"))
        .containsEntry("limitName", AttributeValue.fromS("requests"))
        .containsEntry("parentAccountId", AttributeValue.fromS("org-1"))
        .containsEntry("limits", AttributeValue.fromL(List.of(
            AttributeValue.fromM(Map.of("name", AttributeValue.fromS("tokens"),
                "limit", AttributeValue.fromN("100000"), "windowSec", AttributeValue.fromN("60"))),
            AttributeValue.fromM(Map.of("name", AttributeValue.fromS("daily-tokens"),
                "limit", AttributeValue.fromN("2000000"), "windowSec", AttributeValue.fromN("86400"))))));
    assertThat(item("llm-api", "org-1")).as("one named limit: a name, no list")
        .containsOnlyKeys("resourceName", "accountId", "limit", "windowSec", "serviceName", "limitName");
    assertThat(item("llm-api", "tenant-2")).as("one limit and a parent")
        .containsOnlyKeys("resourceName", "accountId", "limit", "windowSec", "serviceName", "parentAccountId");
    assertThat(item("llm-api", "tenant-3")).as("today's row, byte for byte what the Python loader writes")
        .isEqualTo(Map.of("resourceName", AttributeValue.fromS("llm-api"),
            "accountId", AttributeValue.fromS("tenant-3"), "limit", AttributeValue.fromN("10"),
            "windowSec", AttributeValue.fromN("60"), "serviceName", AttributeValue.fromS("svc")));
  }

  /** The limiter reads the row's whole quota; the Python loader rewriting the row leaves its first limit only. */
  @Test
  void theLimiterDecidesTheRowsQuotaAndAPythonRewriteLeavesTheFirstLimit() {
    loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", YAML), false);
    try (RateLimiters limiters = RateLimiters.builder().store(tables.openStore()).clock(ManualClock.create())
        .build()) {
      FungibleLimiter llm = limiters.fungible("llm-api", Quota.builder()
          .limit("requests", Limit.of(5, MINUTE)).limit("tokens", Limit.of(1_000, MINUTE)).build());

      assertThat(llm.quotaFor("tenant-1")).isEqualTo(TENANT_1.quota("unused"));
      assertThat(llm.tryAcquire("tenant-1", Cost.of(Map.of("requests", 1L, "tokens", 100_000L))).allowed()).isTrue();
      Decision denied = llm.tryAcquire("tenant-1", Cost.of(Map.of("requests", 1L, "tokens", 1L)));
      assertThat(denied.allowed()).isFalse();
      assertThat(denied.limitName()).isEqualTo("tokens");
      assertThat(llm.quotaFor("tenant-3")).as("a row of one limit replaces the default's first")
          .isEqualTo(Quota.builder().limit("requests", Limit.of(10, MINUTE)).limit("tokens", Limit.of(1_000, MINUTE))
              .build());
    }

    // The Python loader's put (its _build_put_item) writes only its own attributes: the row is one limit again.
    new PythonRows(client, tables.names).limit("llm-api", "tenant-1", 60, 60, "svc");
    assertThat(stored("llm-api", "tenant-1")).contains(new LimitRecord("llm-api", "tenant-1", 60, MINUTE, "svc"));
    assertThat(loader.plan(ServiceLimits.parseYaml("svc", "limits.yaml", YAML), false).changes(Action.UPDATE))
        .as("our next sync puts the quota back").extracting(SyncPlan.Change::key)
        .containsExactly(new LimitKey("llm-api", "tenant-1"));
  }

  @Test
  void aSyncSeesAChangeInAnyLimitItsNameItsOrderOrTheParent() {
    loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", YAML), false);
    List<String> edits = List.of(
        YAML.replace("{name: tokens, limit: 100000,", "{name: tokens, limit: 100001,"),
        YAML.replace("name: daily-tokens, limit: 2000000, windowSec: 86400", "name: daily-tokens, limit: 2000000,"
            + " windowSec: 3600"),
        YAML.replace("name: daily-tokens", "name: day-tokens"),
        YAML.replace("name: requests", "name: calls"),
        YAML.replace("    parentAccountId: org-1\n", "    parentAccountId: org-2\n"),
        YAML.replace("    parentAccountId: org-1\n", ""),
        YAML.replace("      - {name: tokens, limit: 100000, windowSec: 60}\n", "")
            .replace("windowSec: 86400}", "windowSec: 86400}\n      - {name: tokens, limit: 100000, windowSec: 60}"),
        YAML.replace("      - {name: daily-tokens, limit: 2000000, windowSec: 86400}\n", ""));
    for (String edit : edits) {
      assertThat(edit).isNotEqualTo(YAML);
      SyncPlan plan = loader.plan(ServiceLimits.parseYaml("svc", "limits.yaml", edit), false);
      assertThat(plan.changes(Action.UPDATE)).as(edit).extracting(SyncPlan.Change::key)
          .containsExactly(new LimitKey("llm-api", "tenant-1"));
      assertThat(plan.unchanged()).isEqualTo(3);
    }

    // Back to one unnamed limit without a parent: the row is exactly what the Python loader writes again.
    String plain = YAML.replace(String.join("\n",
        "    parentAccountId: org-1",
        "    limits:",
        "      - {name: requests, limit: 60, windowSec: 60}",
        "      - {name: tokens, limit: 100000, windowSec: 60}",
        "      - {name: daily-tokens, limit: 2000000, windowSec: 86400}"), "    limit: 60\n    windowSec: 60");
    assertThat(loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", plain), false).count(Action.UPDATE))
        .isEqualTo(1);
    assertThat(item("llm-api", "tenant-1"))
        .containsOnlyKeys("resourceName", "accountId", "limit", "windowSec", "serviceName");
  }

  @Test
  void everyProblemOfAnEntryWithSeveralLimitsIsNamedByEntryAndFieldAndNothingIsSent() {
    String file = String.join("\n",
        "limits:",
        // 0: both limit and limits, windowSec too
        "  - {resourceName: a, accountId: x, limit: 1, windowSec: 1, limits: [{name: r, limit: 1, windowSec: 1}]}",
        // 1: duplicate names, a fractional window, a missing window, an unknown field, a bad name
        "  - resourceName: a",
        "    accountId: y",
        "    limits:",
        "      - {name: r, limit: 1, windowSec: 1}",
        "      - {name: r, limit: 2, windowSec: 1.5}",
        "      - {name: t, limit: 3}",
        "      - {name: u, limit: 3, windowSec: 60, window: 1m}",
        "      - {name: 'no spaces', limit: 3, windowSec: 60}",
        // 2: a non-fungible entry with several limits
        "  - {resourceName: b, accountId: x, kind: non-fungible, limits: [{name: r, limit: 1, windowSec: 1},"
            + " {name: s, limit: 2, windowSec: 2}]}",
        // 3: its own parent
        "  - {resourceName: a, accountId: z, limit: 1, windowSec: 1, parentAccountId: z}",
        // 4: an empty list, a parent that is not a string
        "  - {resourceName: a, accountId: w, limits: [], parentAccountId: 12}",
        // 5: leasing a quota of several limits
        "  - {resourceName: a, accountId: v, leasing: true, limits: [{name: r, limit: 1, windowSec: 1},"
            + " {name: s, limit: 2, windowSec: 2}]}",
        // 6: nine limits
        "  - {resourceName: a, accountId: u, limits: [" + nine() + "]}",
        // 7: an unknown field (a typo of parentAccountId)
        "  - {resourceName: a, accountId: t, limit: 1, windowSec: 1, parent: org-1}");

    assertThatThrownBy(() -> ServiceLimits.parseYaml("svc", "quotas.yaml", file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("14 problems in quotas.yaml:")
        .hasMessageContaining("quotas.yaml: limits[0].limit: give either limit and windowSec, or limits")
        .hasMessageContaining("quotas.yaml: limits[0].windowSec: give either limit and windowSec, or limits")
        .hasMessageContaining("quotas.yaml: limits[1].limits[1].name: 'r' is also the name of limits[1].limits[0]")
        .hasMessageContaining("quotas.yaml: limits[1].limits[1].windowSec: must be a whole number of seconds")
        .hasMessageContaining("quotas.yaml: limits[1].limits[2].windowSec: missing (each limit of a list has its own"
            + " window")
        .hasMessageContaining("quotas.yaml: limits[1].limits[3].window: unknown field (known: name, limit, windowSec)")
        .hasMessageContaining("quotas.yaml: limits[1].limits[4].name: must be 1 to 64 letters, digits, '_', '-' or"
            + " '.', was 'no spaces'")
        .hasMessageContaining("quotas.yaml: limits[2].limits: a non-fungible limit is one cap with no window")
        .hasMessageContaining("quotas.yaml: limits[3].parentAccountId: an account cannot be its own parent, was 'z'")
        .hasMessageContaining("quotas.yaml: limits[4].limits: must be a list of 1 to 8 limits")
        .hasMessageContaining("quotas.yaml: limits[4].parentAccountId: must be a string, was 12")
        .hasMessageContaining("quotas.yaml: limits[5].leasing: a quota of several limits is not leased")
        .hasMessageContaining("quotas.yaml: limits[6].limits: at most 8 limits (one write decides them all), was 9")
        .hasMessageContaining("quotas.yaml: limits[7].parent: unknown field (known: resourceName, accountId, limit,"
            + " windowSec, limits, parentAccountId, kind, leasing)");
    assertThat(requests.total()).isZero();
  }

  /** Rows given in code go through the same checks as a file's, in the loader and in the store's put. */
  @Test
  void rowsGivenInCodeAreCheckedAsAFilesEntriesBeforeAnythingIsSent() {
    LimitRecord bad = new LimitRecord("a", "x", 1, MINUTE, null, true, "req uests",
        more("tokens", Limit.of(5, Duration.ofMillis(1500)), "requests", Limit.of(5, MINUTE)), " ");
    assertThatThrownBy(() -> store.limits().put(bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limitName: must be 1 to 64 letters")
        .hasMessageContaining("limits.tokens.windowSec: must be a whole number of seconds")
        .hasMessageContaining("leasing: a quota of several limits is not leased")
        .hasMessageContaining("parentAccountId: must not be blank");
    assertThatThrownBy(() -> ServiceLimits.of("svc", List.of(new LimitRecord("a", "x", 1, MINUTE, null, false,
        "requests", more("requests", Limit.of(5, MINUTE)), null))))
        .hasMessageContaining("limits[0].limits.requests.name: the first limit (limitName) has this name too");
    assertThatThrownBy(() -> store.limits().put(new LimitRecord("emr", "x", 1, null, null, false, "slots", Map.of(),
        null))).hasMessageContaining("limitName: only a fungible limit (one with a window) is named");
    assertThat(requests.total()).isZero();
  }

  /** A row another writer stored with a malformed list cannot be read as a limit; the default applies. */
  @Test
  void aMalformedLimitsAttributeMakesTheRowUnreadableRatherThanMisread() {
    client.putItem(b -> b.tableName(tables.names.limitTable()).item(Map.of(
        "resourceName", AttributeValue.fromS("api"), "accountId", AttributeValue.fromS("a"),
        "limit", AttributeValue.fromN("5"), "windowSec", AttributeValue.fromN("1"),
        "limits", AttributeValue.fromL(List.of(AttributeValue.fromS("tokens=5/1s"))))));
    assertThat(stored("api", "a")).isEmpty();
  }

  private static String nine() {
    StringBuilder limits = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      limits.append(i == 0 ? "" : ", ").append("{name: l").append(i).append(", limit: 1, windowSec: ").append(i + 1)
          .append('}');
    }
    return limits.toString();
  }

  private Optional<LimitRecord> stored(String resourceName, String accountId) {
    return store.limits().find(resourceName, accountId, Deadline.none());
  }

  private Map<String, AttributeValue> item(String resourceName, String accountId) {
    return client.getItem(b -> b.tableName(tables.names.limitTable()).consistentRead(true)
        .key(Map.of("resourceName", AttributeValue.fromS(resourceName), "accountId", AttributeValue.fromS(accountId))))
        .item();
  }
}
