package io.github.ratelimiter.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.ManualClock;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** Exact meter values after a scripted run against a real DynamoDB API (dynalite). */
class RateLimiterMetricsTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private final ManualClock clock = ManualClock.create();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RequestCounter sent = new RequestCounter();

  private RateLimiters limiters(RateLimiterMetrics metrics) {
    TableNames names = TableNames.of(LocalDynamoDb.uniqueName("metrics"));
    try (DynamoDbClient client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, names);
    }
    return RateLimiters.builder()
        .store(DynamoDbStore.builder().client(DYNAMO.newClient(sent)).ownsClient(true).tableNames(names).build())
        .clock(clock)
        .listener(metrics)
        .build();
  }

  @Test
  void aScriptedRunGivesExactCounts() {
    try (RateLimiters limiters = limiters(RateLimiterMetrics.bindTo(registry))) {
      FungibleLimiter api = limiters.fungible("api", Limit.of(3, Duration.ofSeconds(1)));
      for (int i = 0; i < 5; i++) {
        api.tryAcquire("acme"); // 3 admitted by UpdateItem, then 2 denied from the tat this process saw
      }
      api.tryAcquire("initech", 2); // 2 permits at once
      NonFungibleLimiter exports = limiters.nonFungible("exports", 2);
      Reservation first = exports.reserve("acme");
      exports.reserve("acme").createToken("export-1");
      assertThat(exports.tryReserve("acme")).isEmpty(); // reads 2 live slots
      assertThat(gauge("ratelimiter.tokens.live", "resource", "exports")).isEqualTo(2);
      first.delete();
      assertThat(gauge("ratelimiter.tokens.live", "resource", "exports")).isEqualTo(1);

      assertThat(count(decisions("api", "fungible", "allowed", "store"))).isEqualTo(4);
      assertThat(count(decisions("api", "fungible", "denied", "local"))).isEqualTo(2);
      assertThat(count(decisions("api", "fungible", "denied", "store"))).isZero();
      assertThat(count(registry.find("ratelimiter.permits").tags("resource", "api", "outcome", "allowed")))
          .isEqualTo(5);
      assertThat(count(registry.find("ratelimiter.permits").tags("resource", "api", "outcome", "denied")))
          .isEqualTo(2);
      assertThat(count(decisions("exports", "non-fungible", "allowed", "store"))).isEqualTo(2);
      assertThat(count(decisions("exports", "non-fungible", "denied", "store"))).isEqualTo(1);
      assertThat(count(registry.find("ratelimiter.decisions").tags("outcome", "degraded"))).isZero();

      // 2 limit-table Queries, 3 slot Queries; 4 UpdateItems; 2 claims and 1 token PutItem; 1 DeleteItem
      assertThat(count(store("Query", "ok"))).isEqualTo(5);
      assertThat(count(store("UpdateItem", "ok"))).isEqualTo(4);
      assertThat(count(store("PutItem", "ok"))).isEqualTo(3);
      assertThat(count(store("DeleteItem", "ok"))).isEqualTo(1);
      assertThat(count(registry.find("ratelimiter.store.requests").tag("outcome", "condition_failed"))).isZero();
      assertThat(count(registry.find("ratelimiter.store.requests"))).isEqualTo(sent.total()).isEqualTo(13);
      assertThat(registry.find("ratelimiter.store.latency").tag("operation", "UpdateItem").timer().count())
          .isEqualTo(4);
      assertThat(count(registry.find("ratelimiter.limits.refreshes").tags("resource", "api", "outcome", "ok")))
          .isEqualTo(1);
      assertThat(count(registry.find("ratelimiter.limits.refreshes").tags("outcome", "failed"))).isZero();
      assertThat(registry.getMeters()).allSatisfy(meter -> assertThat(meter.getId().getTag("account")).isNull());
    }
  }

  @Test
  void denialsAreCountedByTheLimitOfTheQuotaThatDeniedThem() {
    try (RateLimiters limiters = limiters(RateLimiterMetrics.bindTo(registry))) {
      FungibleLimiter llm = limiters.fungible("llm", Quota.builder()
          .limit("requests", Limit.of(5, Duration.ofMinutes(1)))
          .limit("tokens", Limit.of(100, Duration.ofMinutes(1)))
          .build());
      Cost call = Cost.of(Map.of("requests", 1L, "tokens", 40L));
      llm.tryAcquire("key", call);
      llm.tryAcquire("key", call);
      llm.tryAcquire("key", call); // 120 tokens: denied by tokens
      llm.tryAcquire("key", call); // again, from what this process saw
      for (int i = 0; i < 4; i++) {
        llm.tryAcquire("key", Cost.of("requests", 1)); // 3 admitted, then denied by requests
      }
      FungibleLimiter api = limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1)));
      api.tryAcquire("acme");
      api.tryAcquire("acme"); // a single limit is named by its window
      assertThat(count(registry.find("ratelimiter.denials").tags("resource", "llm", "limit", "tokens"))).isEqualTo(2);
      assertThat(count(registry.find("ratelimiter.denials").tags("resource", "llm", "limit", "requests")))
          .isEqualTo(1);
      assertThat(count(registry.find("ratelimiter.denials").tags("resource", "api", "limit", "1s"))).isEqualTo(1);
      assertThat(count(decisions("llm", "fungible", "denied", "local"))
          + count(decisions("llm", "fungible", "denied", "store"))).isEqualTo(3);
    }
  }

  @Test
  void namedAccountsMayBeTaggedAndEveryOtherIsOther() {
    try (RateLimiters limiters = limiters(RateLimiterMetrics.builder().accountTag(Set.of("acme")).bindTo(registry))) {
      FungibleLimiter api = limiters.fungible("api", Limit.of(3, Duration.ofSeconds(1)));
      api.tryAcquire("acme");
      api.tryAcquire("initech");
      api.tryAcquire("globex");
      assertThat(count(registry.find("ratelimiter.decisions").tags("account", "acme", "outcome", "allowed")))
          .isEqualTo(1);
      assertThat(count(registry.find("ratelimiter.decisions").tags("account", "other", "outcome", "allowed")))
          .isEqualTo(2);
      assertThat(registry.find("ratelimiter.decisions").meters())
          .allSatisfy(meter -> assertThat(meter.getId().getTag("account")).isIn("acme", "other"));
    }
    assertThatThrownBy(() -> RateLimiterMetrics.builder().accountTag(Set.of("other")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'other'");
  }

  @Test
  void reservesSettlesRefundsAndChargesAreCountedPerLimit() {
    Quota llm = Quota.builder()
        .limit("requests", Limit.of(10, Duration.ofMinutes(1)))
        .limit("tokens", Limit.of(1_000, Duration.ofMinutes(1)))
        .build();
    try (RateLimiters limiters = limiters(RateLimiterMetrics.bindTo(registry))) {
      FungibleLimiter api = limiters.fungible("llm", llm, LimiterOptions.builder().maxDebt(0.5).build());
      try (Charge charge = api.tryReserve("acme", Cost.of(Map.of("requests", 1L, "tokens", 400L)))) {
        charge.settle(Cost.of(Map.of("requests", 1L, "tokens", 100L))); // 300 tokens back
      }
      try (Charge charge = api.tryReserve("acme", Cost.of("tokens", 800))) {
        charge.settle(Cost.of("tokens", 1_000)); // 900 in all: 200 more, 100 of them past the limit
      }
      api.tryReserve("acme", Cost.of("requests", 2)).cancel(); // 2 requests back
      api.charge("acme", Cost.of("tokens", 500)); // 400 fit (at most 500 past the limit), 100 do not
      assertThat(count(cost("llm", "tokens", "reserve"))).isEqualTo(1_200);
      assertThat(count(cost("llm", "tokens", "refund"))).isEqualTo(300);
      assertThat(count(cost("llm", "tokens", "settle"))).isEqualTo(200);
      assertThat(count(cost("llm", "tokens", "charge"))).isEqualTo(400);
      assertThat(count(cost("llm", "requests", "reserve"))).isEqualTo(3);
      assertThat(count(cost("llm", "requests", "refund"))).isEqualTo(2);
      assertThat(count(registry.find("ratelimiter.debt").tags("resource", "llm", "limit", "tokens")))
          .isEqualTo(100 + 400);
      assertThat(count(registry.find("ratelimiter.cost.lost")
          .tags("resource", "llm", "limit", "tokens", "kind", "charge", "reason", "max_debt"))).isEqualTo(100);
      assertThat(count(registry.find("ratelimiter.cost.lost").tags("reason", "store_failed"))).isZero();
    }
  }

  private Search cost(String resource, String limit, String kind) {
    return registry.find("ratelimiter.cost").tags("resource", resource, "limit", limit, "kind", kind);
  }

  private Search decisions(String resource, String kind, String outcome, String source) {
    return registry.find("ratelimiter.decisions")
        .tags("resource", resource, "kind", kind, "outcome", outcome, "source", source);
  }

  private Search store(String operation, String outcome) {
    return registry.find("ratelimiter.store.requests").tags("operation", operation, "outcome", outcome);
  }

  private static long count(Search search) {
    return Math.round(search.counters().stream().mapToDouble(c -> c.count()).sum());
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }
}
