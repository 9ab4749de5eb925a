package io.github.ratelimiter;

import java.util.Objects;

/**
 * One key's part of a decision across several keys ({@link RateLimiters#tryAcquireAll(java.util.List)}): a limiter,
 * an account and what to take from it. Made by {@link FungibleLimiter#ask(String)} and its overloads. Immutable.
 */
public final class Ask {

  private final FungibleLimiter limiter;
  private final String accountId;
  private final Cost cost;

  Ask(FungibleLimiter limiter, String accountId, Cost cost) {
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.accountId = accountId;
    this.cost = Objects.requireNonNull(cost, "cost");
  }

  /** The limiter asked. */
  public FungibleLimiter limiter() {
    return limiter;
  }

  /** The account asked for. */
  public String accountId() {
    return accountId;
  }

  /** What is asked of the account's quota. */
  public Cost cost() {
    return cost;
  }

  @Override
  public String toString() {
    return limiter.resourceName() + "/" + accountId + ": " + cost;
  }
}
