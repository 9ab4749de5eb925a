package io.github.ratelimiter;

import java.time.Instant;
import java.util.Objects;

/**
 * A live reservation or token, as listed by {@link NonFungibleLimiter#activeTokens(String)} for operators.
 *
 * <p>Rows written by another library sharing the table are listed too, marked {@link #foreign()}: they count toward
 * the cap like this library's own. A foreign row whose resource id is its own reservation id (a reservation not yet
 * turned into a token, as that library writes it) is listed as a reservation (no resource id).
 *
 * @param resourceName the resource
 * @param accountId the account
 * @param reservationId the row's reservation id: the slot number for this library's rows, the other library's id
 *     for a foreign row
 * @param resourceId the token's resource id, or {@code null} for a reservation
 * @param expiresAt when it expires
 * @param foreign whether another library wrote the row
 */
public record ActiveToken(String resourceName, String accountId, String reservationId, String resourceId,
    Instant expiresAt, boolean foreign) {

  /** Validates the fields. */
  public ActiveToken {
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** Whether this is a reservation rather than a token. */
  public boolean isReservation() {
    return resourceId == null;
  }
}
