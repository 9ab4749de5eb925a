package io.github.ratelimiter.internal;

import io.github.ratelimiter.Quota;
import io.github.ratelimiter.store.BucketStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What this process knows of one bucket (one account of one fungible limiter), kept in one place: the largest
 * {@code tat} it has seen, the store call in flight near exhaustion, and, for a leased key, its lease state. One
 * lookup per decision finds it all. Thread-safe.
 */
final class KnownBucket {

  /** A {@code tat} the store held: a lower bound of the stored one, which never decreases. */
  private final AtomicLong seenTat = new AtomicLong(BucketStore.UNKNOWN);
  /** The direct store call on this bucket that the other threads wait for near exhaustion, or null. */
  private final AtomicReference<CompletableFuture<Void>> storeCall = new AtomicReference<>();
  /**
   * The batch forming while this process's store call on the bucket is in flight ({@link Batch}), or null; guarded by
   * this object's monitor, with {@link #calling}.
   */
  private Batch forming;
  /** Whether this process has a coalesced store call on the bucket in flight; guarded by the monitor. */
  private boolean calling;
  /** The lease state, made on the first leased decision; null until then. */
  private volatile LeasedBuckets.Lease lease;
  /** The seen {@code tat} of a quota's lanes beyond the first, for the quota they were seen under; null before. */
  private volatile Lanes more;

  /** Seen values of lanes 1.. of {@code quota}, each raised like {@link #seenTat}. */
  private record Lanes(Quota quota, AtomicLongArray tats) {}

  /** The largest {@code tat} seen (but for races, see {@link #raise}), or {@link BucketStore#UNKNOWN}. */
  long seenTat() {
    return seenTat.get();
  }

  /**
   * Raises the seen {@code tat} to {@code tat} unless it is already as large: a check and an ordered write, not a
   * compare-and-set loop. Two threads racing here can leave the smaller of their two values; that is still a
   * {@code tat} the store held, and the stored one never decreases, so the seen value stays a lower bound of it and
   * every local denial stays exact. A race only makes this process deny locally a little less until the next answer.
   * The one way the value is raised, by the direct path and the leased path alike.
   */
  void raise(long tat) {
    if (seenTat.get() < tat) {
      seenTat.setRelease(tat);
    }
  }

  /**
   * The seen {@code tat} of every lane of {@code quota}: the first is {@link #seenTat()}, the others as last seen
   * under this same quota ({@link BucketStore#UNKNOWN} when it was another, or none).
   */
  long[] seenLanes(Quota quota) {
    long[] seen = new long[quota.size()];
    seen[0] = seenTat.get();
    Lanes lanes = more;
    for (int i = 1; i < seen.length; i++) {
      seen[i] = lanes != null && lanes.quota().equals(quota) ? lanes.tats().get(i - 1) : BucketStore.UNKNOWN;
    }
    return seen;
  }

  /** Raises each lane's seen {@code tat} of {@code quota} to {@code tats} (as {@link #raise} does the first). */
  void raiseLanes(Quota quota, long[] tats) {
    raise(tats[0]);
    Lanes lanes = more;
    if (lanes == null || !lanes.quota().equals(quota)) {
      lanes = new Lanes(quota, new AtomicLongArray(quota.size() - 1));
      for (int i = 0; i < quota.size() - 1; i++) {
        lanes.tats().set(i, BucketStore.UNKNOWN);
      }
      more = lanes; // a race may drop another thread's values: seen values are hints, UNKNOWN is always safe
    }
    for (int i = 1; i < tats.length; i++) {
      if (lanes.tats().get(i - 1) < tats[i]) {
        lanes.tats().setRelease(i - 1, tats[i]);
      }
    }
  }

