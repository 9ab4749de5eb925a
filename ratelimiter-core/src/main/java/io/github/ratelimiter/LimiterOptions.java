package io.github.ratelimiter;

import io.github.ratelimiter.internal.Arguments;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of one limiter that differ from its {@link RateLimiters}' settings, given to
 * {@link RateLimiters#fungible(String, Limit, LimiterOptions)} or
 * {@link RateLimiters#nonFungible(String, long, LimiterOptions)}. Every setting left unset takes the value set on
 * {@link RateLimiters.Builder}.
 *
 * <pre>{@code
 * // this resource only protects fairness between tenants: a store outage should not become our outage
 * FungibleLimiter search = limiters.fungible("search", Limit.of(50, Duration.ofSeconds(1)),
 *     LimiterOptions.builder().failureMode(FailureMode.FAIL_OPEN).build());
 * }</pre>
 *
 * <p>Immutable and thread-safe; equal when every setting is equal (which is how
 * {@link RateLimiters#fungible(String, Limit, LimiterOptions)} tells a repeated request for a limiter from a
 * conflicting one).
 */
public final class LimiterOptions {

  private static final LimiterOptions DEFAULTS = new Builder().build();

  /** The most ancestors a cascading limiter charges above an account. */
  public static final int MAX_ANCESTORS = 8;

  /** {@link #maxDebt()} unless set: one full burst of each limit. */
  public static final double DEFAULT_MAX_DEBT = 1.0;

  /** The largest {@link Builder#maxDebt(double)} accepted: a hundred bursts. */
  public static final double MAX_MAX_DEBT = 100.0;

  private final FailureMode failureMode;
  private final Leasing leasing;
  private final Duration decisionTimeout;
  private final boolean cascade;
  private final double maxDebt;

  private LimiterOptions(Builder builder) {
    this.failureMode = builder.failureMode;
    this.leasing = builder.leasing;
    this.decisionTimeout = builder.decisionTimeout;
    this.cascade = builder.cascade;
    this.maxDebt = builder.maxDebt;
  }

  /** Options that set nothing: the limiter takes every setting from its {@link RateLimiters}. */
  public static LimiterOptions defaults() {
    return DEFAULTS;
  }

  /** A builder with nothing set. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from these options. */
  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.failureMode = failureMode;
    builder.leasing = leasing;
    builder.decisionTimeout = decisionTimeout;
    builder.cascade = cascade;
    builder.maxDebt = maxDebt;
    return builder;
  }

  /** The failure mode, when set here; empty means {@link RateLimiters.Builder#failureMode(FailureMode)}'s. */
  public Optional<FailureMode> failureMode() {
    return Optional.ofNullable(failureMode);
  }

  /** This limiter's failure mode: the one set here, else {@code inherited}. */
  public FailureMode failureModeOr(FailureMode inherited) {
    return failureMode == null ? inherited : failureMode;
  }

  /**
   * Leased rate shares for this fungible limiter's hot keys, when set (see {@link Leasing}); empty means every
   * decision is one store write, except for the accounts whose limit row switches leasing on
   * ({@link io.github.ratelimiter.store.LimitRecord#leasing()}, leased with {@link Leasing#defaults()}). Not used by
   * non-fungible limiters.
   */
  public Optional<Leasing> leasing() {
    return Optional.ofNullable(leasing);
  }

  /**
   * The decision timeout, when set here; empty means {@link RateLimiters.Builder#decisionTimeout(Duration)}'s (by
   * default the store's).
   */
  public Optional<Duration> decisionTimeout() {
    return Optional.ofNullable(decisionTimeout);
  }

  /**
   * Whether a fungible limiter charges each account's ancestors too: the account named by its limit row's
   * {@code parentAccountId}, that account's parent, and so on, all in one decision across keys
   * ({@link RateLimiters#tryAcquireAll(java.util.List)}); false by default.
   */
  public boolean cascade() {
    return cascade;
  }

  /**
   * How far past its limits a fungible limiter lets an account go into debt, as a multiple of each limit: a
   * {@link Charge#settle(Cost) settle} above its estimate and a post-paid {@link FungibleLimiter#charge(String, Cost)
   * charge} are applied even past the limit, as long as each limit's bucket then owes at most
   * {@code floor(maxDebt * limit)} of it (its {@code tat} at most {@code now + (limit + floor(maxDebt * limit)) * T});
   * the part of a charge beyond that is not charged, and is reported to the listener
   * ({@link RateLimiterListener#onCostLost}) and logged. {@value #DEFAULT_MAX_DEBT} (one full burst) by default.
   * The bound of what a bucket admits grows by exactly this much: over any interval of length {@code t}, at most
   * {@code limit + floor(t * limit / window) + floor(maxDebt * limit)} (see {@link io.github.ratelimiter.store.Gcra}).
   */
  public double maxDebt() {
    return maxDebt;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof LimiterOptions that && Objects.equals(failureMode, that.failureMode)
        && Objects.equals(leasing, that.leasing) && Objects.equals(decisionTimeout, that.decisionTimeout)
        && cascade == that.cascade && Double.compare(maxDebt, that.maxDebt) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(failureMode, leasing, decisionTimeout, cascade, maxDebt);
  }

  @Override
  public String toString() {
    return "LimiterOptions[failureMode=" + (failureMode == null ? "inherited" : failureMode)
        + (leasing == null ? "" : ", leasing=" + leasing)
        + (decisionTimeout == null ? "" : ", decisionTimeout=" + decisionTimeout)
        + (cascade ? ", cascade" : "")
        + (maxDebt == DEFAULT_MAX_DEBT ? "" : ", maxDebt=" + maxDebt) + "]";
  }

  /** Configures {@link LimiterOptions}. Not thread-safe; each setter fails fast on a bad value. */
  public static final class Builder {
    private FailureMode failureMode;
    private Leasing leasing;
    private Duration decisionTimeout;
    private boolean cascade;
    private double maxDebt = DEFAULT_MAX_DEBT;

    private Builder() {}

    /**
     * How far past its limits an account may go into debt, as a multiple of each limit (see
     * {@link LimiterOptions#maxDebt()}): 0 applies settles and post-paid charges only up to the limit, 1 (the default)
     * up to one more full burst.
     *
     * @throws IllegalArgumentException if {@code limits} is negative, not a number, or above
     *     {@value LimiterOptions#MAX_MAX_DEBT}
     */
    public Builder maxDebt(double limits) {
      if (!(limits >= 0 && limits <= MAX_MAX_DEBT)) {
        throw new IllegalArgumentException("maxDebt must be between 0 and " + MAX_MAX_DEBT + " (limits): " + limits);
      }
      this.maxDebt = limits;
      return this;
    }

    /**
     * Whether to charge each account's ancestors too (see {@link LimiterOptions#cascade()}): an account whose row
     * names a parent is admitted only when it and every ancestor admit, each on its own limits (its row's, else the
     * default), charged in one decision across keys, nothing charged anywhere on a denial. At most
     * {@value LimiterOptions#MAX_ANCESTORS} ancestors are charged; a cycle of parents is cut where it repeats.
     */
    public Builder cascade(boolean cascade) {
      this.cascade = cascade;
      return this;
    }

    /**
     * What this limiter answers when the store fails (see {@link FailureMode}); unset, the {@link RateLimiters}'
     * mode applies.
     */
    public Builder failureMode(FailureMode mode) {
      this.failureMode = Objects.requireNonNull(mode, "failureMode");
      return this;
    }

    /**
     * Leases for hot keys of a fungible limiter: a process that asks one key for at least
     * {@link Leasing#hotThreshold()} permits per second takes chunks of the bucket with one write each and grants
     * from them locally, exactly within the bucket's bound; unset, every decision is one store write (but for the
     * accounts whose limit row switches leasing on).
     */
    public Builder leasing(Leasing leasing) {
      this.leasing = Objects.requireNonNull(leasing, "leasing");
      return this;
    }

    /**
     * The longest one decision of this limiter may take, whatever the store does: its store calls (with their
     * retries) and any wait for another thread's call all fit in it, and past it the decision fails as a store
     * failure would (its failure mode applies). Unset, {@link RateLimiters.Builder#decisionTimeout(Duration)}'s
     * applies.
     *
     * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
     */
    public Builder decisionTimeout(Duration timeout) {
      this.decisionTimeout = Arguments.requirePositive("decisionTimeout", timeout);
      return this;
    }

    /** Builds the options. */
    public LimiterOptions build() {
      return new LimiterOptions(this);
    }
  }
}
