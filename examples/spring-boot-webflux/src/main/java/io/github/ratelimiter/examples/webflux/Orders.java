package io.github.ratelimiter.examples.webflux;

import io.github.ratelimiter.spring.RateLimited;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The orders, in memory. Thread-safe. */
@Service
public class Orders {

  /** An order as posted. */
  public record NewOrder(String item, int quantity) {}

  /** A placed order. */
  public record Order(String id, String tenant, String item, int quantity, Instant placedAt) {}

  private final List<Order> orders = new CopyOnWriteArrayList<>();
  private final AtomicLong ids = new AtomicLong(1000);
  private final Clock clock;

  Orders(ObjectProvider<Clock> clock) {
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  /** Places an order (limited by the {@code orders-api} route, before this is called). */
  public Mono<Order> place(String tenant, NewOrder order) {
    return Mono.fromSupplier(() -> {
      Order placed = new Order("o-" + ids.incrementAndGet(), tenant, order.item(), order.quantity(), clock.instant());
      orders.add(placed);
      return placed;
    });
  }

  /** The tenant's orders of an item (limited by the {@code orders-search} route). */
  public Flux<Order> search(String tenant, String item) {
    return Flux.defer(() -> Flux.fromIterable(orders))
        .filter(o -> o.tenant().equals(tenant) && (item == null || o.item().equals(item)));
  }

  /**
   * The tenant's orders, as a stream: each subscription takes one permit of {@code order-feed} (2 per minute per
   * tenant), however many orders it then receives; a denied subscription never reaches the orders.
   */
  @RateLimited(resource = "order-feed", limit = 2, window = 1, unit = ChronoUnit.MINUTES, account = "#tenant")
  public Flux<Order> feed(String tenant) {
    return search(tenant, null);
  }
}
