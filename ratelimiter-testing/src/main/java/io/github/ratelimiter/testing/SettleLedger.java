package io.github.ratelimiter.testing;

import io.github.ratelimiter.RateLimiterListener;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What settled reservations cost, and when, for the exactness tests of {@code Charge}: each reserve's cost up to its
 * estimate at the instant it was decided, each settle's charged extra at the instant it was settled (the bound's
 * counting, see {@code Gcra}'s "Refunds, settles and debt"), and a check of the bound over every interval.
 *
 * <p>{@link #clock(Clock)} wraps the limiters' clock so that each thread's last reading is known: a decision reads
 * the clock once (again after a wait), so right after a call it is the {@code now} the call was decided at.
 * {@link #listener()} records on the settling thread what a settle did not charge. Thread-safe: each thread records
 * into its own list.
 */
public final class SettleLedger {

  /** One amount counted at one instant (epoch nanoseconds). */
  public record Entry(long atNanos, long amount) {}

  private final ThreadLocal<long[]> lastReading = ThreadLocal.withInitial(() -> new long[1]);
  private final ThreadLocal<long[]> lostOnThisThread = ThreadLocal.withInitial(() -> new long[1]);
  private final List<List<Entry>> perThread = new ArrayList<>();
  private final ThreadLocal<List<Entry>> mine = ThreadLocal.withInitial(this::register);

  /** An empty ledger. */
  public SettleLedger() {}

  private synchronized List<Entry> register() {
    List<Entry> entries = new ArrayList<>();
    perThread.add(entries);
    return entries;
  }

  /** {@code clock}, with each thread's last reading kept for {@link #lastNow()}. */
  public Clock clock(Clock clock) {
    return new Clock() {
      @Override
      public Instant instant() {
        Instant now = clock.instant();
        lastReading.get()[0] = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return now;
      }

      /** Not recorded: the limiters read milliseconds only to pace their log warnings. */
      @Override
      public long millis() {
        return clock.millis();
      }

      @Override
      public ZoneId getZone() {
        return clock.getZone();
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return clock(clock.withZone(zone));
      }
    };
  }

  /** The listener that records what a settle did not charge, on the settling thread. */
  public RateLimiterListener listener() {
    return new RateLimiterListener() {
      @Override
      public void onCostLost(String resourceName, String accountId, String limitName, CostKind kind, long amount,
          boolean storeFailed) {
        lostOnThisThread.get()[0] += amount;
      }
    };
  }

  /** This thread's last clock reading, epoch nanoseconds. */
  public long lastNow() {
    return lastReading.get()[0];
  }

  /** What settles on this thread did not charge since the last call; resets it. */
  public long takeLost() {
    long[] lost = lostOnThisThread.get();
    long taken = lost[0];
    lost[0] = 0;
    return taken;
  }

  /** Counts {@code amount} at {@code atNanos}, on this thread's list. */
  public void record(long atNanos, long amount) {
    if (amount != 0) {
      mine.get().add(new Entry(atNanos, amount));
    }
  }

  /** Every entry, by time. Call once the threads have stopped. */
  public synchronized List<Entry> entries() {
    List<Entry> all = new ArrayList<>();
    perThread.forEach(all::addAll);
    all.sort(Comparator.comparingLong(Entry::atNanos));
    return all;
  }

  /**
   * The largest excess over every interval {@code [s, s + t]} of the counted amount over
   * {@code (t + tolerance + maxDebt) / interval} (the proof's bound in nanoseconds, which implies
   * {@code limit + floor(t * limit / window) + maxDebt} in units): at most 0 when the bound holds everywhere.
   *
   * @param intervalNanos the limit's emission interval {@code T}
   * @param toleranceNanos {@code L * T}
   * @param maxDebtNanos {@code M}
   * @return the worst {@code amount * T - (t + tolerance + M)} over all intervals, in nanoseconds
   */
  public static long worstExcessNanos(List<Entry> entries, long intervalNanos, long toleranceNanos,
      long maxDebtNanos) {
    int k = entries.size();
    if (k == 0) {
      return Long.MIN_VALUE;
    }
    // P_j * T - t_j, with P_j the amount up to and including entry j; an interval from entry i to entry j holds
    // (P_j - P_{i-1}) * T - (t_j - t_i) = (P_j*T - t_j) - (P_{i-1}*T - t_i).
    long[] value = new long[k];
    long sum = 0;
    for (int j = 0; j < k; j++) {
      sum += entries.get(j).amount();
      value[j] = sum * intervalNanos - entries.get(j).atNanos();
    }
    long worst = Long.MIN_VALUE;
    long suffixMax = Long.MIN_VALUE;
    long before = 0; // P_{i-1}
    long[] prefix = new long[k];
    for (int j = 0; j < k; j++) {
      prefix[j] = before;
      before += entries.get(j).amount();
    }
    for (int i = k - 1; i >= 0; i--) {
      suffixMax = Math.max(suffixMax, value[i]);
      boolean firstOfItsInstant = i == 0 || entries.get(i - 1).atNanos() != entries.get(i).atNanos();
      if (firstOfItsInstant) {
        long excess = suffixMax - (prefix[i] * intervalNanos - entries.get(i).atNanos())
            - toleranceNanos - maxDebtNanos;
        worst = Math.max(worst, excess);
      }
    }
    return worst;
  }

  /**
   * The most counted in any interval of length {@code lengthNanos} (closed), with the bound
   * {@code limit + floor(length * limit / window) + maxDebt} it is held to, as {@code {most, bound}}.
   */
  public static long[] mostInAnyInterval(List<Entry> entries, long lengthNanos, long limit, long windowNanos,
      long maxDebt) {
    long most = 0;
    long sum = 0;
    int from = 0;
    for (int to = 0; to < entries.size(); to++) {
      sum += entries.get(to).amount();
      while (entries.get(to).atNanos() - entries.get(from).atNanos() > lengthNanos) {
        sum -= entries.get(from).amount();
        from++;
      }
      most = Math.max(most, sum);
    }
    long bound = limit + Math.multiplyExact(lengthNanos, limit) / windowNanos + maxDebt;
    return new long[] {most, bound};
  }
}
