package io.github.ratelimiter.micrometer;

import io.github.ratelimiter.RateLimiterListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The limiters' meters in a Micrometer {@link MeterRegistry}: a {@link RateLimiterListener} to register on
 * {@link io.github.ratelimiter.RateLimiters.Builder#listener(RateLimiterListener)}.
 *
 * <pre>{@code
 * RateLimiters limiters = RateLimiters.builder()
 *     .store(store)
 *     .listener(RateLimiterMetrics.bindTo(meterRegistry))
 *     .build();
 * }</pre>
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code ratelimiter.decisions}</td><td>counter</td><td>{@code resource}, {@code kind}
 *       ({@code fungible}, {@code non-fungible}), {@code outcome} ({@code allowed}, {@code denied},
 *       {@code degraded}, {@code error}), {@code source} ({@code store}, {@code local})</td>
 *       <td>decisions; {@code source=local} is a denial answered from what this process last saw, with no request</td></tr>
 *   <tr><td>{@code ratelimiter.permits}</td><td>counter</td><td>{@code resource}, {@code kind}, {@code outcome}</td>
 *       <td>permits asked for, by how they were decided</td></tr>
 *   <tr><td>{@code ratelimiter.store.requests}</td><td>counter</td><td>{@code operation} ({@code UpdateItem}, ...),
 *       {@code outcome} ({@code ok}, {@code condition_failed}, {@code throttled}, {@code error})</td>
 *       <td>requests sent to the store, one per attempt, retries included: what DynamoDB bills</td></tr>
 *   <tr><td>{@code ratelimiter.store.latency}</td><td>timer</td><td>{@code operation}</td>
 *       <td>time per request; for a call's last attempt, the whole call including the SDK's retries</td></tr>
 *   <tr><td>{@code ratelimiter.tokens.live}</td><td>gauge</td><td>{@code resource}</td>
 *       <td>live non-fungible reservations and tokens, the sum over accounts of the count last read for each</td></tr>
 *   <tr><td>{@code ratelimiter.cost}</td><td>counter</td><td>{@code resource}, {@code limit} (the limit's name in
 *       its quota), {@code kind} ({@code reserve}, {@code settle}, {@code refund}, {@code charge})</td>
 *       <td>amounts of reserves (estimates), settles (the extra above an estimate), refunds (given back by a settle
 *       below its estimate or a cancel) and post-paid charges, in the limit's units</td></tr>
 *   <tr><td>{@code ratelimiter.debt}</td><td>counter</td><td>{@code resource}, {@code limit}</td>
 *       <td>the part of settles and post-paid charges that went past the limit</td></tr>
 *   <tr><td>{@code ratelimiter.cost.lost}</td><td>counter</td><td>{@code resource}, {@code limit}, {@code kind},
 *       {@code reason} ({@code max_debt}, {@code store_failed})</td>
 *       <td>amounts not applied: beyond the maximum debt (or a refund whose bucket moved back since), or lost with
 *       a failed store write</td></tr>
 *   <tr><td>{@code ratelimiter.limits.refreshes}</td><td>counter</td><td>{@code resource}, {@code outcome}
 *       ({@code ok}, {@code failed})</td><td>reads of a resource's limit rows by the limit cache</td></tr>
 * </table>
 *
 * <p><b>No account tag by default.</b> Accounts are tenants: thousands or millions of values. A tag per account
 * multiplies every series by that number, which monitoring systems bill and struggle with (unbounded cardinality).
 * {@link Builder#accountTag(Set)} adds an {@code account} tag to {@code ratelimiter.decisions} and
 * {@code ratelimiter.permits} for a bounded set of named accounts (your largest tenants, say); every other account
 * is tagged {@code other}.
 *
 * <p>Meters are made on first use and then looked up without allocating: the hot path adds a map lookup by the
 * resource name and an array index per event. Thread-safe.
 */
public final class RateLimiterMetrics implements RateLimiterListener {

  /** The tag value of accounts outside {@link Builder#accountTag(Set)}'s set. */
  public static final String OTHER_ACCOUNT = "other";

  private static final LimiterKind[] KINDS = LimiterKind.values();
  private static final DecisionOutcome[] DECISION_OUTCOMES = DecisionOutcome.values();
  private static final StoreOutcome[] STORE_OUTCOMES = StoreOutcome.values();
  private static final CostKind[] COST_KINDS = CostKind.values();

  private final MeterRegistry registry;
  /** {@code ratelimiter.denials} by resource, limit name and account tag ("" when accounts are not tagged). */
  private final Map<String, Map<String, Map<String, Counter>>> denials = new ConcurrentHashMap<>();
  private final Set<String> taggedAccounts;
  /** Per resource: decision meters per account tag ("" when accounts are not tagged). */
  private final Map<String, Map<String, DecisionMeters>> decisions = new ConcurrentHashMap<>();
  private final Map<String, StoreMeters> store = new ConcurrentHashMap<>();
  private final Map<String, Counter[]> refreshes = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Integer>> liveSlots = new ConcurrentHashMap<>();
  /** Per resource, per limit name: the cost counters. */
  private final Map<String, Map<String, CostMeters>> costs = new ConcurrentHashMap<>();

  private RateLimiterMetrics(MeterRegistry registry, Set<String> taggedAccounts) {
    this.registry = registry;
    this.taggedAccounts = taggedAccounts;
  }

  /** Meters in {@code registry}, without an account tag. */
  public static RateLimiterMetrics bindTo(MeterRegistry registry) {
    return builder().bindTo(registry);
  }

  /** A builder, for the opt-in account tag. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
      long permits, boolean storeAsked) {
    String account = taggedAccounts.isEmpty() ? "" : taggedAccounts.contains(accountId) ? accountId : OTHER_ACCOUNT;
    Map<String, DecisionMeters> byAccount = decisions.get(resourceName);
    if (byAccount == null) {
      byAccount = decisions.computeIfAbsent(resourceName, r -> new ConcurrentHashMap<>());
    }
    DecisionMeters meters = byAccount.get(account);
    if (meters == null) {
      meters = byAccount.computeIfAbsent(account, a -> new DecisionMeters(resourceName, a));
    }
    int index = kind.ordinal() * DECISION_OUTCOMES.length + outcome.ordinal();
    meters.permits[index].increment(permits);
    (storeAsked ? meters.fromStore : meters.local)[index].increment();
  }

  /** {@code ratelimiter.denials}: fungible denials by the limit of the quota that denied them. */
  @Override
  public void onDenied(String resourceName, String accountId, String limitName) {
    String account = taggedAccounts.isEmpty() ? "" : taggedAccounts.contains(accountId) ? accountId : OTHER_ACCOUNT;
    Map<String, Map<String, Counter>> byLimit = denials.get(resourceName);
    if (byLimit == null) {
      byLimit = denials.computeIfAbsent(resourceName, r -> new ConcurrentHashMap<>());
    }
    Map<String, Counter> byAccount = byLimit.get(limitName);
    if (byAccount == null) {
      byAccount = byLimit.computeIfAbsent(limitName, l -> new ConcurrentHashMap<>());
    }
    Counter counter = byAccount.get(account);
    if (counter == null) {
      counter = byAccount.computeIfAbsent(account, a -> {
        Counter.Builder builder = Counter.builder("ratelimiter.denials")
            .description("Fungible denials, by the limit of the quota that denied them")
            .tag("resource", resourceName)
            .tag("limit", limitName);
        if (!a.isEmpty()) {
          builder.tag("account", a);
        }
        return builder.register(registry);
      });
    }
    counter.increment();
  }

  @Override
  public void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {
    StoreMeters meters = store.get(operation);
    if (meters == null) {
      meters = store.computeIfAbsent(operation, StoreMeters::new);
    }
    meters.requests[outcome.ordinal()].increment();
    meters.latency.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void onLimitRefresh(String resourceName, boolean succeeded) {
    Counter[] counters = refreshes.get(resourceName);
    if (counters == null) {
      counters = refreshes.computeIfAbsent(resourceName, r -> new Counter[] {
          refreshCounter(r, "ok"), refreshCounter(r, "failed")});
    }
    counters[succeeded ? 0 : 1].increment();
  }

  @Override
  public void onLiveSlots(String resourceName, String accountId, int live) {
    Map<String, Integer> byAccount = liveSlots.get(resourceName);
    if (byAccount == null) {
      byAccount = liveSlots.computeIfAbsent(resourceName, resource -> {
        Map<String, Integer> accounts = new ConcurrentHashMap<>();
        Gauge.builder("ratelimiter.tokens.live", accounts, RateLimiterMetrics::sum)
            .description("Live non-fungible reservations and tokens: the sum over accounts of the count last read")
            .tag("resource", resource)
            .register(registry);
        return accounts;
      });
    }
    byAccount.put(accountId, live);
  }

  @Override
  public void onCost(String resourceName, String limitName, CostKind kind, long amount, long debt) {
    CostMeters meters = costMeters(resourceName, limitName);
    meters.amounts[kind.ordinal()].increment(amount);
    if (debt > 0) {
      meters.debt.increment(debt);
    }
  }

  @Override
  public void onCostLost(String resourceName, String accountId, String limitName, CostKind kind, long amount,
      boolean storeFailed) {
    costMeters(resourceName, limitName).lost[kind.ordinal() * 2 + (storeFailed ? 1 : 0)].increment(amount);
  }

  private CostMeters costMeters(String resourceName, String limitName) {
    Map<String, CostMeters> byLimit = costs.get(resourceName);
    if (byLimit == null) {
      byLimit = costs.computeIfAbsent(resourceName, r -> new ConcurrentHashMap<>());
    }
    CostMeters meters = byLimit.get(limitName);
    if (meters == null) {
      meters = byLimit.computeIfAbsent(limitName, l -> new CostMeters(resourceName, l));
    }
    return meters;
  }

  private static double sum(Map<String, Integer> liveByAccount) {
    long sum = 0;
    for (int live : liveByAccount.values()) {
      sum += live;
    }
    return sum;
  }

  private Counter refreshCounter(String resourceName, String outcome) {
    return Counter.builder("ratelimiter.limits.refreshes")
        .description("Reads of a resource's limit rows by the limit cache")
        .tag("resource", resourceName)
        .tag("outcome", outcome)
        .register(registry);
  }

  /** An enum as a tag value: lower case ({@code CONDITION_FAILED} is {@code condition_failed}). */
  static String tagValue(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The decision counters of one (resource, account tag), indexed by kind and outcome. */
  private final class DecisionMeters {
    final Counter[] fromStore = new Counter[KINDS.length * DECISION_OUTCOMES.length];
    final Counter[] local = new Counter[fromStore.length];
    final Counter[] permits = new Counter[fromStore.length];

    DecisionMeters(String resourceName, String account) {
      for (LimiterKind kind : KINDS) {
        for (DecisionOutcome outcome : DECISION_OUTCOMES) {
          int index = kind.ordinal() * DECISION_OUTCOMES.length + outcome.ordinal();
          String kindTag = kind == LimiterKind.NON_FUNGIBLE ? "non-fungible" : "fungible";
          fromStore[index] = decisionCounter(resourceName, account, kindTag, outcome, "store");
          local[index] = decisionCounter(resourceName, account, kindTag, outcome, "local");
          Counter.Builder permitCounter = Counter.builder("ratelimiter.permits")
              .description("Permits asked for, by how they were decided")
              .baseUnit("permits")
              .tag("resource", resourceName)
              .tag("kind", kindTag)
              .tag("outcome", tagValue(outcome));
          if (!account.isEmpty()) {
            permitCounter.tag("account", account);
          }
          permits[index] = permitCounter.register(registry);
        }
      }
    }

    private Counter decisionCounter(String resourceName, String account, String kind, DecisionOutcome outcome,
        String source) {
      Counter.Builder counter = Counter.builder("ratelimiter.decisions")
          .description("Rate limit decisions")
          .tag("resource", resourceName)
          .tag("kind", kind)
          .tag("outcome", tagValue(outcome))
          .tag("source", source);
      if (!account.isEmpty()) {
        counter.tag("account", account);
      }
      return counter.register(registry);
    }
  }

  /** The cost counters of one (resource, limit): amounts by kind, debt, and lost by kind and reason. */
  private final class CostMeters {
    final Counter[] amounts = new Counter[COST_KINDS.length];
    final Counter debt;
    final Counter[] lost = new Counter[COST_KINDS.length * 2];

    CostMeters(String resourceName, String limitName) {
      for (CostKind kind : COST_KINDS) {
        amounts[kind.ordinal()] = Counter.builder("ratelimiter.cost")
            .description("Amounts reserved, settled beyond estimates, refunded and charged post-paid")
            .tag("resource", resourceName)
            .tag("limit", limitName)
            .tag("kind", tagValue(kind))
            .register(registry);
        for (int failed = 0; failed < 2; failed++) {
          lost[kind.ordinal() * 2 + failed] = Counter.builder("ratelimiter.cost.lost")
              .description("Amounts of settles, cancels and charges not applied")
              .tag("resource", resourceName)
              .tag("limit", limitName)
              .tag("kind", tagValue(kind))
              .tag("reason", failed == 1 ? "store_failed" : "max_debt")
              .register(registry);
        }
      }
      debt = Counter.builder("ratelimiter.debt")
          .description("The part of settles and post-paid charges that went past the limit")
          .tag("resource", resourceName)
          .tag("limit", limitName)
          .register(registry);
    }
  }

  /** The request counters of one store operation, indexed by outcome, and its timer. */
  private final class StoreMeters {
    final Counter[] requests = new Counter[STORE_OUTCOMES.length];
    final Timer latency;

    StoreMeters(String operation) {
      for (StoreOutcome outcome : STORE_OUTCOMES) {
        requests[outcome.ordinal()] = Counter.builder("ratelimiter.store.requests")
            .description("Requests sent to the store, one per attempt, retries included")
            .tag("operation", operation)
            .tag("outcome", tagValue(outcome))
            .register(registry);
      }
      latency = Timer.builder("ratelimiter.store.latency")
          .description("Time per store request; a call's last attempt includes the SDK's retries and backoff")
          .tag("operation", operation)
          .register(registry);
    }
  }

  /** Configures {@link RateLimiterMetrics}. Not thread-safe. */
  public static final class Builder {
    private Set<String> taggedAccounts = Set.of();

    private Builder() {}

    /**
     * Tags {@code ratelimiter.decisions} and {@code ratelimiter.permits} with {@code account}: the account's id for
     * these accounts, {@value #OTHER_ACCOUNT} for every other. Keep the set small (tens, not thousands): each named
     * account multiplies the series of every resource.
     *
     * @throws IllegalArgumentException if the set is larger than 1,000 or contains {@value #OTHER_ACCOUNT}
     */
    public Builder accountTag(Set<String> accounts) {
      Objects.requireNonNull(accounts, "accounts");
      if (accounts.size() > 1_000) {
        throw new IllegalArgumentException("accountTag: at most 1000 accounts, was " + accounts.size()
            + " (each account multiplies every resource's series)");
      }
      if (accounts.contains(OTHER_ACCOUNT)) {
        throw new IllegalArgumentException("accountTag: '" + OTHER_ACCOUNT + "' is the tag of unnamed accounts");
      }
      this.taggedAccounts = Set.copyOf(accounts);
      return this;
    }

    /** The listener that records into {@code registry}. */
    public RateLimiterMetrics bindTo(MeterRegistry registry) {
      return new RateLimiterMetrics(Objects.requireNonNull(registry, "registry"), taggedAccounts);
    }
  }
}
