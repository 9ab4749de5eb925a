package io.github.ratelimiter.internal;

import io.github.ratelimiter.Ask;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.JointDecision;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/** The one implementation of {@link RateLimiters}; made by {@link RateLimiters.Builder#build()}. */
public final class DefaultRateLimiters implements RateLimiters {

  /** A limiter handed out, with what it was asked for, to tell a repeated request from a conflicting one. */
  private record Handed<L>(L limiter, Object defaultLimit, LimiterOptions options) {}

  private final RateLimitStore store;
  /** The store as the limiters use it: reporting its requests to the listeners. */
  private final RateLimitStore observed;
  private final Clock clock;
  private final Duration limitCacheTtl;
  private final FailureMode failureMode;
  private final Sleeper sleeper;
  private final Duration reservationTtl;
  private final Duration tokenTtl;
  /** The decision timeout of limiters whose options set none; {@code null}: unbounded. */
  private final Duration decisionTimeout;
  private final RateLimiterListener listener;
  /** Where the limiters' non-blocking views complete futures that waited for the store. */
  private final Executor asyncExecutor;
  private final LimitResolver limits;
  /** The slots as the non-fungible limiters use them: reporting live counts when observed. */
  private final SlotStore slots;
  private final ConcurrentHashMap<String, Handed<FungibleLimiter>> fungibles = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Handed<NonFungibleLimiter>> nonFungibles = new ConcurrentHashMap<>();

  /** Called by the builder only, which has validated every argument. */
  public DefaultRateLimiters(RateLimitStore store, Clock clock, Duration limitCacheTtl, FailureMode failureMode,
      Sleeper sleeper, Duration reservationTtl, Duration tokenTtl, Duration decisionTimeout,
      List<RateLimiterListener> listeners, Executor asyncExecutor) {
    this.asyncExecutor = asyncExecutor;
    this.store = store;
    this.listener = Listeners.of(listeners);
    this.observed = listener == RateLimiterListener.NONE ? store : store.withListener(listener);
    this.clock = clock;
    this.limitCacheTtl = limitCacheTtl;
    this.failureMode = failureMode;
    this.sleeper = sleeper;
    this.reservationTtl = reservationTtl;
    this.tokenTtl = tokenTtl;
    this.decisionTimeout = decisionTimeout;
    this.limits = new LimitResolver(observed.limits(), clock, limitCacheTtl, listener);
    this.slots = listener == RateLimiterListener.NONE
        ? observed.slots()
        : new LiveSlotsReporter(observed.slots(), clock, listener);
  }

  @Override
  public FungibleLimiter fungible(String resourceName, Quota defaultLimit, LimiterOptions options) {
    Objects.requireNonNull(defaultLimit, "defaultQuota");
    Objects.requireNonNull(options, "options");
    Handed<FungibleLimiter> handed = resourceName == null ? null : fungibles.get(resourceName);
    if (handed == null) {
      Arguments.requireId("resourceName", resourceName);
      handed = fungibles.computeIfAbsent(resourceName, name -> new Handed<>(
          new DefaultFungibleLimiter(name, defaultLimit, observed.buckets(), limits, clock, limitCacheTtl,
              options.failureModeOr(failureMode), sleeper, options.leasing().orElse(null),
              options.decisionTimeout().orElse(decisionTimeout), options.cascade(), listener, options.maxDebt(),
              asyncExecutor),
              defaultLimit, options));
    }
    if (!handed.defaultLimit().equals(defaultLimit) || !handed.options().equals(options)) {
      throw conflict(handed, "fungible", resourceName, defaultLimit, options);
    }
    return handed.limiter();
  }

  @Override
  public JointDecision tryAcquireAll(List<Ask> asks) {
    DefaultFungibleLimiter[] limiters = limitersOf(asks);
    return JointDecisions.decide(limiters, accountsOf(asks), costsOf(asks));
  }

