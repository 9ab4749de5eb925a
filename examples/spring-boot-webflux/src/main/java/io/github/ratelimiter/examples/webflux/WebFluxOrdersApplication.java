package io.github.ratelimiter.examples.webflux;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A reactive orders API (WebFlux on Netty) limited per tenant by ratelimiter-spring-boot-starter: the routes of
 * {@code application.yml} through the starter's non-blocking WebFilter, and {@code @RateLimited} on methods returning
 * {@code Flux} ({@link Orders#feed}) and {@code CompletableFuture} ({@link Exports#start}). The in-memory store by
 * default.
 *
 * <p>{@code ./examples/spring-boot-webflux/run} builds and starts it.
 */
@SpringBootApplication
public class WebFluxOrdersApplication {

  /** Starts the application. */
  public static void main(String[] args) {
    SpringApplication.run(WebFluxOrdersApplication.class, args);
  }
}
