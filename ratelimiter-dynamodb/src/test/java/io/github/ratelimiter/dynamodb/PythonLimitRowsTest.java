package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.ManualClock;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Limit rows shared with the Python library rate-limiter-py, against dynalite: what its loader writes is read with
 * the same meaning, its loader's files load unchanged, and what this library writes satisfies its readers.
 */
class PythonLimitRowsTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private DynamoDbTestTables tables;
  private DynamoDbClient client;
  private PythonRows python;
  private RateLimiters limiters;

  @BeforeEach
  void open() {
    tables = new DynamoDbTestTables(DYNAMO);
    client = DYNAMO.newClient();
    python = new PythonRows(client, tables.names);
    limiters = RateLimiters.builder().store(tables.openStore()).clock(ManualClock.create()).build();
  }

  @AfterEach
  void close() {
    limiters.close();
    client.close();
  }

  @Test
  void aNonFungibleCapThePythonLoaderWroteWithWindowZeroApplies() {
    python.limit("emr-cluster", "a", 2, 0, "svc");
    NonFungibleLimiter clusters = limiters.nonFungible("emr-cluster", 10);

    assertThat(clusters.limitFor("a")).isEqualTo(2);
    assertThat(clusters.tryReserve("a")).isPresent();
    assertThat(clusters.tryReserve("a")).isPresent();
    assertThat(clusters.tryReserve("a")).isEmpty();
  }

  @Test
  void aFungibleRowThePythonLoaderWroteReadsAsItsWindowInSeconds() {
    python.limit("api", "a", 100, 60, "svc");
    python.limit("api", "b", 5, 0, "svc");
    Limit fallback = Limit.of(10, Duration.ofSeconds(1));

    assertThat(limiters.fungible("api", fallback).limitFor("a")).isEqualTo(Limit.of(100, Duration.ofSeconds(60)));
    assertThat(limiters.fungible("api", fallback).limitFor("b")).as("no window: the default's")
        .isEqualTo(Limit.of(5, Duration.ofSeconds(1)));
  }

  /** The Python loader's own file: entries without windowSec, no "kind". */
  @Test
  void thePythonLoadersJsonFileLoadsUnchangedWithTheSameMeaning() {
    String file = """
        {
          "limits": [
            {"resourceName": "orders-api", "accountId": "acct-1", "limit": 100, "windowSec": 60},
            {"resourceName": "emr-cluster", "accountId": "acct-1", "limit": 2}
          ]
        }
        """;
    LimitLoader.create(client, tables.names).sync(ServiceLimits.parseJson("svc", "limits.json", file), false);

    assertThat(limiters.nonFungible("emr-cluster", 10).limitFor("acct-1")).isEqualTo(2);
    assertThat(limiters.fungible("orders-api", Limit.of(1, Duration.ofSeconds(1))).limitFor("acct-1"))
        .isEqualTo(Limit.of(100, Duration.ofSeconds(60)));
    assertThat(item("emr-cluster", "acct-1").get("windowSec")).isEqualTo(AttributeValue.fromN("0"));
    // The Python loader re-syncing the same file finds every row equal: limit and windowSec as it would write them.
    assertThat(item("orders-api", "acct-1")).containsEntry("limit", AttributeValue.fromN("100"))
        .containsEntry("windowSec", AttributeValue.fromN("60")).containsEntry("serviceName", AttributeValue.fromS("svc"));
  }

  /**
   * Every row this library writes, by each of its writers (loader, store API), passes the Python library's parsing:
   * {@code limit} and {@code windowSec} present on every row (its loader's diff reads both), both integers (its
   * limiter reads {@code int(windowSec)} seconds), {@code windowSec} 0 exactly for rows without a window.
   */
  @Test
  void rowsThisLibraryWritesSatisfyThePythonLibrarysParsingRules() {
    LimitLoader.create(client, tables.names).sync(ServiceLimits.of("svc", List.of(
        new LimitRecord("api", "a", 10, Duration.ofSeconds(1), null),
        new LimitRecord("api", "b", 0, Duration.ofDays(1), null),
        new LimitRecord("emr-cluster", "a", 3, null, null))), false);
    limiters.store().limits().put(new LimitRecord("export", "a", 4, null, null));
    limiters.store().limits().put(new LimitRecord("api", "c", 7, Duration.ofMinutes(5), "other"));

    List<Map<String, AttributeValue>> items = client.scan(b -> b.tableName(tables.names.limitTable())).items();
    assertThat(items).hasSize(5).allSatisfy(item -> {
      assertThat(item).containsKeys("resourceName", "accountId", "limit", "windowSec");
      BigDecimal limit = new BigDecimal(item.get("limit").n());
      BigDecimal window = new BigDecimal(item.get("windowSec").n());
      assertThat(limit.stripTrailingZeros().scale()).as("int(limit) == limit").isLessThanOrEqualTo(0);
      assertThat(window.stripTrailingZeros().scale()).as("int(windowSec) == windowSec").isLessThanOrEqualTo(0);
      assertThat(window.signum()).isNotNegative();
    });
    assertThat(item("emr-cluster", "a").get("windowSec").n()).isEqualTo("0");
    assertThat(item("export", "a").get("windowSec").n()).isEqualTo("0");
    assertThat(item("api", "a").get("windowSec").n()).isEqualTo("1");
    assertThat(item("api", "b").get("windowSec").n()).isEqualTo("86400");
    assertThat(item("api", "c").get("windowSec").n()).isEqualTo("300");
  }

  /** An older row of this library, a non-fungible cap stored without windowSec, is rewritten by the next sync. */
  @Test
  void aSyncRewritesARowStoredWithoutWindowSecSoThePythonLoaderCanDiffIt() {
    client.putItem(b -> b.tableName(tables.names.limitTable()).item(Map.of(
        "resourceName", AttributeValue.fromS("emr-cluster"), "accountId", AttributeValue.fromS("a"),
        "limit", AttributeValue.fromN("3"), "serviceName", AttributeValue.fromS("svc"))));
    LimitLoader loader = LimitLoader.create(client, tables.names);
    ServiceLimits file = ServiceLimits.of("svc", List.of(new LimitRecord("emr-cluster", "a", 3, null, null)));

    assertThat(loader.sync(file, false).count(SyncPlan.Action.UPDATE)).isEqualTo(1);
    assertThat(item("emr-cluster", "a").get("windowSec")).isEqualTo(AttributeValue.fromN("0"));
    assertThat(loader.sync(file, false).unchanged()).isEqualTo(1);
  }

  private Map<String, AttributeValue> item(String resourceName, String accountId) {
    return client.getItem(b -> b.tableName(tables.names.limitTable()).consistentRead(true)
        .key(Map.of("resourceName", AttributeValue.fromS(resourceName), "accountId", AttributeValue.fromS(accountId))))
        .item();
  }
}
