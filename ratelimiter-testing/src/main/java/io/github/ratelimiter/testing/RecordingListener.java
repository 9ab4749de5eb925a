package io.github.ratelimiter.testing;

import io.github.ratelimiter.RateLimiterListener;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link RateLimiterListener} that counts what it hears, for tests: decisions per (resource, kind, outcome, store
 * asked), store requests per (operation, outcome), limit refreshes per (resource, succeeded), the last live slot
 * count per (resource, account), and amounts charged, refunded and lost per (resource, limit, kind). Register it with {@code RateLimiters.builder().listener(recording)}. Thread-safe.
 */
public final class RecordingListener implements RateLimiterListener {

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final Map<String, Integer> liveSlots = new ConcurrentHashMap<>();

  /** A listener that has heard nothing yet. */
  public RecordingListener() {}

  @Override
  public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
      long permits, boolean storeAsked) {
    increment("decision " + resourceName + " " + kind + " " + outcome + (storeAsked ? " store" : " local"));
  }

  @Override
  public void onStoreRequest(String operation, StoreOutcome outcome, long latencyNanos) {
    if (latencyNanos < 0) {
      throw new AssertionError("negative latency " + latencyNanos + " for " + operation + " " + outcome);
    }
    increment("store " + operation + " " + outcome);
  }

  @Override
  public void onLimitRefresh(String resourceName, boolean succeeded) {
    increment("refresh " + resourceName + (succeeded ? " ok" : " failed"));
  }

  @Override
  public void onLiveSlots(String resourceName, String accountId, int live) {
    liveSlots.put(resourceName + " " + accountId, live);
  }

  @Override
  public void onCost(String resourceName, String limitName, CostKind kind, long amount, long debt) {
    add("cost " + resourceName + " " + limitName + " " + kind, amount);
    add("debt " + resourceName + " " + limitName, debt);
  }

  @Override
  public void onCostLost(String resourceName, String accountId, String limitName, CostKind kind, long amount,
      boolean storeFailed) {
    add("lost " + resourceName + " " + limitName + " " + kind + (storeFailed ? " store" : " debt"), amount);
  }

  private void increment(String key) {
    add(key, 1);
  }

  private void add(String key, long amount) {
    if (amount != 0) {
      counts.computeIfAbsent(key, k -> new LongAdder()).add(amount);
    }
  }

  /** The amount of a limit moved by reserves, settles, refunds or post-paid charges ({@link #onCost}). */
  public long cost(String resourceName, String limitName, CostKind kind) {
    return count("cost " + resourceName + " " + limitName + " " + kind);
  }

  /** The amount charged past a limit ({@link #onCost}'s debt). */
  public long debt(String resourceName, String limitName) {
    return count("debt " + resourceName + " " + limitName);
  }

  /**
   * The amount of a limit lost ({@link #onCostLost}): with a failed store write ({@code storeFailed}), or beyond the
   * maximum debt or a refund's guard (not).
   */
  public long lost(String resourceName, String limitName, CostKind kind, boolean storeFailed) {
    return count("lost " + resourceName + " " + limitName + " " + kind + (storeFailed ? " store" : " debt"));
  }

  private long count(String key) {
    LongAdder adder = counts.get(key);
    return adder == null ? 0 : adder.sum();
  }

  /** Decisions heard on the resource with the kind and outcome, whether or not they asked the store. */
  public long decisions(String resourceName, LimiterKind kind, DecisionOutcome outcome) {
    return decisions(resourceName, kind, outcome, true) + decisions(resourceName, kind, outcome, false);
  }

  /** Decisions heard on the resource with the kind and outcome that did (or did not) ask the store. */
  public long decisions(String resourceName, LimiterKind kind, DecisionOutcome outcome, boolean storeAsked) {
    return count("decision " + resourceName + " " + kind + " " + outcome + (storeAsked ? " store" : " local"));
  }

  /** Store requests heard for the operation with the outcome. */
  public long storeRequests(String operation, StoreOutcome outcome) {
    return count("store " + operation + " " + outcome);
  }

  /** Limit refreshes heard for the resource that succeeded (or failed). */
  public long limitRefreshes(String resourceName, boolean succeeded) {
    return count("refresh " + resourceName + (succeeded ? " ok" : " failed"));
  }

  /** The last live slot count heard for (resource, account), or -1 when none was. */
  public int liveSlots(String resourceName, String accountId) {
    return liveSlots.getOrDefault(resourceName + " " + accountId, -1);
  }

  /** Every count heard, by a readable key such as {@code "store UpdateItem OK"}, sorted. */
  public Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    counts.forEach((key, adder) -> copy.put(key, adder.sum()));
    return copy;
  }

  /** Forgets everything heard. */
  public void reset() {
    counts.clear();
    liveSlots.clear();
  }
}
