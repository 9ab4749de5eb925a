package io.github.ratelimiter.examples.orders;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.spring.RateLimited;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Exports of a tenant's orders: long-running jobs, at most {@code orders.exports.max-concurrent} live per tenant (the
 * limit table may say otherwise for a tenant), shared by every instance of the service. Starting one is also rate
 * limited, by annotation. Thread-safe.
 */
@Service
public class Exports {

  /**
   * A started export.
   *
   * @param id its id, which holds the tenant's slot until released
   * @param tenant the tenant
   * @param slot the slot it holds
   */
  public record Export(String id, String tenant, String slot) {}

  private final NonFungibleLimiter exports;

  Exports(RateLimiters limiters, @Value("${orders.exports.max-concurrent:2}") long maxConcurrent) {
    this.exports = limiters.nonFungible("exports", maxConcurrent);
  }

  /**
   * Starts an export: takes one of the tenant's slots and turns it into a token carrying the export's id.
   *
   * @throws io.github.ratelimiter.CapacityExhaustedException when the tenant already runs its limit of exports, or
   *     started too many this minute (a 429 either way)
   */
  @RateLimited(resource = "export-starts", limit = 5, window = 1, unit = ChronoUnit.MINUTES, account = "#tenant")
  public Export start(String tenant) {
    String id = "x-" + UUID.randomUUID().toString().substring(0, 8);
    try (Reservation reservation = exports.reserve(tenant)) {
      // A real service would launch the job here; if that threw, closing the reservation would free the slot.
      reservation.createToken(id);
      return new Export(id, tenant, reservation.reservationId());
    }
  }

  /** Ends an export, freeing its slot; false when no live export has the id. */
  public boolean finish(String id) {
    return exports.release(id);
  }

  /** A tenant's live exports. */
  public List<ActiveToken> live(String tenant) {
    return exports.activeTokens(tenant);
  }

  /** The tenant's cap. */
  public long limitFor(String tenant) {
    return exports.limitFor(tenant);
  }
}
