package io.github.ratelimiter.spring.reactive;

import io.github.ratelimiter.spring.RateLimited;
import io.github.ratelimiter.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * A small WebFlux application for the reactive tests: the routes of {@code reactive.yml}, a limited method returning
 * {@code Mono} whose account is the route's, JWT authentication (for {@code claim:} accounts), a manual clock.
 */
@SpringBootApplication
public class ReactiveTestApp {

  /** The clock of the reactive application; the tests move it. */
  public static final ManualClock CLOCK = ManualClock.create();

  /** The HMAC key that signs the tests' JWTs. */
  public static final SecretKey JWT_KEY =
      new SecretKeySpec("a-reactive-test-key-of-at-least-256-bits!".getBytes(StandardCharsets.UTF_8), "HmacSHA256");

  @Bean
  Clock clock() {
    return CLOCK;
  }

  @Bean
  SecurityWebFilterChain security(ServerHttpSecurity http) {
    return http.csrf(c -> c.disable())
        .authorizeExchange(a -> a.anyExchange().permitAll())
        .oauth2ResourceServer(o -> o.jwt(j -> {}))
        .build();
  }

  @Bean
  ReactiveJwtDecoder jwtDecoder() {
    return NimbusReactiveJwtDecoder.withSecretKey(JWT_KEY).macAlgorithm(MacAlgorithm.HS256).build();
  }

  /** The API. */
  @RestController
  static class Api {
    private final Reports reports;

    Api(Reports reports) {
      this.reports = reports;
    }

    @PostMapping({"/api/orders", "/api/claims/orders", "/api/spel/orders"})
    @ResponseStatus(HttpStatus.CREATED)
    Mono<String> create() {
      return Mono.just("{\"created\":true}");
    }

    @GetMapping("/api/search")
    Mono<String> search() {
      return Mono.just("{\"results\":[]}");
    }

    @GetMapping("/api/free")
    Mono<String> free() {
      return Mono.just("{\"free\":true}");
    }

    @GetMapping("/api/reports")
    Mono<String> report() {
      return reports.report();
    }
  }

  /** A limited method whose account is the one the route resolved (from the Reactor context). */
  @Service
  public static class Reports {
    private final AtomicInteger subscribed = new AtomicInteger();

    /** How many times a report's publisher was subscribed (read through the proxy, which has no state). */
    public int subscribed() {
      return subscribed.get();
    }

    @RateLimited(resource = "reports-method", limit = 2, window = 1)
    public Mono<String> report() {
      return Mono.fromCallable(() -> "{\"report\":" + subscribed.incrementAndGet() + "}");
    }
  }
}