  /**
   * Moves the seen {@code tat} of each lane of {@code quota} back by {@code amounts} after a refund this process
   * made, so that it stays a lower bound of the stored one. A race with {@link #raise} may lose this, leaving the
   * seen value above the stored one until the next answer: local denials of up to the refunded amount, never an
   * admission too many.
   */
  void lowerLanes(Quota quota, long[] amounts) {
    seenTat.getAndUpdate(tat -> lowered(tat, amounts[0]));
    Lanes lanes = more;
    if (lanes != null && lanes.quota().equals(quota)) {
      for (int i = 1; i < amounts.length; i++) {
        long amount = amounts[i];
        lanes.tats().getAndUpdate(i - 1, tat -> lowered(tat, amount));
      }
    }
  }

  /** A seen {@code tat} moved back by {@code amount}; {@link BucketStore#UNKNOWN} stays unknown. */
  private static long lowered(long tat, long amount) {
    return tat == BucketStore.UNKNOWN ? tat : tat - amount;
  }

  /**
   * Registers {@code call} as the store call on this bucket that others wait for; returns the one already
   * registered (and registers nothing), or null when {@code call} now is.
   */
  CompletableFuture<Void> startStoreCall(CompletableFuture<Void> call) {
    return storeCall.compareAndExchange(null, call);
  }

  /** Ends a call registered with {@link #startStoreCall}: its waiters share {@code failure}, or decide afresh. */
  void endStoreCall(CompletableFuture<Void> call, Throwable failure) {
    storeCall.compareAndSet(call, null);
    if (failure != null) {
      call.completeExceptionally(failure);
    } else {
      call.complete(null);
    }
  }

  /**
   * Enters a coalesced decision of {@code cost} (a remote store's, {@link BucketStore#remote()}): null when no call
   * of this process is in flight on the bucket and none waits, so that this decision makes its own store call (then
   * {@link #endCall} must follow); else its seat in the batch forming meanwhile, made (and led) by this decision when
   * none is open. One call at a time: each carries every decision that arrived while the one before it was in flight,
   * and none races another of this process for the item (a race the later clock reading can win, costing the other
   * a second write). A batch is never overtaken: the call that ends passes its turn to the batch waiting
   * ({@link #endCall}). A few steps under this object's monitor, never a store call.
   */
  Batch.Seat enter(long cost) {
    synchronized (this) {
      if (!calling) {
        calling = true;
        return null;
      }
      if (forming != null) {
        int index = forming.join(cost);
        if (index >= 0) {
          return new Batch.Seat(forming, index, false);
        }
      }
      forming = new Batch();
      return new Batch.Seat(forming, forming.join(cost), true);
    }
  }

  /**
   * Ends this process's store call on the bucket (a decision's own, from {@link #enter}, or a batch's): the turn
   * passes to the batch forming, whose leader then seals and sends it ({@link Batch#turn}; decisions that come before
   * it seals still join it); with none, the bucket is free.
   */
  void endCall() {
    Batch next;
    synchronized (this) {
      next = forming;
      if (next == null) {
        calling = false;
        return;
      }
      next.hasTurn = true;
    }
    next.turn.complete(null);
  }

  /** Seals the batch whose turn came, so that decisions from now on form the next one; returns its summed cost. */
  long sealBatch(Batch batch) {
    synchronized (this) {
      if (forming == batch) {
        forming = null;
      }
      return batch.seal();
    }
  }

  /**
   * Gives up a batch whose leader stopped waiting for its turn (its deadline passed): sealed, no longer forming, and
   * its turn passed on if it came meanwhile. The caller fails its members.
   */
  void abandonBatch(Batch batch) {
    boolean hadTurn;
    synchronized (this) {
      if (forming == batch) {
        forming = null;
      }
      batch.seal();
      hadTurn = batch.hasTurn;
    }
    if (hadTurn) {
      endCall();
    }
  }

  /** The lease state, made on first use. */
  LeasedBuckets.Lease lease() {
    LeasedBuckets.Lease current = lease;
    if (current == null) {
      synchronized (this) { // once per key, no store call inside
        current = lease;
        if (current == null) {
          current = new LeasedBuckets.Lease();
          lease = current;
        }
      }
    }
    return current;
  }
}
