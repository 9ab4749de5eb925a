package io.github.ratelimiter.examples.webflux;

import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The API; the tenant is the {@code X-Tenant-Id} header. */
@RestController
class OrdersController {

  private final Orders orders;
  private final Exports exports;

  OrdersController(Orders orders, Exports exports) {
    this.orders = orders;
    this.exports = exports;
  }

  @PostMapping("/api/orders")
  @ResponseStatus(HttpStatus.CREATED)
  Mono<Orders.Order> place(@RequestHeader("X-Tenant-Id") String tenant, @RequestBody Orders.NewOrder order) {
    return orders.place(tenant, order);
  }

  @GetMapping("/api/search")
  Flux<Orders.Order> search(@RequestHeader("X-Tenant-Id") String tenant, @RequestParam String item) {
    return orders.search(tenant, item);
  }

  @GetMapping("/api/orders/feed")
  Flux<Orders.Order> feed(@RequestHeader("X-Tenant-Id") String tenant) {
    return orders.feed(tenant);
  }

  @PostMapping("/api/exports")
  @ResponseStatus(HttpStatus.CREATED)
  CompletableFuture<Exports.Export> export(@RequestHeader("X-Tenant-Id") String tenant) {
    return exports.start(tenant);
  }
}
