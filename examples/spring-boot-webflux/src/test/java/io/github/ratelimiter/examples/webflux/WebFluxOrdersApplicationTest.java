package io.github.ratelimiter.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.ClassUtils;

/**
 * The example as its README runs it (in memory, on Netty, no servlet API on the class path), with a frozen clock so
 * that "within a second" does not depend on how fast this machine is.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class WebFluxOrdersApplicationTest {

  @TestConfiguration
  static class FrozenClock {
    @Bean
    Clock clock() {
      return Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
    }
  }

  @LocalServerPort int port;
  WebTestClient client;

  @BeforeEach
  void client() {
    client = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  @Test
  void theServletApiIsNotOnTheClassPath() {
    assertThat(ClassUtils.isPresent("jakarta.servlet.Filter", null)).isFalse();
  }

  @Test
  void ordersAreLimitedPerTenantByTheWebFilter() {
    for (int i = 1; i <= 5; i++) {
      client.post().uri("/api/orders").header("X-Tenant-Id", "globex").contentType(MediaType.APPLICATION_JSON)
          .bodyValue("{\"item\":\"book\",\"quantity\":1}").exchange()
          .expectStatus().isCreated()
          .expectHeader().valueEquals("RateLimit-Policy", "\"orders-api\";q=5;w=1")
          .expectHeader().valueEquals("RateLimit", "\"orders-api\";r=" + (5 - i) + ";t=1");
    }
    client.post().uri("/api/orders").header("X-Tenant-Id", "globex").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"item\":\"book\",\"quantity\":1}").exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().valueEquals("Retry-After", "1")
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.resource").isEqualTo("orders-api");
  }

  @Test
  void aFeedSubscriptionAndAnExportAreLimitedByTheirMethods() {
    for (int i = 0; i < 2; i++) {
      client.get().uri("/api/orders/feed").header("X-Tenant-Id", "initech").exchange().expectStatus().isOk();
    }
    client.get().uri("/api/orders/feed").header("X-Tenant-Id", "initech").exchange()
        .expectStatus().isEqualTo(429)
        .expectBody().jsonPath("$.resource").isEqualTo("order-feed");
    for (int i = 0; i < 3; i++) {
      client.post().uri("/api/exports").header("X-Tenant-Id", "initech").exchange().expectStatus().isCreated()
          .expectBody().jsonPath("$.status").isEqualTo("started");
    }
    client.post().uri("/api/exports").header("X-Tenant-Id", "initech").exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().exists("Retry-After")
        .expectBody().jsonPath("$.resource").isEqualTo("exports");
  }
}
