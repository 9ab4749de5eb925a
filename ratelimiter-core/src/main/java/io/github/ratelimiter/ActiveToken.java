package io.github.ratelimiter;

import java.time.Instant;
import java.util.Objects;

/**
 * A live reservation or token, as listed by {@link NonFungibleLimiter#activeTokens(String)} for operators.
 *
 * @param resourceName the resource
 * @param accountId the account
 * @param reservationId the slot number
 * @param resourceId the token's resource id, or {@code null} for a reservation
 * @param expiresAt when it expires
 */
public record ActiveToken(
    String resourceName, String accountId, String reservationId, String resourceId, Instant expiresAt) {

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
