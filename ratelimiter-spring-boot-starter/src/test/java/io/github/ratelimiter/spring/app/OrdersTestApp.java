package io.github.ratelimiter.spring.app;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.spring.QuotaLimit;
import io.github.ratelimiter.spring.RateLimited;
import io.github.ratelimiter.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** A small application for the starter's end-to-end tests: routes, limited methods, JWT authentication. */
@SpringBootApplication
public class OrdersTestApp {

  /** One clock for every context of the test JVM, so that two "instances" agree on time and tests move it. */
  public static final ManualClock CLOCK = ManualClock.create();

  /** The HMAC key that signs the tests' JWTs. */
  public static final SecretKey JWT_KEY =
      new SecretKeySpec("a-test-key-of-at-least-256-bits-for-hs256!".getBytes(StandardCharsets.UTF_8), "HmacSHA256");

  @Bean
  Clock clock() {
    return CLOCK;
  }

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    return http.csrf(c -> c.disable())
        .authorizeHttpRequests(a -> a.anyRequest().permitAll())
        .oauth2ResourceServer(o -> o.jwt(j -> {}))
        .build();
  }

  @Bean
  JwtDecoder jwtDecoder() {
    return NimbusJwtDecoder.withSecretKey(JWT_KEY).macAlgorithm(MacAlgorithm.HS256).build();
  }

  /** An order as posted. */
  public record NewOrder(String tenantId, String item) {}

  /** A model's answer, as an LLM client library gives it. */
  public record Completion(Usage usage) {}

  /** The tokens a completion used. */
  public record Usage(long totalTokens) {}

  /** The orders API. */
  @RestController
  static class Orders {
    private final OrderService service;

    Orders(OrderService service) {
      this.service = service;
    }

    @PostMapping({"/api/orders", "/api/claims/orders", "/api/spel/orders"})
    @ResponseStatus(HttpStatus.CREATED)
    String create() {
      return "{\"created\":true}";
    }

    @GetMapping("/api/orders/{id}")
    String get(@PathVariable String id) {
      return "{\"id\":\"" + id + "\"}";
    }

    @PostMapping("/api/method/orders")
    @ResponseStatus(HttpStatus.CREATED)
    String createLimited(@RequestBody NewOrder order) {
      return service.create(order);
    }

    @PostMapping("/api/search")
    String search() {
      return "{\"results\":[]}";
    }

    @PostMapping("/api/method/search")
    String searchLimited(@org.springframework.web.bind.annotation.RequestHeader("X-Tenant-Id") String tenant) {
      return service.search(tenant);
    }

    @PostMapping("/api/route/orders")
    @ResponseStatus(HttpStatus.CREATED)
    String createForRouteAccount() {
      return service.createForRouteAccount();
    }

    @PostMapping("/api/llm/complete")
    ResponseEntity<String> complete(@RequestParam long tokens, @RequestParam(defaultValue = "false") boolean fail) {
      if (fail) {
        throw new IllegalStateException("the model failed");
      }
      return ResponseEntity.ok().header("X-Tokens-Used", Long.toString(tokens)).body("{\"tokens\":" + tokens + "}");
    }

    @PostMapping("/api/method/llm")
    String completeLimited(@org.springframework.web.bind.annotation.RequestHeader("X-Tenant-Id") String tenant,
        @RequestParam long tokens, @RequestParam(defaultValue = "false") boolean fail) {
      return "{\"tokens\":" + service.complete(tenant, tokens, fail).usage().totalTokens() + "}";
    }

    @GetMapping("/api/exhausted")
    String exhausted() {
      throw new CapacityExhaustedException("no exports left", "exports", "acme", Duration.ofMillis(1500));
    }
  }

  /** A class-based bean (no interface) with limited methods. */
  @Service
  public static class OrderService {

    @RateLimited(resource = "orders-method", limit = 2, window = 1, account = "#order.tenantId")
    public String create(NewOrder order) {
      return "{\"tenant\":\"" + order.tenantId() + "\"}";
    }

    @RateLimited(resource = "search-method", account = "#tenant", limits = {
        @QuotaLimit(name = "per-second", limit = 2, window = 1),
        @QuotaLimit(name = "per-hour", limit = 3, window = 1, unit = ChronoUnit.HOURS)})
    public String search(String tenant) {
      return "{\"results\":[]}";
    }

    @RateLimited(resource = "llm-method", account = "#tenant", estimate = "500", actual = "#result.usage.totalTokens",
        costLimit = "tokens", limits = {
            @QuotaLimit(name = "requests", limit = 100, window = 1, unit = ChronoUnit.MINUTES),
            @QuotaLimit(name = "tokens", limit = 1000, window = 1, unit = ChronoUnit.MINUTES)})
    public Completion complete(String tenant, long tokens, boolean fail) {
      if (fail) {
        throw new IllegalStateException("the model failed");
      }
      return new Completion(new Usage(tokens));
    }

    @RateLimited(resource = "route-method", limit = 2, window = 1)
    public String createForRouteAccount() {
      return "{\"created\":true}";
    }
  }
}
