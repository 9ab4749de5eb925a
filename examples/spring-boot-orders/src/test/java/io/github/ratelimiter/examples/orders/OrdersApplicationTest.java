package io.github.ratelimiter.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.ActiveProfiles;

/**
 * The example as its README runs it (the dev profile: dynalite, tables created, limits.yaml loaded), with a frozen
 * clock so that "within a second" does not depend on how fast this machine is.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("dev")
class OrdersApplicationTest {

  @TestConfiguration
  static class FrozenClock {
    @Bean
    Clock clock() {
      return Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
    }
  }

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @LocalServerPort int port;

  @Test
  void ordersAreLimitedPerTenantWithTheTablesOverride() throws Exception {
    for (int i = 1; i <= 10; i++) {
      HttpResponse<String> placed = send("POST", "/api/orders", "globex", "{\"item\":\"book\",\"quantity\":1}");
      assertThat(placed.statusCode()).isEqualTo(201);
      assertThat(placed.headers().firstValue("RateLimit")).hasValue("\"orders-api\";r=" + (10 - i) + ";t=1");
    }
    HttpResponse<String> denied = send("POST", "/api/orders", "globex", "{\"item\":\"book\",\"quantity\":1}");
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("Retry-After")).hasValue("1");

    HttpResponse<String> acme = send("POST", "/api/orders", "acme", "{\"item\":\"pen\",\"quantity\":2}");
    assertThat(acme.headers().firstValue("RateLimit-Policy")).as("limits.yaml gives acme 20 per second")
        .hasValue("\"orders-api\";q=20;w=1");

    HttpResponse<String> list = send("GET", "/api/orders", "globex", null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains("\"tenant\":\"globex\"");
    assertThat(list.headers().firstValue("RateLimit-Policy")).hasValue("\"orders-read\";q=100;w=60");
  }

  @Test
  void searchesHaveTwoLimitsAndTheDenialNamesTheOneThatDenied() throws Exception {
    for (int i = 1; i <= 5; i++) {
      HttpResponse<String> found = send("GET", "/api/search?item=book", "hooli", null);
      assertThat(found.statusCode()).isEqualTo(200);
      assertThat(found.headers().firstValue("RateLimit-Policy"))
          .hasValue("\"per-second\";q=5;w=1, \"per-hour\";q=100;w=3600");
      assertThat(found.headers().firstValue("RateLimit")).hasValue("\"per-second\";r=" + (5 - i) + ";t=1");
    }
    HttpResponse<String> denied = send("GET", "/api/search?item=book", "hooli", null);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("RateLimit")).hasValue("\"per-second\";r=0;t=1");
    assertThat(denied.body()).contains("\"resource\":\"orders-search\"", "\"limit\":\"per-second\"");
  }

  @Test
  void exportsAreCappedAndReleasedThroughTheApi() throws Exception {
    String first = exportId(send("POST", "/api/exports", "initech", null));
    exportId(send("POST", "/api/exports", "initech", null));
    HttpResponse<String> third = send("POST", "/api/exports", "initech", null);
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.body()).contains("\"resource\":\"exports\"");

    assertThat(send("DELETE", "/api/exports/" + first, "initech", null).statusCode()).isEqualTo(204);
    assertThat(send("POST", "/api/exports", "initech", null).statusCode()).isEqualTo(201);
    assertThat(send("GET", "/api/exports", "initech", null).body()).contains("\"limit\":2");
    assertThat(send("GET", "/actuator/health/ratelimiter", "initech", null).body()).contains("\"status\":\"UP\"");
  }

  private static String exportId(HttpResponse<String> response) {
    assertThat(response.statusCode()).isEqualTo(201);
    Matcher id = Pattern.compile("\"id\":\"(x-[0-9a-f]+)\"").matcher(response.body());
    assertThat(id.find()).as(response.body()).isTrue();
    return id.group(1);
  }

  private HttpResponse<String> send(String method, String path, String tenant, String json) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("X-Tenant-Id", tenant)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