  @Override
  public CompletableFuture<JointDecision> tryAcquireAllAsync(List<Ask> asks) {
    DefaultFungibleLimiter[] limiters = limitersOf(asks);
    DefaultAsyncFungibleLimiter[] views = new DefaultAsyncFungibleLimiter[limiters.length];
    for (int i = 0; i < limiters.length; i++) {
      views[i] = (DefaultAsyncFungibleLimiter) limiters[i].async();
    }
    return Futures.handOff(JointDecisions.decideAsync(views, accountsOf(asks), costsOf(asks)), asyncExecutor);
  }

  /** Each ask's limiter, checked to be one this instance handed out. */
  private DefaultFungibleLimiter[] limitersOf(List<Ask> asks) {
    if (asks == null || asks.isEmpty()) {
      throw new IllegalArgumentException("asks must not be null or empty: " + asks);
    }
    int n = asks.size();
    DefaultFungibleLimiter[] limiters = new DefaultFungibleLimiter[n];
    for (int i = 0; i < n; i++) {
      Ask ask = asks.get(i);
      if (ask == null) {
        throw new IllegalArgumentException("asks must not hold null: " + asks);
      }
      Handed<FungibleLimiter> handed = fungibles.get(ask.limiter().resourceName());
      if (handed == null || handed.limiter() != ask.limiter()) {
        throw new IllegalArgumentException("ask " + ask + " is of a limiter this RateLimiters did not hand out");
      }
      limiters[i] = (DefaultFungibleLimiter) handed.limiter();
    }
    return limiters;
  }

  private static String[] accountsOf(List<Ask> asks) {
    return asks.stream().map(Ask::accountId).toArray(String[]::new);
  }

  private static Cost[] costsOf(List<Ask> asks) {
    return asks.stream().map(Ask::cost).toArray(Cost[]::new);
  }

  @Override
  public NonFungibleLimiter nonFungible(String resourceName, long defaultLimit, LimiterOptions options) {
    Objects.requireNonNull(options, "options");
    Handed<NonFungibleLimiter> handed = resourceName == null ? null : nonFungibles.get(resourceName);
    if (handed == null) {
      Arguments.requireId("resourceName", resourceName);
      if (resourceName.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "resourceName of a non-fungible limiter must not contain ':' (it separates resource and account in the"
                + " table's key): '" + resourceName + "'");
      }
      if (defaultLimit < 0) {
        throw new IllegalArgumentException("defaultLimit must not be negative: " + defaultLimit);
      }
      handed = nonFungibles.computeIfAbsent(resourceName, name -> new Handed<>(
          new FailurePolicyNonFungibleLimiter(
              new DefaultNonFungibleLimiter(name, defaultLimit, slots, limits, clock, reservationTtl, tokenTtl,
                  options.decisionTimeout().orElse(decisionTimeout), asyncExecutor),
              options.failureModeOr(failureMode), clock, listener),
          defaultLimit, options));
    }
    if ((Long) handed.defaultLimit() != defaultLimit || !handed.options().equals(options)) {
      throw conflict(handed, "non-fungible", resourceName, defaultLimit, options);
    }
    return handed.limiter();
  }

  private static IllegalArgumentException conflict(Handed<?> handed, String kind, String resourceName,
      Object defaultLimit, LimiterOptions options) {
    return new IllegalArgumentException("a " + kind + " limiter on '" + resourceName + "' was already made with"
          + " default limit " + handed.defaultLimit() + " and " + handed.options() + "; asked again with default"
          + " limit " + defaultLimit + " and " + options + ": there is one limiter per resource name, so use the"
          + " same settings everywhere (or another name)");
  }

  @Override
  public StoreHealth check() {
    try {
      return store.check();
    } catch (RuntimeException e) {
      return StoreHealth.of(List.of(new StoreHealth.Check("store", false, e.toString())));
    }
  }

  @Override
  public <T> T proxy(Class<T> type, T target) {
    return RateLimitProxy.create(this, type, target);
  }

  @Override
  public RateLimitStore store() {
    return store;
  }

  @Override
  public void close() {
    store.close();
  }
}
