package io.github.ratelimiter.examples.webflux;

import io.github.ratelimiter.spring.RateLimited;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Service;

/** Exports of a tenant's orders, started asynchronously. */
@Service
public class Exports {

  /** A started export. */
  public record Export(String id, String tenant, String status) {}

  private final AtomicLong ids = new AtomicLong();

  /**
   * Starts an export: 3 per minute per tenant ({@code exports}), decided without blocking; this method is called only
   * once the call is admitted, and a denial fails the returned future with {@code CapacityExhaustedException}
   * (a 429 through the starter's exception handler).
   */
  @RateLimited(resource = "exports", limit = 3, window = 1, unit = ChronoUnit.MINUTES, account = "#tenant")
  public CompletableFuture<Export> start(String tenant) {
    return CompletableFuture.supplyAsync(() -> new Export("e-" + ids.incrementAndGet(), tenant, "started"));
  }
}
