package io.github.ratelimiter.bench;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.net.URI;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * This project: {@link RateLimiters} on a {@link DynamoDbStore} (SDK v2, Apache HTTP client), defaults otherwise;
 * with {@link Leasing} for every fungible limiter when given one (id {@code ratelimiter-leased}). The {@code async-*}
 * scenarios use the limiters' non-blocking views ({@link FungibleLimiter#async()}), whose store calls go through a
 * {@link DynamoDbAsyncClient} with the blocking client's timeouts, counted by the same {@link RequestCounter}.
 */
final class ThisLibrary implements Contender {

  private final RequestCounter counter = new RequestCounter();
  private final DynamoDbClient client;
  private final DynamoDbAsyncClient asyncClient;
  private final RateLimiters limiters;
  private final Leasing leasing;

  ThisLibrary(URI endpoint, TableNames tables) {
    this(endpoint, tables, null);
  }

  /** With {@code leasing} (or null: the direct path, one store write per decision). */
  ThisLibrary(URI endpoint, TableNames tables, Leasing leasing) {
    this.leasing = leasing;
    this.client = LocalDynamoDb.client(endpoint, counter);
    this.asyncClient = LocalDynamoDb.testClientBuilder(endpoint, counter).maxConnections(LoadHarness.IN_FLIGHT)
        .buildAsync();
    AsyncClients.checkSameTimeouts(client, asyncClient);
    this.limiters = RateLimiters.builder()
        .store(DynamoDbStore.builder().client(client).asyncClient(asyncClient).tableNames(tables).build())
        .build();
  }

  @Override
  public String id() {
    return leasing == null ? "ratelimiter" : "ratelimiter-leased";
  }

  @Override
  public boolean claimsExactness() {
    return true;
  }

  @Override
  public Decider fungible(String resource, Limit limit) {
    FungibleLimiter limiter = limiter(resource, limit);
    return key -> limiter.tryAcquire(key).allowed();
  }

  /** {@code limiter.async().tryAcquire}: the non-blocking view of the same limiter as {@link #fungible}. */
  @Override
  public AsyncDecider fungibleAsync(String resource, Limit limit) {
    AsyncFungibleLimiter limiter = limiter(resource, limit).async();
    return key -> limiter.tryAcquire(key).thenApply(Decision::allowed);
  }

  private FungibleLimiter limiter(String resource, Limit limit) {
    return leasing == null ? limiters.fungible(resource, limit)
        : limiters.fungible(resource, limit, LimiterOptions.builder().leasing(leasing).build());
  }

  @Override
  public Decider quota(String resource, List<Limit> limits) {
    FungibleLimiter limiter = limiters.fungible(resource,
        Quota.of(limits.get(0), limits.subList(1, limits.size()).toArray(Limit[]::new)));
    return key -> limiter.tryAcquire(key).allowed();
  }

  /** {@code tryAcquireAll}: one conditional write per key, a refund of the first when the second denies. */
  @Override
  public Decider twoKeys(String tenantResource, String sharedResource, Limit tenant, Limit shared) {
    FungibleLimiter tenants = limiters.fungible(tenantResource, tenant);
    FungibleLimiter budget = limiters.fungible(sharedResource, shared);
    return key -> limiters.tryAcquireAll(List.of(tenants.ask(key), budget.ask("all"))).allowed();
  }

  /** {@code tryReserve} of 100 tokens, then {@code settle} of the actual: one write each, none when equal. */
  @Override
  public Decider reserveSettle(String resource, Limit limit) {
    FungibleLimiter limiter = limiters.fungible(resource, Quota.builder().limit("tokens", limit).build());
    Cost estimate = Cost.of("tokens", 100);
    return key -> {
      try (Charge charge = limiter.tryReserve(key, estimate)) {
        if (charge.decision().denied()) {
          return false;
        }
        charge.settle(Cost.of("tokens", 1 + java.util.concurrent.ThreadLocalRandom.current().nextInt(200)));
        return true;
      }
    };
  }

  /** A non-fungible limiter with the cap as its default limit. */
  NonFungibleLimiter nonFungible(String resource, long cap) {
    return limiters.nonFungible(resource, cap);
  }

  @Override
  public Map<String, Long> requests() {
    return counter.snapshot();
  }

  @Override
  public void close() {
    limiters.close();
    asyncClient.close();
    client.close();
  }
}
