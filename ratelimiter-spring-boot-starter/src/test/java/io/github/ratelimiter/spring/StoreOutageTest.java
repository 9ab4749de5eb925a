package io.github.ratelimiter.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.spring.app.OrdersTestApp;
import io.github.ratelimiter.spring.internal.HttpRoute;
import io.github.ratelimiter.spring.internal.RateLimitFilter;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The store stopped under a running application: a fail-open route lets requests through and counts them as
 * degraded, a fail-closed route answers 503 with a problem detail, and the health is DOWN. The server is this
 * class's own, so stopping it disturbs no other test.
 */
@SpringBootTest(classes = OrdersTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
        "ratelimiter.http.routes[0].path=/api/orders/**",
        "ratelimiter.http.routes[0].resource=open-api",
        "ratelimiter.http.routes[0].limit=10",
        "ratelimiter.http.routes[0].window=1s",
        "ratelimiter.http.routes[0].account=header:X-Tenant-Id",
        "ratelimiter.http.routes[0].failure-mode=fail-open",
        "ratelimiter.http.routes[1].path=/api/spel/**",
        "ratelimiter.http.routes[1].resource=closed-api",
        "ratelimiter.http.routes[1].limit=10",
        "ratelimiter.http.routes[1].window=1s",
        "ratelimiter.http.routes[1].account=header:X-Tenant-Id"})
class StoreOutageTest {

  static final LocalDynamoDbServer SERVER = LocalDynamoDb.serverBuilder().start(); // dynalite, or moto with -Pmoto

  @DynamicPropertySource
  static void store(DynamicPropertyRegistry registry) {
    registry.add("ratelimiter.dynamodb.endpoint", () -> SERVER.endpoint().toString());
    registry.add("ratelimiter.tables.base-name", () -> LocalDynamoDb.uniqueName("outage"));
  }

  @AfterAll
  static void stop() {
    SERVER.close();
  }

  @LocalServerPort int port;
  @Autowired RateLimitFilter filter;
  @Autowired MeterRegistry meters;

  @Test
  void failOpenPassesAndCountsFailClosedAnswers503AndHealthIsDown() {
    Http http = new Http(port);
    assertThat(http.post("/api/orders", "X-Tenant-Id", "t1").statusCode()).isEqualTo(201);
    assertThat(http.post("/api/spel/orders", "X-Tenant-Id", "t1").statusCode()).isEqualTo(201);
    assertThat(http.get("/actuator/health/ratelimiter").body()).contains("\"status\":\"UP\"");

    SERVER.close();

    for (int i = 0; i < 3; i++) {
      assertThat(http.post("/api/orders", "X-Tenant-Id", "t1").statusCode()).as("fail-open").isEqualTo(201);
    }
    HttpRoute open = filter.routes().get(0);
    assertThat(open.counters().snapshot()).containsEntry("allowed", 4L).containsEntry("degraded", 3L);
    assertThat(meters.find("ratelimiter.decisions").tag("resource", "open-api").tag("outcome", "degraded").counters()
        .stream().mapToDouble(Counter::count).sum()).as("counted in the application's meters too").isEqualTo(3);

    HttpResponse<String> closed = http.post("/api/spel/orders", "X-Tenant-Id", "t1");
    assertThat(closed.statusCode()).as("fail-closed").isEqualTo(503);
    assertThat(closed.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(closed.body()).contains("\"status\":503", "\"resource\":\"closed-api\"", "cannot reach its store");
    assertThat(filter.routes().get(1).counters().snapshot()).containsEntry("storeUnavailable", 1L);

    HttpResponse<String> health = http.get("/actuator/health/ratelimiter");
    assertThat(health.statusCode()).isEqualTo(503);
    assertThat(health.body()).contains("\"status\":\"DOWN\"", "FAILED");
  }
}
