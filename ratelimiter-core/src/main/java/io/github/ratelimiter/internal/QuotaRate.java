package io.github.ratelimiter.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.Lane;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Quota} with each limit's GCRA arithmetic worked out once: one {@link Rate} per lane, in the quota's
 * order. What a decision on a quota of several limits carries; a quota of one is decided by its one {@link Rate}.
 * Immutable.
 */
final class QuotaRate {

  private final Quota quota;
  private final String[] names;
  private final Rate[] rates;

  private QuotaRate(Quota quota) {
    this.quota = quota;
    this.names = quota.names().toArray(String[]::new);
    this.rates = new Rate[names.length];
    for (int i = 0; i < names.length; i++) {
      rates[i] = Rate.of(names[i], quota.limit(names[i]));
    }
  }

  static QuotaRate of(Quota quota) {
    return new QuotaRate(quota);
  }

  /** This quota with its first limit replaced by {@code first} (an account's limit row), the others as they are. */
  QuotaRate withFirst(Limit first) {
    if (first.equals(quota.first())) {
      return this;
    }
    Quota.Builder builder = Quota.builder().limit(names[0], first);
    for (int i = 1; i < names.length; i++) {
      builder.limit(names[i], rates[i].limit());
    }
    return new QuotaRate(builder.build());
  }

  Quota quota() {
    return quota;
  }

  int size() {
    return rates.length;
  }

  Rate rate(int lane) {
    return rates[lane];
  }

  String name(int lane) {
    return names[lane];
  }

  /** The first lane whose limit is 0, or -1. */
  int blockingLane() {
    for (int i = 0; i < rates.length; i++) {
      if (rates[i].blocks()) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The amount {@code cost} takes from each lane ({@code cost} null: {@code permits} from every lane).
   *
   * @throws IllegalArgumentException if the cost names a limit the quota does not have, or takes more from a limit
   *     than it could ever grant
   */
  long[] amounts(Cost cost, long permits, String resourceName, String accountId) {
    long[] amounts = new long[rates.length];
    if (cost != null) {
      for (String name : cost.amounts().keySet()) {
        if (!quota.limits().containsKey(name)) {
          throw new IllegalArgumentException("cost " + cost + " names limit '" + name + "', which the quota " + quota
              + " of resource '" + resourceName + "' does not have; it has " + quota.limits().keySet());
        }
      }
    }
    for (int i = 0; i < rates.length; i++) {
      long amount = cost == null ? permits : cost.amount(names[i]);
      if (amount > rates[i].limit().limit()) {
        throw new IllegalArgumentException("cost " + (cost == null ? permits + " permits" : cost) + " takes " + amount
            + " from limit '" + names[i] + "' (" + rates[i].limit() + ") of resource '" + resourceName
            + "' for account '" + accountId + "': more than it could ever grant");
      }
      amounts[i] = amount;
    }
    return amounts;
  }

  /**
   * The amount {@code cost} takes from each lane, with no bound (an actual cost, a post-paid charge).
   *
   * @throws IllegalArgumentException if the cost names a limit the quota does not have
   */
  long[] actualAmounts(Cost cost, String resourceName) {
    for (String name : cost.amounts().keySet()) {
      if (!quota.limits().containsKey(name)) {
        throw new IllegalArgumentException("cost " + cost + " names limit '" + name + "', which the quota " + quota
            + " of resource '" + resourceName + "' does not have; it has " + quota.limits().keySet());
      }
    }
    long[] amounts = new long[rates.length];
    for (int i = 0; i < rates.length; i++) {
      amounts[i] = cost.amount(names[i]);
    }
    return amounts;
  }

  /** Each lane's cost in nanoseconds, {@code amount * T}. */
  long[] costs(long[] amounts) {
    long[] costs = new long[rates.length];
    for (int i = 0; i < rates.length; i++) {
      costs[i] = rates[i].cost(amounts[i]);
    }
    return costs;
  }

  /** The lanes of a store step: each with its cost, tolerance and the {@code tat} seen. */
  List<Lane> lanes(long[] costs, long[] seen) {
    List<Lane> lanes = new ArrayList<>(rates.length);
    for (int i = 0; i < rates.length; i++) {
      lanes.add(new Lane(names[i], costs[i], rates[i].tolerance(), seen[i]));
    }
    return lanes;
  }

  /** The lane, among those with a cost, that a seen state certainly denies with the longest wait; -1 if none. */
  int certainlyDenying(long[] seen, long now, long[] costs) {
    int denying = -1;
    long longest = -1;
    for (int i = 0; i < rates.length; i++) {
      if (costs[i] > 0 && rates[i].certainlyDenied(seen[i], now, costs[i])) {
        long wait = rates[i].retryAfter(seen[i], now, costs[i]).toNanos();
        if (wait > longest) {
          longest = wait;
          denying = i;
        }
      }
    }
    return denying;
  }

  /**
   * The lane that leaves the fewest more requests of these {@code costs}: among the lanes the costs charge, the one
   * whose permits left, divided by the amount asked of it, is smallest ({@code permitsLeft[i]} per lane). So a
   * decision names the limit nearest to stopping requests like this one, never one they do not charge.
   */
  int nearest(long[] permitsLeft, long[] costs) {
    int nearest = -1;
    long fewest = Long.MAX_VALUE;
    for (int i = 0; i < rates.length; i++) {
      if (costs[i] > 0) {
        long more = permitsLeft[i] / (costs[i] / rates[i].interval());
        if (more < fewest) {
          fewest = more;
          nearest = i;
        }
      }
    }
    return nearest;
  }

  /**
   * An admission that left the lanes at {@code tats}: its limit is the one nearest to stopping requests of these
   * {@code costs} ({@link #nearest}); {@code remaining} is the smallest over the limits of their permits left.
   */
  Decision allowed(long[] tats, long now, long[] costs) {
    long[] left = new long[rates.length];
    for (int i = 0; i < rates.length; i++) {
      left[i] = rates[i].remaining(tats[i], now);
    }
    return allowed(left, costs);
  }

  /** An admission with {@code left} permits left on each lane (see {@link #allowed(long[], long, long[])}). */
  Decision allowed(long[] left, long[] costs) {
    int lane = nearest(left, costs);
    long smallest = Long.MAX_VALUE;
    for (long permits : left) {
      smallest = Math.min(smallest, permits);
    }
    return new Decision(true, smallest, Duration.ZERO, rates[lane].limit(), names[lane], false);
  }

  /**
   * A denial by {@code lane}, with the lanes at {@code tats}: retry when every lane admits its cost (the longest
   * wait); {@code remaining} is the smallest over the limits of their permits left.
   */
  Decision denied(long[] tats, long now, long[] costs, int lane) {
    Duration wait = Duration.ZERO;
    long remaining = Long.MAX_VALUE;
    for (int i = 0; i < rates.length; i++) {
      remaining = Math.min(remaining, rates[i].remaining(tats[i], now));
      if (costs[i] > 0) {
        Duration laneWait = rates[i].retryAfter(tats[i], now, costs[i]);
        if (laneWait.compareTo(wait) > 0) {
          wait = laneWait;
        }
      }
    }
    if (wait.isZero()) {
      wait = Duration.ofNanos(1); // denied by a race the state no longer shows: ask again at once
    }
    return new Decision(false, remaining, wait, rates[lane].limit(), names[lane], false);
  }

  /** Nothing seen of any lane. */
  long[] unknown() {
    long[] seen = new long[rates.length];
    java.util.Arrays.fill(seen, BucketStore.UNKNOWN);
    return seen;
  }
}
