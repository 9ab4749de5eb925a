package io.github.ratelimiter;

/**
 * A reservation or token no longer belongs to its holder: it expired and its slot may have been taken by another
 * caller, or it was deleted or released. Nothing was written.
 */
public final class ReservationNotFoundException extends RateLimiterException {
  private static final long serialVersionUID = 1L;

  private final String resourceName;
  private final String accountId;
  private final String reservationId;

  /** Creates the exception. */
  public ReservationNotFoundException(String message, String resourceName, String accountId, String reservationId) {
    super(message);
    this.resourceName = resourceName;
    this.accountId = accountId;
    this.reservationId = reservationId;
  }

  /** The limited resource. */
  public String resourceName() {
    return resourceName;
  }

  /** The account that held the reservation. */
  public String accountId() {
    return accountId;
  }

  /** The reservation's id (its slot). */
  public String reservationId() {
    return reservationId;
  }
}
