package io.github.ratelimiter.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.ratelimiter.spring.app.OrdersTestApp;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter end to end: the embedded server, a real HTTP client, dynalite, and a manual clock that only the tests
 * move, so that "within a second" means exactly that. Tenants are distinct per test, so the tests share one context.
 */
@SpringBootTest(classes = OrdersTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class HttpRoutesTest {

  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();
  static final String BASE = LocalDynamoDb.uniqueName("routes");

  @DynamicPropertySource
  static void store(DynamicPropertyRegistry registry) {
    registry.add("ratelimiter.dynamodb.endpoint", () -> DYNAMO.endpoint().toString());
    registry.add("ratelimiter.tables.base-name", () -> BASE);
  }

  @LocalServerPort int port;
  @Autowired RateLimitStore store;
  @Autowired MeterRegistry meters;

  Http http() {
    return new Http(port);
  }

  @Test
  void theEleventhPostWithinASecondIs429WithTheExactHeaders() {
    double allowedBefore = decisions("orders-api", "allowed");
    double deniedBefore = decisions("orders-api", "denied");
    for (int i = 1; i <= 10; i++) {
      HttpResponse<String> response = http().post("/api/orders", "X-Tenant-Id", "acme-eleventh");
      assertThat(response.statusCode()).as("POST %d", i).isEqualTo(201);
      assertThat(response.headers().firstValue("RateLimit-Policy")).hasValue("\"orders-api\";q=10;w=1");
      assertThat(response.headers().firstValue("RateLimit")).hasValue("\"orders-api\";r=" + (10 - i) + ";t=1");
      assertThat(response.headers().firstValue("Retry-After")).isEmpty();
    }
    HttpResponse<String> denied = http().post("/api/orders", "X-Tenant-Id", "acme-eleventh");
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(denied.headers().firstValue("RateLimit-Policy")).hasValue("\"orders-api\";q=10;w=1");
    assertThat(denied.headers().firstValue("RateLimit")).hasValue("\"orders-api\";r=0;t=1");
    assertThat(denied.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(denied.body())
        .contains("\"status\":429", "\"title\":\"Too Many Requests\"", "\"resource\":\"orders-api\"",
            "\"retryAfterSeconds\":1", "retry in 1 s");

    assertThat(decisions("orders-api", "allowed") - allowedBefore).as("ratelimiter.decisions in the app's registry")
        .isEqualTo(10);
    assertThat(decisions("orders-api", "denied") - deniedBefore).isEqualTo(1);

    HttpResponse<String> read = http().get("/api/orders/17", "X-Tenant-Id", "acme-eleventh");
    assertThat(read.statusCode()).as("GET is not limited by the POST route").isEqualTo(200);
    assertThat(read.headers().firstValue("RateLimit")).isEmpty();
  }

  /**
   * A route of two limits (4 per second, 6 per minute) decided together: each is a policy of its own, RateLimit names
   * the one nearest exhaustion, and a denial names the limit that denied. The clock only moves when the test says.
   */
  @Test
  void aRouteOfTwoLimitsNamesEachPolicyAndTheLimitThatDenies() {
    String tenant = "search-tenant";
    String policy = "\"per-second\";q=4;w=1, \"per-minute\";q=6;w=60";
    for (int i = 1; i <= 4; i++) {
      HttpResponse<String> response = http().post("/api/search", "X-Tenant-Id", tenant);
      assertThat(response.statusCode()).as("POST %d", i).isEqualTo(200);
      assertThat(response.headers().firstValue("RateLimit-Policy")).hasValue(policy);
      assertThat(response.headers().firstValue("RateLimit")).as("per second is nearer exhaustion")
          .hasValue("\"per-second\";r=" + (4 - i) + ";t=1");
    }
    HttpResponse<String> perSecond = http().post("/api/search", "X-Tenant-Id", tenant);
    assertThat(perSecond.statusCode()).isEqualTo(429);
    assertThat(perSecond.headers().firstValue("RateLimit-Policy")).hasValue(policy);
    assertThat(perSecond.headers().firstValue("RateLimit")).hasValue("\"per-second\";r=0;t=1");
    assertThat(perSecond.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(perSecond.body()).contains("\"resource\":\"search-api\"", "\"limit\":\"per-second\"",
        "The limit 'per-second' of 'search-api' is reached");

    OrdersTestApp.CLOCK.advance(Duration.ofSeconds(1));
    HttpResponse<String> fifth = http().post("/api/search", "X-Tenant-Id", tenant);
    assertThat(fifth.statusCode()).isEqualTo(200);
    assertThat(fifth.headers().firstValue("RateLimit")).as("per second: 3 left; per minute: 1, one back every 10 s")
        .hasValue("\"per-minute\";r=1;t=10");
    assertThat(http().post("/api/search", "X-Tenant-Id", tenant).headers().firstValue("RateLimit"))
        .hasValue("\"per-minute\";r=0;t=10");
    HttpResponse<String> perMinute = http().post("/api/search", "X-Tenant-Id", tenant);
    assertThat(perMinute.statusCode()).as("per second would admit it; per minute does not").isEqualTo(429);
    assertThat(perMinute.headers().firstValue("RateLimit-Policy")).hasValue(policy);
    assertThat(perMinute.headers().firstValue("RateLimit")).as("6 admitted by 1 s; the 7th fits at 10 s")
        .hasValue("\"per-minute\";r=0;t=9");
    assertThat(perMinute.headers().firstValue("Retry-After")).hasValue("9");
    assertThat(perMinute.body()).contains("\"limit\":\"per-minute\"", "\"retryAfterSeconds\":9");
  }

  /** A limit-table row of one limit replaces the quota's first limit; the headers show the account's quota. */
  @Test
  void aRowOfOneLimitReplacesTheFirstLimitOfTheRoutesQuotaInTheHeaders() {
    String tenant = "search-row-tenant";
    store.limits().put(new LimitRecord("search-api", tenant, 2, Duration.ofSeconds(1), null));
    HttpResponse<String> first = http().post("/api/search", "X-Tenant-Id", tenant);
    assertThat(first.headers().firstValue("RateLimit-Policy"))
        .hasValue("\"per-second\";q=2;w=1, \"per-minute\";q=6;w=60");
    assertThat(first.headers().firstValue("RateLimit")).hasValue("\"per-second\";r=1;t=1");
    assertThat(http().post("/api/search", "X-Tenant-Id", tenant).statusCode()).isEqualTo(200);
    HttpResponse<String> denied = http().post("/api/search", "X-Tenant-Id", tenant);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.body()).contains("\"limit\":\"per-second\"");
  }

  /** {@code @RateLimited} with two {@code @QuotaLimit}s: 2 per second and 3 per hour. */
  @Test
  void aRateLimitedMethodOfTwoLimitsAnswersWithEveryPolicyAndTheLimitThatDenied() {
    String tenant = "search-method-tenant";
    String policy = "\"per-second\";q=2;w=1, \"per-hour\";q=3;w=3600";
    assertThat(http().post("/api/method/search", "X-Tenant-Id", tenant).statusCode()).isEqualTo(200);
    assertThat(http().post("/api/method/search", "X-Tenant-Id", tenant).statusCode()).isEqualTo(200);
    HttpResponse<String> perSecond = http().post("/api/method/search", "X-Tenant-Id", tenant);
    assertThat(perSecond.statusCode()).isEqualTo(429);
    assertThat(perSecond.headers().firstValue("RateLimit-Policy")).hasValue(policy);
    assertThat(perSecond.headers().firstValue("RateLimit")).hasValue("\"per-second\";r=0;t=1");
    assertThat(perSecond.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(perSecond.body()).contains("\"resource\":\"search-method\"", "\"limit\":\"per-second\"");

    OrdersTestApp.CLOCK.advance(Duration.ofSeconds(1));
    assertThat(http().post("/api/method/search", "X-Tenant-Id", tenant).statusCode()).isEqualTo(200);
    HttpResponse<String> perHour = http().post("/api/method/search", "X-Tenant-Id", tenant);
    assertThat(perHour.statusCode()).isEqualTo(429);
    assertThat(perHour.headers().firstValue("RateLimit-Policy")).hasValue(policy);
    assertThat(perHour.headers().firstValue("RateLimit")).as("3 taken by 1 s; the 4th fits at 1,200 s")
        .hasValue("\"per-hour\";r=0;t=1199");
    assertThat(perHour.headers().firstValue("Retry-After")).hasValue("1199");
    assertThat(perHour.body()).contains("\"limit\":\"per-hour\"", "\"retryAfterSeconds\":1199",
        "The limit 'per-hour' of 'search-method' is reached");
  }

  @Test
  void tenantsAreIsolated() {
    for (int i = 0; i < 10; i++) {
      assertThat(http().post("/api/orders", "X-Tenant-Id", "busy-tenant").statusCode()).isEqualTo(201);
    }
    assertThat(http().post("/api/orders", "X-Tenant-Id", "busy-tenant").statusCode()).isEqualTo(429);
    HttpResponse<String> other = http().post("/api/orders", "X-Tenant-Id", "quiet-tenant");
    assertThat(other.statusCode()).isEqualTo(201);
    assertThat(other.headers().firstValue("RateLimit")).hasValue("\"orders-api\";r=9;t=1");
  }

  @Test
  void aRequestWithoutItsAccountIs400NamingTheSource() {
    HttpResponse<String> response = http().post("/api/orders");
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(response.body()).contains("header 'X-Tenant-Id' is missing", "\"resource\":\"orders-api\"");
  }

  @Test
  void theAccountCanBeAJwtClaim() throws Exception {
    String alpha = jwt("claims-alpha");
    for (int i = 0; i < 3; i++) {
      assertThat(http().post("/api/claims/orders", "Authorization", "Bearer " + alpha).statusCode()).isEqualTo(201);
    }
    HttpResponse<String> denied = http().post("/api/claims/orders", "Authorization", "Bearer " + alpha);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("RateLimit-Policy")).hasValue("\"claims-api\";q=3;w=1");
    assertThat(http().post("/api/claims/orders", "Authorization", "Bearer " + jwt("claims-beta")).statusCode())
        .as("another tenant's token").isEqualTo(201);
    HttpResponse<String> anonymous = http().post("/api/claims/orders");
    assertThat(anonymous.statusCode()).isEqualTo(400);
    assertThat(anonymous.body()).contains("claim 'tenant' of the authenticated token is missing");
  }

  @Test
  void theAccountCanBeASpelExpressionOnTheRequest() {
    for (int i = 0; i < 3; i++) {
      assertThat(http().post("/api/spel/orders", "X-Org", "Org-Spel").statusCode()).isEqualTo(201);
    }
    HttpResponse<String> denied = http().post("/api/spel/orders", "X-Org", "ORG-SPEL");
    assertThat(denied.statusCode()).as("the expression lower-cases the header: same account").isEqualTo(429);
    assertThat(http().post("/api/spel/orders", "X-Org", "org-other").statusCode()).isEqualTo(201);
  }

  @Test
  void aBeanMethodTakesItsAccountFromASpelExpressionOverItsArguments() {
    String order = "{\"tenantId\":\"method-tenant\",\"item\":\"book\"}";
    assertThat(http().postJson("/api/method/orders", order).statusCode()).isEqualTo(201);
    assertThat(http().postJson("/api/method/orders", order).statusCode()).isEqualTo(201);
    HttpResponse<String> denied = http().postJson("/api/method/orders", order);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(denied.headers().firstValue("RateLimit")).hasValue("\"orders-method\";r=0;t=1");
    assertThat(denied.body()).contains("\"resource\":\"orders-method\"", "\"status\":429");
    assertThat(http().postJson("/api/method/orders", "{\"tenantId\":\"method-other\"}").statusCode()).isEqualTo(201);
  }

  @Test
  void aBeanMethodWithoutAccountUsesTheRoutesAccountAndItsFallback() {
    assertThat(http().post("/api/route/orders", "X-Tenant-Id", "route-tenant").statusCode()).isEqualTo(201);
    assertThat(http().post("/api/route/orders", "X-Tenant-Id", "route-tenant").statusCode()).isEqualTo(201);
    HttpResponse<String> denied = http().post("/api/route/orders", "X-Tenant-Id", "route-tenant");
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.body()).as("the method's limit of 2, under the route's limit of 5")
        .contains("\"resource\":\"route-method\"");
    assertThat(denied.headers().firstValue("RateLimit-Policy")).as("the route's policy, then the method's")
        .hasValue("\"route-api\";q=5;w=1, \"route-method\";q=2;w=1");
    assertThat(denied.headers().firstValue("RateLimit")).hasValue("\"route-api\";r=2;t=1, \"route-method\";r=0;t=1");
    HttpResponse<String> anonymous = http().post("/api/route/orders");
    assertThat(anonymous.statusCode()).as("the route's fallback account").isEqualTo(201);
    assertThat(anonymous.headers().firstValue("RateLimit")).hasValue("\"route-api\";r=4;t=1");
  }

  @Test
  void capacityExhaustedFromAControllerIs429() {
    HttpResponse<String> response = http().get("/api/exhausted");
    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(response.body()).contains("\"resource\":\"exports\"", "\"retryAfterSeconds\":2");
  }

  @Test
  void aChangedLimitRowTakesEffectWithinTheCacheTime() {
    String tenant = "limits-tenant";
    assertThat(http().post("/api/orders", "X-Tenant-Id", tenant).statusCode()).isEqualTo(201);
    store.limits().put(new LimitRecord("orders-api", tenant, 20, Duration.ofSeconds(1), null));
    OrdersTestApp.CLOCK.advance(Duration.ofSeconds(1));
    assertThat(admitted(tenant, 25)).as("the cached absence of a row still holds").isEqualTo(10);

    OrdersTestApp.CLOCK.advance(Duration.ofSeconds(5));
    HttpResponse<String> first = http().post("/api/orders", "X-Tenant-Id", tenant);
    assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue("\"orders-api\";q=20;w=1");
    assertThat(1 + admitted(tenant, 25)).as("the row's limit, once the cache expired").isEqualTo(20);
  }

  @Test
  void healthIsUpAndTheEndpointListsRoutesMethodsAndLimiters() {
    HttpResponse<String> health = http().get("/actuator/health/ratelimiter");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"status\":\"UP\"", BASE + "-fungible-tokens", "ACTIVE");

    HttpResponse<String> listing = http().get("/actuator/ratelimiters");
    assertThat(listing.statusCode()).isEqualTo(200);
    assertThat(listing.body()).contains("\"path\":\"/api/orders/**\"", "\"account\":\"header:X-Tenant-Id\"",
        "OrderService.create(NewOrder)", "\"account\":\"expression #order.tenantId\"",
        "\"resource\":\"orders-method\"", "\"declaredBy\":[\"ratelimiter.http.routes[0]\"]",
        "\"limits\":[{\"name\":\"per-second\",\"limit\":4,\"window\":\"PT1S\"},{\"name\":\"per-minute\"",
        "\"cost\":{\"per-minute\":1,\"per-second\":1}", "{\"name\":\"per-hour\",\"limit\":3,\"window\":\"PT1H\"}",
        "\"costHeader\":\"X-Tokens-Used\",\"costHeaderLimit\":\"tokens\"",
        "\"estimate\":\"500\",\"actual\":\"#result.usage.totalTokens\"");
  }

  @Test
  void twoApplicationContextsOnTheSameTablesShareOneBudgetExactly() throws Exception {
    try (ConfigurableApplicationContext second = new SpringApplicationBuilder(OrdersTestApp.class)
        .properties("server.port=0", "ratelimiter.dynamodb.endpoint=" + DYNAMO.endpoint(),
            "ratelimiter.tables.base-name=" + BASE)
        .run()) {
      int secondPort = ((WebServerApplicationContext) second).getWebServer().getPort();
      List<Http> instances = List.of(new Http(port), new Http(secondPort));
      int threads = 8;
      int perThread = 5;
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Http instance = instances.get(t % 2);
        Callable<Integer> client = () -> {
          start.await();
          int admitted = 0;
          for (int i = 0; i < perThread; i++) {
            if (instance.post("/api/orders", "X-Tenant-Id", "shared-tenant").statusCode() == 201) {
              admitted++;
            }
          }
          return admitted;
        };
        results.add(pool.submit(client));
      }
      start.countDown();
      int admitted = 0;
      for (Future<Integer> result : results) {
        admitted += result.get();
      }
      pool.shutdown();
      assertThat(admitted).as("40 requests through two instances, frozen clock: the bound is the limit, 10")
          .isEqualTo(10);
    }
  }

  private double decisions(String resource, String outcome) {
    return meters.find("ratelimiter.decisions").tag("resource", resource).tag("outcome", outcome).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  private int admitted(String tenant, int requests) {
    int admitted = 0;
    for (int i = 0; i < requests; i++) {
      if (http().post("/api/orders", "X-Tenant-Id", tenant).statusCode() == 201) {
        admitted++;
      }
    }
    return admitted;
  }

  private static String jwt(String tenant) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .subject("user-of-" + tenant).claim("tenant", tenant)
        .expirationTime(new java.util.Date(System.currentTimeMillis() + 600_000)).build());
    jwt.sign(new MACSigner(OrdersTestApp.JWT_KEY.getEncoded()));
    return jwt.serialize();
  }

  @Test
  void aCostHeaderRouteReservesItsEstimateAndSettlesTheHeadersActualCancellingWhenTheControllerThrows() {
    String tenant = "llm-route-" + System.nanoTime();
    // each request reserves 400 tokens of 1000 and settles 100: seven fit (600 used + 400), the eighth does not
    for (int i = 1; i <= 7; i++) {
      HttpResponse<String> response = http().post("/api/llm/complete?tokens=100", "X-Tenant-Id", tenant);
      assertThat(response.statusCode()).as("request %d", i).isEqualTo(200);
      assertThat(response.headers().firstValue("X-Tokens-Used")).hasValue("100");
      assertThat(response.headers().firstValue("RateLimit-Policy")).hasValue(
          "\"requests\";q=100;w=60, \"tokens\";q=1000;w=60");
      if (i == 2) {
        assertThat(http().post("/api/llm/complete?tokens=100&fail=true", "X-Tenant-Id", tenant).statusCode())
            .as("a request whose controller throws is cancelled").isEqualTo(500);
      }
    }
    HttpResponse<String> denied = http().post("/api/llm/complete?tokens=100", "X-Tenant-Id", tenant);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("Retry-After")).isPresent();
    assertThat(denied.body()).contains("\"resource\":\"llm-api\"", "\"limit\":\"tokens\"");
  }

  @Test
  void aCostHeaderAboveTheEstimateIsChargedPastTheLimit() {
    String tenant = "llm-debt-" + System.nanoTime();
    assertThat(http().post("/api/llm/complete?tokens=900", "X-Tenant-Id", tenant).statusCode()).isEqualTo(200);
    // settled at 900: another 400 does not fit (at the estimate, it would)
    assertThat(http().post("/api/llm/complete?tokens=1", "X-Tenant-Id", tenant).statusCode()).isEqualTo(429);
  }

  @Test
  void aMethodWithAnEstimateSettlesTheActualFromItsResultAndCancelsWhenItThrows() {
    String tenant = "llm-method-" + System.nanoTime();
    // each call reserves 500 tokens of 1000 and settles 100: six calls fit (500 used + 500), the seventh does not
    for (int i = 1; i <= 6; i++) {
      HttpResponse<String> response = http().post("/api/method/llm?tokens=100", "X-Tenant-Id", tenant);
      assertThat(response.statusCode()).as("call %d", i).isEqualTo(200);
      assertThat(response.body()).isEqualTo("{\"tokens\":100}");
      if (i == 2) {
        assertThat(http().post("/api/method/llm?tokens=100&fail=true", "X-Tenant-Id", tenant).statusCode())
            .as("a call that throws is cancelled").isEqualTo(500);
      }
    }
    HttpResponse<String> denied = http().post("/api/method/llm?tokens=100", "X-Tenant-Id", tenant);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("RateLimit-Policy")).hasValue(
        "\"requests\";q=100;w=60, \"tokens\";q=1000;w=60");
    assertThat(denied.body()).contains("\"resource\":\"llm-method\"", "\"limit\":\"tokens\"");
  }
}
