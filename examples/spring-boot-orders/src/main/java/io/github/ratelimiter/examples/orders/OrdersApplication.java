package io.github.ratelimiter.examples.orders;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An orders API limited per tenant by ratelimiter-spring-boot-starter: the routes and their default limits are in
 * {@code application.yml}, per-tenant overrides in the limit table ({@code limits.yaml}, loaded at startup in the
 * {@code dev} profile), a cap on concurrent exports is a non-fungible limiter released through the API.
 *
 * <p>{@code ./examples/spring-boot-orders/run} starts it in the {@code dev} profile, against a local dynalite.
 */
@SpringBootApplication
public class OrdersApplication {

  /** Starts the application. */
  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args);
  }
}
