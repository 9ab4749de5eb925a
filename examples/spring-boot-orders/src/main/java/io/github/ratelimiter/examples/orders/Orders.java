package io.github.ratelimiter.examples.orders;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/** The orders, per tenant, in memory: the example is about limits, not persistence. Thread-safe. */
@Component
public class Orders {

  /**
   * An order.
   *
   * @param id its id
   * @param tenant the tenant that placed it
   * @param item what was ordered
   * @param quantity how many
   * @param placedAt when
   */
  public record Order(String id, String tenant, String item, int quantity, Instant placedAt) {}

  private final Map<String, ConcurrentLinkedQueue<Order>> byTenant = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong(1000);
  private final Clock clock;

  Orders(Optional<Clock> clock) {
    this.clock = clock.orElse(Clock.systemUTC());
  }

  /** Places an order. */
  public Order place(String tenant, String item, int quantity) {
    Order order = new Order("o-" + ids.incrementAndGet(), tenant, item, quantity, clock.instant());
    byTenant.computeIfAbsent(tenant, t -> new ConcurrentLinkedQueue<>()).add(order);
    return order;
  }

  /** A tenant's orders, oldest first. */
  public List<Order> list(String tenant) {
    return List.copyOf(byTenant.getOrDefault(tenant, new ConcurrentLinkedQueue<>()));
  }

  /** One of a tenant's orders. */
  public Optional<Order> find(String tenant, String id) {
    return list(tenant).stream().filter(o -> o.id().equals(id)).findFirst();
  }
}
