package io.github.ratelimiter.internal;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.Token;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A non-fungible limiter's failure policy and decision events, around the limiter that talks to the store.
 *
 * <p>When the store fails during a reservation, {@link FailureMode#FAIL_CLOSED} throws the
 * {@link RateLimiterException}; {@link FailureMode#FAIL_OPEN} grants a {@link Reservation#degraded() degraded}
 * reservation that holds no slot: its token writes nothing and releasing it does nothing, so a caller's usual
 * reserve, create-token, release sequence runs through an outage without an exception and without leaving rows
 * behind. Only reservations fail open: turning a held reservation into a token, renewing, releasing and listing
 * throw on a store failure in either mode, since their caller holds a slot whose fate it needs to know.
 */
final class FailurePolicyNonFungibleLimiter implements NonFungibleLimiter {

  private static final Logger log = LoggerFactory.getLogger(FailurePolicyNonFungibleLimiter.class);

  /** The id of a degraded reservation and its token: no slot. */
  static final String DEGRADED_ID = "degraded";

  private final NonFungibleLimiter limiter;
  private final FailureMode failureMode;
  private final Clock clock;
  private final Duration reservationTtl;
  private final Duration tokenTtl;
  private final RateLimiterListener listener;
  private final OutageLog outages;

  FailurePolicyNonFungibleLimiter(NonFungibleLimiter limiter, FailureMode failureMode, Clock clock,
      Duration reservationTtl, Duration tokenTtl, RateLimiterListener listener) {
    this.limiter = limiter;
    this.failureMode = failureMode;
    this.clock = clock;
    this.reservationTtl = reservationTtl;
    this.tokenTtl = tokenTtl;
    this.listener = listener;
    this.outages = OutageLog.of(log, limiter.resourceName(), failureMode, clock);
  }

  @Override
  public String resourceName() {
    return limiter.resourceName();
  }

  @Override
  public long limitFor(String accountId) {
    return limiter.limitFor(accountId);
  }

  @Override
  public Reservation reserve(String accountId) {
    long limit;
    try {
      limit = limiter.limitFor(accountId);
    } catch (RateLimiterException e) {
      return storeFailed(e, accountId);
    }
    try {
      Reservation reservation = limiter.reserve(accountId);
      decided(accountId, DecisionOutcome.ALLOWED, true);
      return reservation;
    } catch (CapacityExhaustedException e) {
      decided(accountId, DecisionOutcome.DENIED, limit != 0);
      throw e;
    } catch (RateLimiterException e) {
      return storeFailed(e, accountId);
    }
  }

  @Override
  public Optional<Reservation> tryReserve(String accountId) {
    long limit;
    try {
      limit = limiter.limitFor(accountId);
    } catch (RateLimiterException e) {
      return Optional.of(storeFailed(e, accountId));
    }
    try {
      Optional<Reservation> reservation = limiter.tryReserve(accountId);
      decided(accountId, reservation.isPresent() ? DecisionOutcome.ALLOWED : DecisionOutcome.DENIED, limit != 0);
      return reservation;
    } catch (RateLimiterException e) {
      return Optional.of(storeFailed(e, accountId));
    }
  }

  private void decided(String accountId, DecisionOutcome outcome, boolean storeAsked) {
    listener.onDecision(limiter.resourceName(), accountId, LimiterKind.NON_FUNGIBLE, outcome, 1, storeAsked);
  }

  /** Throws {@code e} (fail closed) or grants a degraded reservation (fail open); heard and logged either way. */
  private Reservation storeFailed(RateLimiterException e, String accountId) {
    outages.failed(e);
    if (failureMode == FailureMode.FAIL_CLOSED) {
      decided(accountId, DecisionOutcome.ERROR, true);
      throw e;
    }
    decided(accountId, DecisionOutcome.DEGRADED, true);
    return new DegradedReservation(accountId, clock.instant().plus(reservationTtl));
  }

  @Override
  public boolean release(String resourceId) {
    return limiter.release(resourceId);
  }

  @Override
  public List<ActiveToken> activeTokens(String accountId) {
    return limiter.activeTokens(accountId);
  }

  @Override
  public String toString() {
    return limiter.toString();
  }

  /** A reservation granted while the store failed: holds nothing, writes nothing. */
  private final class DegradedReservation implements Reservation {
    private final String accountId;
    private final Instant expiresAt;
    private final AtomicBoolean tokenCreated = new AtomicBoolean();

    DegradedReservation(String accountId, Instant expiresAt) {
      this.accountId = accountId;
      this.expiresAt = expiresAt;
    }

    @Override
    public String reservationId() {
      return DEGRADED_ID;
    }

    @Override
    public String accountId() {
      return accountId;
    }

    @Override
    public Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public Token createToken(String resourceId) {
      return createToken(resourceId, tokenTtl);
    }

    @Override
    public Token createToken(String resourceId, Duration ttl) {
      Arguments.requireId("resourceId", resourceId);
      Arguments.requireSeconds("ttl", ttl);
      if (!tokenCreated.compareAndSet(false, true)) {
        throw new IllegalStateException("reservation " + reservationId() + " is already a token");
      }
      return new DegradedToken(resourceId, accountId, clock.instant().plus(ttl));
    }

    @Override
    public void delete() {}

    @Override
    public void close() {}

    @Override
    public boolean degraded() {
      return true;
    }

    @Override
    public String toString() {
      return "Reservation[" + limiter.resourceName() + ":" + accountId + ", degraded: holds no slot]";
    }
  }

  /** The token of a degraded reservation: holds nothing, writes nothing. */
  private final class DegradedToken implements Token {
    private final String resourceId;
    private final String accountId;
    private final Instant expiresAt;

    DegradedToken(String resourceId, String accountId, Instant expiresAt) {
      this.resourceId = resourceId;
      this.accountId = accountId;
      this.expiresAt = expiresAt;
    }

    @Override
    public String resourceId() {
      return resourceId;
    }

    @Override
    public String accountId() {
      return accountId;
    }

    @Override
    public String reservationId() {
      return DEGRADED_ID;
    }

    @Override
    public Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public Token renew(Duration ttl) {
      Arguments.requireSeconds("ttl", ttl);
      return new DegradedToken(resourceId, accountId, clock.instant().plus(ttl));
    }

    @Override
    public boolean release() {
      return false;
    }

    @Override
    public boolean degraded() {
      return true;
    }

    @Override
    public String toString() {
      return "Token[" + limiter.resourceName() + ":" + accountId + ", " + resourceId + ", degraded: holds no slot]";
    }
  }
}
