package io.github.ratelimiter.internal;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reservation of {@link DefaultFungibleLimiter}: the admitted call and its state, moved once from open to settled,
 * cancelled or closed by a compare-and-set before any store call, so that racing threads agree on the one that
 * settles and no lock is held while the store is asked. Thread-safe.
 */
final class DefaultCharge implements Charge {

  private static final int OPEN = 0;
  private static final int SETTLED = 1;
  private static final int CANCELLED = 2;
  private static final int CLOSED = 3;
  private static final String[] STATES = {"open", "settled", "cancelled", "closed (settled at the estimate)"};

  private final DefaultFungibleLimiter limiter;
  /** The reserve's call; read only after it was decided (its fields are not written again). */
  private final FungibleCall call;
  private final Cost estimate;
  private final AtomicInteger state = new AtomicInteger(OPEN);

  DefaultCharge(DefaultFungibleLimiter limiter, FungibleCall call, Cost estimate) {
    this.limiter = limiter;
    this.call = call;
    this.estimate = estimate;
  }

  @Override
  public Decision decision() {
    return call.decision;
  }

  @Override
  public Cost estimate() {
    return estimate;
  }

  @Override
  public void settle(Cost actual) {
    if (settling(actual)) {
      limiter.settle(call, estimate, actual);
    }
  }

  @Override
  public CompletableFuture<Void> settleAsync(Cost actual) {
    if (!settling(actual)) {
      return CompletableFuture.completedFuture(null);
    }
    DefaultAsyncFungibleLimiter view = (DefaultAsyncFungibleLimiter) limiter.async();
    return Futures.handOff(view.settle(call, estimate, actual), view.executor());
  }

  /**
   * Checks a settle and moves the state to settled, before anything is sent; returns whether there is anything to
   * send (an actual cost equal to the estimate has nothing).
   */
  private boolean settling(Cost actual) {
    if (call.decision.denied()) {
      throw new IllegalStateException("the reservation of " + estimate + " for account '" + call.accountId + "' on '"
          + limiter.resourceName() + "' was denied: there is nothing to settle (charge(...) charges work done)");
    }
    limiter.checkActual(call, actual);
    int was = state.compareAndExchange(OPEN, SETTLED);
    if (was != OPEN) {
      throw new IllegalStateException("the reservation of " + estimate + " for account '" + call.accountId + "' on '"
          + limiter.resourceName() + "' is already " + STATES[was]);
    }
    return !actual.equals(estimate);
  }

  @Override
  public void cancel() {
    if (call.decision.allowed() && state.compareAndSet(OPEN, CANCELLED)) {
      limiter.refund(call);
    }
  }

  @Override
  public CompletableFuture<Void> cancelAsync() {
    if (call.decision.allowed() && state.compareAndSet(OPEN, CANCELLED)) {
      DefaultAsyncFungibleLimiter view = (DefaultAsyncFungibleLimiter) limiter.async();
      return Futures.handOff(view.refund(call), view.executor());
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void close() {
    state.compareAndSet(OPEN, CLOSED);
  }

  @Override
  public String toString() {
    return "Charge[" + limiter.resourceName() + ", " + call.accountId + ", estimate " + estimate + ", "
        + (call.decision.allowed() ? STATES[state.get()] : "denied") + "]";
  }
}
