package io.github.ratelimiter.testing;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.Ask;
import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.AsyncNonFungibleLimiter;
import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.JointDecision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.Token;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@link RateLimiters} whose limiters decide through their non-blocking views ({@link FungibleLimiter#async()},
 * {@link NonFungibleLimiter#async()}, the {@code Async} twins of {@link Reservation} and {@link Token}) and wait for
 * the future: the blocking API's contract, checked on the non-blocking path. A future's failure is thrown as its
 * cause, as the blocking method would throw it. The contract suites use it when a test class says
 * {@link StoreContract#throughAsync()}; a store's test suite gets both paths from one set of test bodies.
 *
 * <p>What has no non-blocking twin (listing tokens) and an acquire that waits ({@link FungibleLimiter#acquire(String, long, Duration)},
 * which on the non-blocking path waits on real time, not on a test's manual clock) go to the blocking limiter.
 */
public final class ThroughAsync implements RateLimiters {

  private final RateLimiters limiters;

  private ThroughAsync(RateLimiters limiters) {
    this.limiters = limiters;
  }

  /** {@code limiters}, deciding through their non-blocking views. */
  public static RateLimiters of(RateLimiters limiters) {
    return new ThroughAsync(limiters);
  }

  /** The future's value, or its failure's cause thrown as the blocking method would throw it. */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  @Override
  public FungibleLimiter fungible(String resourceName, Quota defaultQuota, LimiterOptions options) {
    return new Fungible(limiters.fungible(resourceName, defaultQuota, options));
  }

  @Override
  public JointDecision tryAcquireAll(List<Ask> asks) {
    return await(limiters.tryAcquireAllAsync(asks));
  }

  @Override
  public CompletableFuture<JointDecision> tryAcquireAllAsync(List<Ask> asks) {
    return limiters.tryAcquireAllAsync(asks);
  }

  @Override
  public NonFungibleLimiter nonFungible(String resourceName, long defaultLimit, LimiterOptions options) {
    return new NonFungible(limiters.nonFungible(resourceName, defaultLimit, options));
  }

  @Override
  public StoreHealth check() {
    return limiters.check();
  }

  @Override
  public <T> T proxy(Class<T> type, T target) {
    return limiters.proxy(type, target);
  }

  @Override
  public RateLimitStore store() {
    return limiters.store();
  }

  @Override
  public void close() {
    limiters.close();
  }

  private record Fungible(FungibleLimiter blocking) implements FungibleLimiter {

    private AsyncFungibleLimiter view() {
      return blocking.async();
    }

    @Override
    public String resourceName() {
      return blocking.resourceName();
    }

    @Override
    public AsyncFungibleLimiter async() {
      return blocking.async();
    }

    @Override
    public Limit limitFor(String accountId) {
      return await(view().limitFor(accountId));
    }

    @Override
    public Quota quotaFor(String accountId) {
      return await(view().quotaFor(accountId));
    }

    @Override
    public Decision tryAcquire(String accountId) {
      return await(view().tryAcquire(accountId));
    }

    @Override
    public Decision tryAcquire(String accountId, long permits) {
      return await(view().tryAcquire(accountId, permits));
    }

    @Override
    public Decision tryAcquire(String accountId, Cost cost) {
      return await(view().tryAcquire(accountId, cost));
    }

    @Override
    public Decision acquire(String accountId) {
      return await(view().acquire(accountId));
    }

    @Override
    public Decision acquire(String accountId, long permits) {
      return await(view().acquire(accountId, permits));
    }

    @Override
    public Decision acquire(String accountId, Cost cost) {
      return await(view().acquire(accountId, cost));
    }

    @Override
    public Decision acquire(String accountId, long permits, Duration maxWait) {
      return blocking.acquire(accountId, permits, maxWait);
    }

    @Override
    public Charge tryReserve(String accountId, Cost estimate) {
      return new AwaitedCharge(await(view().tryReserve(accountId, estimate)));
    }

    @Override
    public Decision charge(String accountId, Cost cost) {
      return await(view().charge(accountId, cost));
    }

    @Override
    public Ask ask(String accountId) {
      return blocking.ask(accountId);
    }

    @Override
    public Ask ask(String accountId, long permits) {
      return blocking.ask(accountId, permits);
    }

    @Override
    public Ask ask(String accountId, Cost cost) {
      return blocking.ask(accountId, cost);
    }
  }

  private record NonFungible(NonFungibleLimiter blocking) implements NonFungibleLimiter {

    private AsyncNonFungibleLimiter view() {
      return blocking.async();
    }

    @Override
    public String resourceName() {
      return blocking.resourceName();
    }

    @Override
    public AsyncNonFungibleLimiter async() {
      return blocking.async();
    }

    @Override
    public long limitFor(String accountId) {
      return blocking.limitFor(accountId);
    }

    @Override
    public Reservation reserve(String accountId) {
      return new AwaitedReservation(await(view().reserve(accountId)));
    }

    @Override
    public Optional<Reservation> tryReserve(String accountId) {
      return await(view().tryReserve(accountId)).map(AwaitedReservation::new);
    }

    @Override
    public boolean release(String resourceId) {
      return await(view().release(resourceId));
    }

    @Override
    public List<ActiveToken> activeTokens(String accountId) {
      return blocking.activeTokens(accountId);
    }
  }

  /** A charge whose settle and cancel go through their {@code Async} twins. */
  private record AwaitedCharge(Charge charge) implements Charge {

    @Override
    public Decision decision() {
      return charge.decision();
    }

    @Override
    public Cost estimate() {
      return charge.estimate();
    }

    @Override
    public void settle(Cost actual) {
      await(charge.settleAsync(actual));
    }

    @Override
    public CompletableFuture<Void> settleAsync(Cost actual) {
      return charge.settleAsync(actual);
    }

    @Override
    public void cancel() {
      await(charge.cancelAsync());
    }

    @Override
    public CompletableFuture<Void> cancelAsync() {
      return charge.cancelAsync();
    }

    @Override
    public void close() {
      charge.close();
    }

    @Override
    public String toString() {
      return charge.toString();
    }
  }

  /** A reservation whose operations go through their {@code Async} twins. */
  private record AwaitedReservation(Reservation reservation) implements Reservation {

    @Override
    public String reservationId() {
      return reservation.reservationId();
    }

    @Override
    public String accountId() {
      return reservation.accountId();
    }

    @Override
    public Instant expiresAt() {
      return reservation.expiresAt();
    }

    @Override
    public Token createToken(String resourceId) {
      return new AwaitedToken(await(reservation.createTokenAsync(resourceId)));
    }

    @Override
    public Token createToken(String resourceId, Duration ttl) {
      return new AwaitedToken(await(reservation.createTokenAsync(resourceId, ttl)));
    }

    @Override
    public CompletableFuture<Token> createTokenAsync(String resourceId) {
      return reservation.createTokenAsync(resourceId);
    }

    @Override
    public CompletableFuture<Token> createTokenAsync(String resourceId, Duration ttl) {
      return reservation.createTokenAsync(resourceId, ttl);
    }

    @Override
    public void delete() {
      await(reservation.deleteAsync());
    }

    @Override
    public CompletableFuture<Void> deleteAsync() {
      return reservation.deleteAsync();
    }

    @Override
    public void close() {
      delete();
    }

    @Override
    public boolean degraded() {
      return reservation.degraded();
    }

    @Override
    public String toString() {
      return reservation.toString();
    }
  }

  /** A token whose operations go through their {@code Async} twins. */
  private record AwaitedToken(Token token) implements Token {

    @Override
    public String resourceId() {
      return token.resourceId();
    }

    @Override
    public String accountId() {
      return token.accountId();
    }

    @Override
    public String reservationId() {
      return token.reservationId();
    }

    @Override
    public Instant expiresAt() {
      return token.expiresAt();
    }

    @Override
    public Token renew(Duration ttl) {
      return new AwaitedToken(await(token.renewAsync(ttl)));
    }

    @Override
    public boolean release() {
      return await(token.releaseAsync());
    }

    @Override
    public CompletableFuture<Token> renewAsync(Duration ttl) {
      return token.renewAsync(ttl);
    }

    @Override
    public CompletableFuture<Boolean> releaseAsync() {
      return token.releaseAsync();
    }

    @Override
    public boolean degraded() {
      return token.degraded();
    }

    @Override
    public String toString() {
      return token.toString();
    }
  }
}
