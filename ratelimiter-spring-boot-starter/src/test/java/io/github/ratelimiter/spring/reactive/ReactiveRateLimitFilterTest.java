package io.github.ratelimiter.spring.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.ratelimiter.spring.internal.RateLimitFilter;
import io.github.ratelimiter.spring.internal.ReactiveRateLimitFilter;
import java.time.Duration;
import java.util.Date;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The WebFilter end to end: a WebFlux application on Netty, a real HTTP client (WebTestClient bound to the server),
 * the in-memory store and a manual clock that only the tests move. Tenants are distinct per test, so the tests share
 * one application. BlockHound runs in this JVM (blockhound-junit-platform): a blocking call on Netty's event loops,
 * where the filter and the in-memory decisions run, fails the test.
 */
class ReactiveRateLimitFilterTest {

  static ConfigurableApplicationContext app;
  static WebTestClient client;

  @BeforeAll
  static void start() {
    app = new SpringApplicationBuilder(ReactiveTestApp.class).web(WebApplicationType.REACTIVE)
        .properties("spring.config.name=reactive", "server.port=0").run();
    int port = ((WebServerApplicationContext) app).getWebServer().getPort();
    client = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void aReactiveApplicationGetsTheWebFilterAndNotTheServletFilter() {
    assertThat(app.getBeansOfType(ReactiveRateLimitFilter.class)).hasSize(1);
    assertThat(app.getBeanNamesForType(RateLimitFilter.class)).isEmpty();
  }

  @Test
  void theFourthPostWithinASecondIs429WithTheServletFiltersHeadersAndProblem() {
    String tenant = "acme-" + System.nanoTime();
    for (int i = 1; i <= 3; i++) {
      client.post().uri("/api/orders").header("X-Tenant-Id", tenant).exchange()
          .expectStatus().isCreated()
          .expectHeader().valueEquals("RateLimit-Policy", "\"orders-api\";q=3;w=1")
          .expectHeader().valueEquals("RateLimit", "\"orders-api\";r=" + (3 - i) + ";t=1")
          .expectHeader().doesNotExist("Retry-After")
          .expectBody(String.class).isEqualTo("{\"created\":true}");
    }
    client.post().uri("/api/orders").header("X-Tenant-Id", tenant).exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().valueEquals("Retry-After", "1")
        .expectHeader().valueEquals("RateLimit-Policy", "\"orders-api\";q=3;w=1")
        .expectHeader().valueEquals("RateLimit", "\"orders-api\";r=0;t=1")
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo("urn:problem-type:ratelimiter:rate-limited")
        .jsonPath("$.title").isEqualTo("Too Many Requests")
        .jsonPath("$.status").isEqualTo(429)
        .jsonPath("$.detail").isEqualTo("The limit of 'orders-api' is reached for this account; retry in 1 s.")
        .jsonPath("$.resource").isEqualTo("orders-api")
        .jsonPath("$.retryAfterSeconds").isEqualTo(1)
        .jsonPath("$.limit").doesNotExist();
    client.post().uri("/api/orders").header("X-Tenant-Id", tenant + "-other").exchange()
        .expectStatus().isCreated();
    ReactiveTestApp.CLOCK.advance(Duration.ofSeconds(1));
    // What the blocking limiter (the servlet filter) answers here too, one second after a denial.
    client.post().uri("/api/orders").header("X-Tenant-Id", tenant).exchange()
        .expectStatus().isCreated()
        .expectHeader().valueEquals("RateLimit", "\"orders-api\";r=1;t=1");
  }

  @Test
  void aQuotaOfSeveralLimitsNamesTheLimitThatDenied() {
    String tenant = "quota-" + System.nanoTime();
    for (int i = 1; i <= 4; i++) {
      client.get().uri("/api/search").header("X-Tenant-Id", tenant).exchange().expectStatus().isOk()
          .expectHeader().valueEquals("RateLimit-Policy", "\"per-second\";q=4;w=1, \"per-minute\";q=6;w=60");
    }
    client.get().uri("/api/search").header("X-Tenant-Id", tenant).exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().valueEquals("RateLimit", "\"per-second\";r=0;t=1")
        .expectBody()
        .jsonPath("$.limit").isEqualTo("per-second")
        .jsonPath("$.detail").isEqualTo("The limit 'per-second' of 'search-api' is reached for this account;"
            + " retry in 1 s.");
    ReactiveTestApp.CLOCK.advance(Duration.ofSeconds(1));
    for (int i = 1; i <= 2; i++) {
      client.get().uri("/api/search").header("X-Tenant-Id", tenant).exchange().expectStatus().isOk();
    }
    client.get().uri("/api/search").header("X-Tenant-Id", tenant).exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().value("RateLimit", state -> assertThat(state).startsWith("\"per-minute\";r=0;t="))
        .expectBody()
        .jsonPath("$.limit").isEqualTo("per-minute")
        .jsonPath("$.resource").isEqualTo("search-api");
  }

  @Test
  void anUnmatchedRouteIsLeftUntouched() {
    for (int i = 0; i < 5; i++) {
      client.get().uri("/api/free").header("X-Tenant-Id", "free-" + System.nanoTime()).exchange()
          .expectStatus().isOk()
          .expectHeader().doesNotExist("RateLimit")
          .expectHeader().doesNotExist("RateLimit-Policy")
          .expectBody(String.class).isEqualTo("{\"free\":true}");
    }
    // POST only: a GET of the orders route is not limited either.
    client.get().uri("/api/orders").exchange().expectHeader().doesNotExist("RateLimit");
  }

  @Test
  void aRequestWithoutItsAccountIs400NamingTheMissingSource() {
    client.post().uri("/api/orders").exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo("urn:problem-type:ratelimiter:account-unknown")
        .jsonPath("$.detail").isEqualTo("The account of this request cannot be determined: header 'X-Tenant-Id' is"
            + " missing (rate limit 'orders-api').");
  }

  @Test
  void aClaimAccountIsReadFromTheReactiveSecurityContext() throws Exception {
    String alpha = jwt("claims-alpha-" + System.nanoTime());
    for (int i = 0; i < 2; i++) {
      client.post().uri("/api/claims/orders").header("Authorization", "Bearer " + alpha).exchange()
          .expectStatus().isCreated();
    }
    client.post().uri("/api/claims/orders").header("Authorization", "Bearer " + alpha).exchange()
        .expectStatus().isEqualTo(429);
    client.post().uri("/api/claims/orders").header("Authorization", "Bearer " + jwt("claims-beta-" + System.nanoTime()))
        .exchange().expectStatus().isCreated();
    client.post().uri("/api/claims/orders").exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.detail").value(detail -> assertThat((String) detail).contains("claim 'tenant'"));
  }

  @Test
  void anAccountExpressionReadsTheServerHttpRequest() {
    String org = "Org-" + System.nanoTime();
    client.post().uri("/api/spel/orders").header("X-Org", org).exchange().expectStatus().isCreated();
    client.post().uri("/api/spel/orders").header("X-Org", org.toUpperCase()).exchange().expectStatus().isCreated();
    client.post().uri("/api/spel/orders").header("X-Org", org.toLowerCase()).exchange().expectStatus()
        .isEqualTo(429);
  }

  @Test
  void aLimitedMonoMethodTakesItsAccountFromTheRouteThroughTheReactorContext() {
    String tenant = "reports-" + System.nanoTime();
    ReactiveTestApp.Reports reports = app.getBean(ReactiveTestApp.Reports.class);
    int before = reports.subscribed();
    for (int i = 0; i < 2; i++) {
      client.get().uri("/api/reports").header("X-Tenant-Id", tenant).exchange().expectStatus().isOk();
    }
    client.get().uri("/api/reports").header("X-Tenant-Id", tenant).exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().valueEquals("Retry-After", "1")
        .expectBody()
        .jsonPath("$.resource").isEqualTo("reports-method");
    assertThat(reports.subscribed() - before).as("the denied call's publisher is not subscribed").isEqualTo(2);
    client.get().uri("/api/reports").header("X-Tenant-Id", tenant + "-other").exchange().expectStatus().isOk();
  }

  private static String jwt(String tenant) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
        .subject("user-of-" + tenant).claim("tenant", tenant)
        .expirationTime(new Date(System.currentTimeMillis() + 600_000)).build());
    jwt.sign(new MACSigner(ReactiveTestApp.JWT_KEY.getEncoded()));
    return jwt.serialize();
  }
}
