package io.github.ratelimiter.internal;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.store.BucketStore;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Decisions of one process on one bucket that go to the store together: they found this process's store call on the
 * bucket in flight ({@link KnownBucket#enter}), so rather than each send a write of its own that would queue behind
 * it (and likely lose its busy/idle guess to it), they join the batch that forms meanwhile. The first to join leads:
 * when the call before ends, its turn passes to the batch ({@link #turn}), and the leader seals it and sends one GCRA
 * step of the members' summed cost, at one fresh {@code now}. Under contention that turns a write per decision into
 * one per round trip: measured on one dynalite bucket (BENCHMARKS.md), 4 threads send about 0.35 writes per decision
 * and 16 threads about 0.08, where a second call in flight at once (tried: two and three) doubled the writes, idled
 * the threads waiting for it, and lost races between the two.
 *
 * <p><b>Exactness.</b> One step of cost {@code c1 + ... + ck} at {@code now} is admitted exactly when the k steps of
 * {@code c1}, ..., {@code ck} taken one after another at that same {@code now} would all be admitted, and leaves the
 * same {@code tat}: with {@code s = max(tat, now)}, the i-th step is admitted when {@code s + c1 + ... + ci <= now +
 * tolerance}, which for every {@code i <= k} follows from the last. So a batch admits nothing the members' own steps
 * at the batch's {@code now} would not have, and the bound of {@link io.github.ratelimiter.store.Gcra} holds as for
 * single decisions. The step is of the members that fit by the {@code tat} this process has seen, in the order they
 * joined ({@link #fitting}): the seen {@code tat} is a lower bound of the stored one, so the others certainly do not
 * fit (they are denied by it, exactly), and the step never costs more than the tolerance, as a store requires of a
 * step. When that step is denied, the stored {@code tat} it returns says how many fit; one more step of their summed
 * cost admits them (or, if another process's write took the room meanwhile, denies them all: under-admission only,
 * for one round trip), and the others are denied by that {@code tat}.
 *
 * <p>Joining and sealing hold the batch's monitor for a few arithmetic steps; no store call is made under it.
 */
final class Batch {

  private long[] costs = new long[4];
  private int size;
  private boolean sealed;

  /**
   * Completed when this process's store call on the bucket before this batch ends ({@link KnownBucket#endCall}):
   * the leader then seals the batch and sends its step.
   */
  final CompletableFuture<Void> turn = new CompletableFuture<>();
  /** Whether {@link #turn} came; guarded by the {@link KnownBucket}'s monitor. */
  boolean hasTurn;

  /** The step's outcome for every member, once the leader has it; or the store failure they all share. */
  final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

  /**
   * What the batch's steps left: the first {@code admitted} members are admitted and the others denied, by the
   * bucket's {@code tat} at the batch's {@code now}.
   */
  record Outcome(int admitted, long tat, long now) {}

  /** A member's place in a batch, and whether it leads it (it made the batch). */
  record Seat(Batch batch, int index, boolean leader) {}

  /** Adds a member of {@code cost}; returns its index, or -1 when the batch was sealed (then join the next). */
  synchronized int join(long cost) {
    if (sealed) {
      return -1;
    }
    if (size == costs.length) {
      costs = Arrays.copyOf(costs, size * 2);
    }
    costs[size] = cost;
    return size++;
  }

  /** Closes the batch to new members; returns their summed cost. */
  synchronized long seal() {
    sealed = true;
    return costOf(size);
  }

  /** The summed cost of the first {@code k} members. */
  synchronized long costOf(int k) {
    long sum = 0;
    for (int i = 0; i < k; i++) {
      sum = Math.addExact(sum, costs[i]);
    }
    return sum;
  }

  /**
   * How many members, in the order they joined, one step admits at {@code now} from a stored {@code tat}: the
   * longest prefix whose summed cost fits {@code now + tolerance - max(tat, now)}.
   */
  synchronized int fitting(long tat, long now, long tolerance) {
    long start = tat == BucketStore.UNKNOWN ? now : Math.max(tat, now);
    long room = now + tolerance - start;
    long sum = 0;
    int k = 0;
    while (k < size && sum + costs[k] <= room) {
      sum += costs[k];
      k++;
    }
    return k;
  }

  /** The decision of the member at {@code index}, by the outcome. */
  synchronized Decision decision(int index, Rate rate, Outcome outcome) {
    return index < outcome.admitted()
        ? rate.allowed(outcome.tat(), outcome.now())
        : rate.denied(outcome.tat(), outcome.now(), costs[index]);
  }
}
