package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.dynamodb.SyncPlan.Action;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/** The Python limit loader's failure cases, each against dynalite, and the loader's own guarantees. */
class LimitLoaderTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

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

  /** The limit row as the store reads it, outside any decision. */
  private Optional<LimitRecord> stored(String resourceName, String accountId) {
    return store.limits().find(resourceName, accountId, Deadline.none());
  }

  @Test
  void anEmptyListDeletesEveryRowOfTheService() {
    loader.sync(json("orders", row("api", "a", 10, "1"), row("api", "b", 20, "1")), false);
    loader.sync(json("billing", row("api", "c", 5, "1")), false);

    SyncPlan plan = loader.sync(json("orders"), false);

    assertThat(plan.count(Action.DELETE)).isEqualTo(2);
    assertThat(store.limits().listByService("orders")).isEmpty();
    assertThat(store.limits().listByService("billing")).extracting(LimitRecord::accountId).containsExactly("c");
  }

  @Test
  void keysThatConcatenateAlikeDoNotCollide() {
    SyncPlan plan = loader.sync(json("svc", row("a", "bc", 1, "1"), row("ab", "c", 2, "1")), false);

    assertThat(plan.count(Action.CREATE)).isEqualTo(2);
    assertThat(stored("a", "bc")).get().extracting(LimitRecord::limit).isEqualTo(1L);
    assertThat(stored("ab", "c")).get().extracting(LimitRecord::limit).isEqualTo(2L);
    SyncPlan again = loader.sync(json("svc", row("a", "bc", 1, "1"), row("ab", "c", 2, "1")), false);
    assertThat(again.changes()).isEmpty();
    assertThat(again.unchanged()).isEqualTo(2);
  }

  @Test
  void anEntryWithoutAWindowIsStoredWithWindowZeroAsThePythonLoaderStoresIt() {
    String file = "{\"limits\": [{\"resourceName\": \"api\", \"accountId\": \"a\", \"limit\": 10}]}";

    loader.sync(ServiceLimits.parseJson("svc", "limits.json", file), false);

    assertThat(stored("api", "a")).contains(new LimitRecord("api", "a", 10, null, "svc"));
    assertThat(client.getItem(b -> b.tableName(tables.names.limitTable())
        .key(Map.of("resourceName", AttributeValue.fromS("api"), "accountId", AttributeValue.fromS("a"))))
        .item().get("windowSec")).isEqualTo(AttributeValue.fromN("0"));
  }

  @Test
  void aNonFungibleLimitIsDeclaredByItsKindAndStoredWithoutAWindow() {
    ServiceLimits limits = ServiceLimits.parseYaml("svc", "limits.yaml", String.join("\n",
        "limits:",
        "  - {resourceName: emr-cluster, accountId: a, limit: 3, kind: non-fungible}",
        "  - {resourceName: api, accountId: a, limit: 10, windowSec: 90}"));

    loader.sync(limits, false);

    assertThat(stored("emr-cluster", "a")).contains(new LimitRecord("emr-cluster", "a", 3, null, "svc"));
    assertThat(stored("api", "a"))
        .contains(new LimitRecord("api", "a", 10, Duration.ofSeconds(90), "svc"));
    assertThat(loader.plan(limits, false).unchanged()).isEqualTo(2);
  }

  @Test
  void aLeasedRowIsStoredWithLeasingTrueReadBackAndItsSwitchAloneIsAnUpdate() {
    String leased = String.join("\n",
        "limits:",
        "  - {resourceName: partner-api, accountId: big, limit: 20000, windowSec: 1, leasing: true}",
        "  - {resourceName: partner-api, accountId: small, limit: 50, windowSec: 1}");
    loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", leased), false);

    assertThat(stored("partner-api", "big"))
        .contains(new LimitRecord("partner-api", "big", 20_000, Duration.ofSeconds(1), "svc", true));
    assertThat(stored("partner-api", "small")).get().extracting(LimitRecord::leasing).isEqualTo(false);
    Map<String, AttributeValue> big = client.getItem(b -> b.tableName(tables.names.limitTable())
        .key(Map.of("resourceName", AttributeValue.fromS("partner-api"), "accountId", AttributeValue.fromS("big"))))
        .item();
    assertThat(big.get("leasing")).isEqualTo(AttributeValue.fromBool(true));
    Map<String, AttributeValue> small = client.getItem(b -> b.tableName(tables.names.limitTable())
        .key(Map.of("resourceName", AttributeValue.fromS("partner-api"), "accountId", AttributeValue.fromS("small"))))
        .item();
    assertThat(small).as("a row that does not lease is what the Python loader writes").doesNotContainKey("leasing");
    assertThat(loader.plan(ServiceLimits.parseYaml("svc", "limits.yaml", leased), false).unchanged()).isEqualTo(2);

    SyncPlan off = loader.sync(ServiceLimits.parseYaml("svc", "limits.yaml", leased.replace(", leasing: true", "")),
        false);
    assertThat(off.count(Action.UPDATE)).isEqualTo(1);
    assertThat(stored("partner-api", "big")).get().extracting(LimitRecord::leasing).isEqualTo(false);
  }

  @Test
  void leasingIsOnlyForAFungibleLimitWithItsOwnWindowAndOnlyTrueOrFalse() {
    assertThatThrownBy(() -> ServiceLimits.parseYaml("svc", "limits.yaml", String.join("\n",
        "limits:",
        "  - {resourceName: emr, accountId: a, limit: 3, kind: non-fungible, leasing: true}",
        "  - {resourceName: api, accountId: a, limit: 10, leasing: true}",
        "  - {resourceName: api, accountId: b, limit: 10, windowSec: 1, leasing: yes please}")))
        .hasMessageContaining("limits[0].leasing: only a fungible limit is leased")
        .hasMessageContaining("limits[1].leasing: a leased limit needs its own windowSec")
        .hasMessageContaining("limits[2].leasing: must be true or false, was \"yes please\"");
    assertThatThrownBy(() -> store.limits().put(new LimitRecord("emr", "a", 3, null, null, true)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leasing: only a fungible limit");
    assertThat(requests.total()).isZero();
  }

  @Test
  void aFractionalOrSubSecondWindowIsRefusedBeforeAnythingIsSent() {
    assertThatThrownBy(() -> ServiceLimits.parseJson("svc", "limits.json",
        "{\"limits\": [" + row("api", "a", 10, "1.5") + "," + row("api", "b", 10, "0.5") + "]}"))
        .hasMessageContaining("limits[0].windowSec: must be a whole number of seconds")
        .hasMessageContaining("limits[1].windowSec: must be a whole number of seconds");
    assertThatThrownBy(() -> ServiceLimits.of("svc",
        List.of(new LimitRecord("api", "a", 10, Duration.ofMillis(1500), null))))
        .hasMessageContaining("limits[0].windowSec: must be a whole number of seconds");
    assertThatThrownBy(() -> store.limits().put(new LimitRecord("api", "a", 10, Duration.ofMillis(500), null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("windowSec");
    assertThat(requests.total()).isZero();
    assertThat(stored("api", "a")).isEmpty();
  }

  @Test
  void aRowThePythonLoaderStoredWithWindowZeroReadsAsNoWindowAndAWindowRepairsIt() {
    client.putItem(b -> b.tableName(tables.names.limitTable()).item(Map.of(
        "resourceName", AttributeValue.fromS("api"), "accountId", AttributeValue.fromS("a"),
        "limit", AttributeValue.fromN("10"), "windowSec", AttributeValue.fromN("0"),
        "serviceName", AttributeValue.fromS("svc"))));
    assertThat(stored("api", "a")).contains(new LimitRecord("api", "a", 10, null, "svc"));

    SyncPlan plan = loader.sync(json("svc", row("api", "a", 10, "60")), false);

    assertThat(plan.changes()).singleElement().satisfies(c -> {
      assertThat(c.action()).isEqualTo(Action.UPDATE);
      assertThat(c.before()).isEqualTo(new LimitRecord("api", "a", 10, null, "svc"));
    });
    assertThat(stored("api", "a")).get().extracting(LimitRecord::window)
        .isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void threeThousandRowsSpanSeveralIndexPagesAndAResyncWritesNothingAndACutLeavesOneRow() {
    String resource = "orders-api";
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      rows.add(row(resource, String.format("account-%04d-", i), 1 + i % 7, "60"));
    }
    SyncPlan first = loader.sync(json("big", rows.toArray(String[]::new)), false);
    assertThat(first.count(Action.CREATE)).isEqualTo(3000);
    assertThat(requests.count("BatchWriteItem")).isEqualTo(3000 / 25);

    requests.reset();
    SyncPlan again = loader.sync(json("big", rows.toArray(String[]::new)), false);
    assertThat(again.changes()).isEmpty();
    assertThat(again.unchanged()).isEqualTo(3000);
    assertThat(requests.count("Query")).as("index pages read").isGreaterThanOrEqualTo(3000 / LimitLoader.PAGE_ROWS);
    assertThat(requests.snapshot()).containsOnlyKeys("Query");

    SyncPlan cut = loader.sync(json("big", rows.get(1234)), false);
    assertThat(cut.count(Action.DELETE)).isEqualTo(2999);
    assertThat(cut.unchanged()).isEqualTo(1);
    List<Map<String, AttributeValue>> left = client.scan(b -> b.tableName(tables.names.limitTable())).items();
    assertThat(left).singleElement().satisfies(item ->
        assertThat(item.get("accountId").s()).startsWith("account-1234-"));
  }

  @Test
  void twoServicesCannotSilentlyTakeOverEachOthersRows() {
    loader.sync(json("orders", row("api", "shared", 10, "1")), false);

    SyncPlan billing = loader.sync(json("billing", row("api", "shared", 99, "1"), row("api", "own", 5, "1")), false);

    assertThat(billing.conflicts()).singleElement().satisfies(c -> {
      assertThat(c.key()).isEqualTo(new LimitKey("api", "shared"));
      assertThat(c.owner()).isEqualTo("orders");
      assertThat(c.wanted().limit()).isEqualTo(99);
    });
    assertThat(billing.changes()).extracting(SyncPlan.Change::key).containsExactly(new LimitKey("api", "own"));
    assertThat(stored("api", "shared")).contains(
        new LimitRecord("api", "shared", 10, Duration.ofSeconds(1), "orders"));

    SyncPlan forced = loader.sync(json("billing", row("api", "shared", 99, "1"), row("api", "own", 5, "1")), true);
    assertThat(forced.conflicts()).isEmpty();
    assertThat(forced.changes()).singleElement().extracting(SyncPlan.Change::action).isEqualTo(Action.TAKE_OVER);
    assertThat(stored("api", "shared")).contains(
        new LimitRecord("api", "shared", 99, Duration.ofSeconds(1), "billing"));

    // the former owner neither deletes nor silently retakes it
    assertThat(loader.sync(json("orders"), false).changes()).isEmpty();
    assertThat(loader.sync(json("orders", row("api", "shared", 10, "1")), false).conflicts()).hasSize(1);
    assertThat(stored("api", "shared").orElseThrow().serviceName()).isEqualTo("billing");
  }

  @Test
  void aRowSetByHandIsAConflictToo() {
    store.limits().put(new LimitRecord("api", "a", 1, Duration.ofSeconds(1), null));

    SyncPlan plan = loader.sync(json("svc", row("api", "a", 10, "1")), false);

    assertThat(plan.conflicts()).singleElement().extracting(SyncPlan.Conflict::owner).isNull();
    assertThat(stored("api", "a").orElseThrow().limit()).isEqualTo(1);
  }

  @Test
  void validationMessagesNameFileEntryIndexAndField() {
    String file = "{\"limits\": ["
        + row("api", "a", 10, "1") + ","
        + "{\"resourceName\": \"api\", \"accountId\": \" \", \"limit\": 1, \"windowSec\": 1},"
        + "{\"resourceName\": \"api\", \"accountId\": \"b\", \"limit\": -1, \"windowSec\": 1},"
        + "{\"resourceName\": \"api\", \"accountId\": \"c\", \"limit\": 1, \"windowSec\": -1},"
        + row("api", "a", 20, "1") + ","
        + "{\"resourceName\": \"api\", \"accountId\": 12, \"limit\": 1, \"windowSec\": 1},"
        + "{\"accountId\": \"d\", \"limit\": 1, \"window_sec\": 1},"
        + "{\"resourceName\": \"api\", \"accountId\": \"b\", \"limit\": -2, \"windowSec\": 1}"
        + "]}";

    assertThatThrownBy(() -> ServiceLimits.parseJson("svc", "conf/limits.json", file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("conf/limits.json: limits[1].accountId: must not be blank")
        .hasMessageContaining("conf/limits.json: limits[2].limit: must not be negative")
        .hasMessageContaining("conf/limits.json: limits[3].windowSec: must not be negative")
        .hasMessageContaining("conf/limits.json: limits[4]: duplicate of limits[0]")
        .hasMessageContaining("conf/limits.json: limits[5].accountId: must be a string")
        .hasMessageContaining("conf/limits.json: limits[6].resourceName: missing")
        .hasMessageContaining("conf/limits.json: limits[6].window_sec: unknown field")
        .hasMessageContaining("conf/limits.json: limits[7].limit: must not be negative")
        .as("a duplicate of an invalid entry is reported too")
        .hasMessageContaining("conf/limits.json: limits[7]: duplicate of limits[2]");
    assertThatThrownBy(() -> ServiceLimits.parseJson("svc", "twice.json",
        "{\"limits\": [], \"limits\": [" + row("api", "a", 10, "1") + "]}"))
        .hasMessageStartingWith("twice.json: not valid JSON").hasMessageContaining("Duplicate field 'limits'");
    assertThatThrownBy(() -> ServiceLimits.parseJson("svc", "field.json",
        "{\"limits\": [{\"resourceName\": \"api\", \"accountId\": \"a\", \"limit\": 1, \"limit\": 100}]}"))
        .hasMessageContaining("Duplicate field 'limit'");
    assertThatThrownBy(() -> ServiceLimits.parseYaml("svc", "twice.yaml",
        "limits:\n  - {resourceName: api, accountId: a, limit: 1, limit: 2}"))
        .hasMessageStartingWith("twice.yaml: not valid YAML").hasMessageContaining("Duplicate field 'limit'");
    assertThatThrownBy(() -> ServiceLimits.parseYaml("svc", "l.yaml", "limits:\n  - {resourceName: x}\n  - [1]"))
        .hasMessageContaining("l.yaml: limits[0].accountId: missing")
        .hasMessageContaining("l.yaml: limits[1]: expected an object");
    assertThatThrownBy(() -> ServiceLimits.parseJson("svc", "bad.json", "{\"limits\": [}"))
        .hasMessageStartingWith("bad.json: not valid JSON at line 1");
    assertThatThrownBy(() -> ServiceLimits.parseJson(" ", "x.json", "{\"limits\": []}"))
        .hasMessageContaining("serviceName must not be blank");
    assertThat(requests.total()).isZero();
  }

  @Test
  void aDryRunWritesNothing() {
    loader.sync(json("svc", row("api", "keep", 1, "1"), row("api", "change", 1, "1"), row("api", "drop", 1, "1")),
        false);
    requests.reset();

    SyncPlan plan = loader.plan(json("svc", row("api", "keep", 1, "1"), row("api", "change", 2, "1"),
        row("api", "new", 3, "1")), false);

    assertThat(plan.applied()).isFalse();
    assertThat(plan.changes()).extracting(c -> c.action() + " " + c.key().accountId())
        .containsExactly("CREATE new", "UPDATE change", "DELETE drop");
    assertThat(plan.unchanged()).isEqualTo(1);
    assertThat(plan.summary()).startsWith("dry run:").endsWith("(nothing written)");
    assertThat(requests.snapshot()).containsOnlyKeys("Query", "BatchGetItem");
    assertThat(store.limits().listByService("svc")).extracting(LimitRecord::accountId)
        .containsExactlyInAnyOrder("keep", "change", "drop");
    assertThat(stored("api", "change").orElseThrow().limit()).isEqualTo(1);
  }

  @Test
  void unprocessedItemsAreRetriedWithBoundedJitteredBackoff() {
    AtomicInteger calls = new AtomicInteger();
    List<Duration> sleeps = new ArrayList<>();
    // the first two BatchWriteItem calls process only their first request and hand the rest back
    LimitLoader throttled = LimitLoader.builder().client(unprocessing(client, calls, 2)).tableNames(tables.names)
        .sleeper(sleeps::add).retries(5, Duration.ofMillis(100), Duration.ofMillis(150)).build();
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(row("api", "acct-" + i, 5, "1"));
    }

    throttled.sync(json("svc", rows.toArray(String[]::new)), false);

    assertThat(store.limits().listByService("svc")).hasSize(30);
    assertThat(calls).hasValue(2 + 2); // two partial calls, then the rest of the first batch, then the second batch
    assertThat(sleeps).hasSize(2).allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, Duration.ofMillis(150)));
    assertThat(sleeps.get(0)).isLessThanOrEqualTo(Duration.ofMillis(100));

    LimitLoader stuck = LimitLoader.builder().client(unprocessing(client, new AtomicInteger(), Integer.MAX_VALUE))
        .tableNames(tables.names).sleeper(d -> {}).retries(3, Duration.ofMillis(1), Duration.ofMillis(1)).build();
    assertThatThrownBy(() -> stuck.sync(json("svc", row("api", "x", 1, "1"), row("api", "y", 1, "1")), false))
        .isInstanceOf(RateLimiterException.class)
        .hasMessageContaining("unprocessed after 3 attempts");
  }

  private static DynamoDbClient unprocessing(DynamoDbClient real, AtomicInteger calls, int partialCalls) {
    InvocationHandler handler = (proxy, method, args) -> {
      boolean batchWrite = method.getName().equals("batchWriteItem");
      if (batchWrite && !(args[0] instanceof BatchWriteItemRequest)) {
        return InvocationHandler.invokeDefault(proxy, method, args); // builds the request, calls the proxy with it
      }
      if (batchWrite && args[0] instanceof BatchWriteItemRequest request
          && calls.incrementAndGet() <= partialCalls) {
        Map.Entry<String, List<WriteRequest>> entry = request.requestItems().entrySet().iterator().next();
        List<WriteRequest> all = entry.getValue();
        if (all.size() > 1) {
          real.batchWriteItem(b -> b.requestItems(Map.of(entry.getKey(), all.subList(0, 1))));
          return BatchWriteItemResponse.builder()
              .unprocessedItems(Map.of(entry.getKey(), all.subList(1, all.size()))).build();
        }
      }
      try {
        return method.invoke(real, args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (DynamoDbClient) Proxy.newProxyInstance(LimitLoaderTest.class.getClassLoader(),
        new Class<?>[] {DynamoDbClient.class}, handler);
  }

  private static ServiceLimits json(String service, String... rows) {
    return ServiceLimits.parseJson(service, service + ".json", "{\"limits\": [" + String.join(",", rows) + "]}");
  }

  private static String row(String resource, String account, long limit, String windowSec) {
    return "{\"resourceName\": \"" + resource + "\", \"accountId\": \"" + account + "\", \"limit\": " + limit
        + ", \"windowSec\": " + windowSec + "}";
  }

}
