package io.github.ratelimiter.examples.orders;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The API. Every call names its tenant in {@code X-Tenant-Id}; the route limits of {@code application.yml} apply
 * before a call reaches these methods.
 */
@RestController
public class OrdersController {

  /** An order as posted. */
  public record NewOrder(String item, int quantity) {}

  private final Orders orders;
  private final Exports exports;

  OrdersController(Orders orders, Exports exports) {
    this.orders = orders;
    this.exports = exports;
  }

  @PostMapping("/api/orders")
  @ResponseStatus(HttpStatus.CREATED)
  Orders.Order place(@RequestHeader("X-Tenant-Id") String tenant, @RequestBody NewOrder order) {
    return orders.place(tenant, order.item(), order.quantity());
  }

  @GetMapping("/api/orders")
  List<Orders.Order> list(@RequestHeader("X-Tenant-Id") String tenant) {
    return orders.list(tenant);
  }

  @GetMapping("/api/orders/{id}")
  ResponseEntity<Orders.Order> get(@RequestHeader("X-Tenant-Id") String tenant, @PathVariable String id) {
    return ResponseEntity.of(orders.find(tenant, id));
  }

  @GetMapping("/api/search")
  List<Orders.Order> search(@RequestHeader("X-Tenant-Id") String tenant, @RequestParam String item) {
    return orders.list(tenant).stream().filter(o -> o.item().equals(item)).toList();
  }

  @PostMapping("/api/exports")
  @ResponseStatus(HttpStatus.CREATED)
  Exports.Export startExport(@RequestHeader("X-Tenant-Id") String tenant) {
    return exports.start(tenant);
  }

  @GetMapping("/api/exports")
  Map<String, Object> liveExports(@RequestHeader("X-Tenant-Id") String tenant) {
    List<String> live = exports.live(tenant).stream().map(t -> t.isReservation() ? "(reserved)" : t.resourceId()).toList();
    return Map.of("limit", exports.limitFor(tenant), "live", live);
  }

  @DeleteMapping("/api/exports/{id}")
  ResponseEntity<Void> finishExport(@PathVariable String id) {
    return exports.finish(id) ? ResponseEntity.noContent().build() : ResponseEntity.notFound().build();
  }
}
