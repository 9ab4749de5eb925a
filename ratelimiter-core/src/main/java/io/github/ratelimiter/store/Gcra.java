package io.github.ratelimiter.store;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import java.time.Duration;

/**
 * The fungible algorithm: a token bucket stored as one number.
 *
 * <h2>How is the bucket stored, and why?</h2>
 *
 * <p>A token bucket of capacity {@code L} refilled at {@code L / W} per unit of time is usually stored as two numbers
 * (tokens left, last refill time) and updated by read, compute, write. Shared by many processes through DynamoDB that
 * needs a read per decision and a compare-and-swap that fails and retries under contention. The generic cell rate
 * algorithm (GCRA) stores the same bucket as one number instead: the theoretical arrival time {@code tat}, the
 * instant at which the bucket would be full again if nothing else were taken. Every permit pushes {@code tat} one
 * emission interval {@code T = W / L} into the future; the bucket is empty when {@code tat} is a whole bucket
 * ({@code tolerance = L * T}) ahead of now. So, with {@code start = max(tat, now)}:
 *
 * <pre>
 *   admit n permits  iff  start + n*T &lt;= now + L*T,    and then  tat := start + n*T
 *   remaining            = floor((now + L*T - tat) / T)
 *   retryAfter (denied)  = start + n*T - L*T - now
 * </pre>
 *
 * <p>Because the decision is a comparison and the change an addition, DynamoDB can carry the whole step in one
 * conditional UpdateItem: "busy" ({@code tat >= now}) is {@code SET tat = tat + :cost} under
 * {@code tat BETWEEN :now AND :maxTat} with {@code maxTat = now + L*T - n*T}; "idle" ({@code tat < now} or no row) is
 * {@code SET tat = :nowPlusCost} under {@code attribute_not_exists(tat) OR tat < :now}. Exactly one of the two
 * conditions can hold, and a denial fails both. No read, no retry loop.
 *
 * <h2>Worked example</h2>
 *
 * <p>{@code Limit.of(10, 1 s)}: {@code T = 100 ms}, tolerance 1 s. At {@code now = 0} on an empty row, ten single
 * requests move {@code tat} to 100 ms, 200 ms, ... 1000 ms, each admitted since {@code tat <= now + 1 s}. The
 * eleventh would need {@code 1100 <= 1000}: denied, retry after 100 ms. At {@code now = 250 ms}, {@code tat = 1000}
 * and {@code start + T = 1100 <= 1250}: admitted, {@code tat = 1100}, remaining {@code floor(150 / 100) = 1}.
 *
 * <h2>Exactness</h2>
 *
 * <p>Times are epoch nanoseconds, so concurrent callers never share a timestamp by coarseness. {@code W / L} is rarely
 * a whole number of nanoseconds, so {@code T} is rounded up and the tolerance is {@code L * T} (not {@code W}): the
 * rate granted is then at most {@code L / W} and a full bucket still holds exactly {@code L} permits. Over any
 * interval of length {@code t} starting from a full bucket at most {@code L + floor(t / T) <= L + floor(t * L / W)}
 * permits are granted, and n single permits cost exactly what one request for n costs.
 *
 * <h2>Refunds, settles and debt</h2>
 *
 * <p>A reservation ({@code FungibleLimiter.tryReserve}) is a step of its estimate {@code e}; it owns the slots
 * {@code [A - e, A)} of the {@code tat = A} it left. Three more operations move a bucket, each one conditional write:
 *
 * <pre>
 *   refund (cancel, settle below e, a denied decision across keys), at now, of at most b = e - actual:
 *     r = max(0, min(b, A - now)),   tat := tat - r   only if tat &gt;= A (each lane)
 *   debt (settle above e: x = actual - e; post-paid charge: x = cost), at now, with M = floor(maxDebt * L) * T:
 *     admit x  iff  max(tat, now) + x*T - now &lt;= L*T + M,    and then  tat := max(tat, now) + x*T
 * </pre>
 *
 * <p><b>A refund never creates credit.</b> The part of the slots already passed ({@code [A - e, now)}) is forfeited,
 * not given back. Claim: after the refund the bucket is exactly as it would be had the reservation cost
 * {@code e - r} from the start (and {@code e - r >= actual}). If {@code r = b} then {@code A - b >= now}: in the
 * history where the reservation cost {@code e - b}, its {@code tat} was {@code A - b >= now >= now'} for every step
 * applied after it (at {@code now' <= now}), so each of them started at {@code tat} in both histories (busy) and
 * moved it by the same cost: the two states differ by exactly {@code b}. If {@code r = A - now < b}, the same holds
 * of the history where it cost {@code e - r}, whose {@code tat} was exactly {@code now}. If {@code r = 0} nothing
 * changes. Without the {@code min} with {@code A - now}, the interleaving "a reserve finds the bucket idle at
 * {@code t0} ({@code tat := t0 + e}), another request is charged at {@code t1}, the reserve is cancelled at
 * {@code t1}" would leave {@code tat = t1 + 1*T - (t1 - t0)}: credit of {@code t1 - t0} that the bucket never had
 * (the other request alone leaves {@code t1 + T}); "never below now" alone does not exclude it. The condition
 * {@code tat >= A} makes the refund act on the state it was computed for: a bucket moved back since (another
 * refund, a reset) is left alone, which only under-admits. A refund that fails is lost the same way.
 *
 * <p><b>Debt</b> is a {@code tat} beyond {@code now + L*T}: every request is denied until time has brought
 * {@code tat - now} back within {@code L*T - cost}, so a debt is paid off at exactly the refill rate, one
 * interval {@code T} per permit. A debt step is the decision step with the tolerance widened by {@code M}, so both
 * stores apply it atomically as they apply a decision; the bucket then owes at most {@code M}. The part of a cost that
 * does not fit (the bucket already owes nearly {@code M}) is charged as far as it fits, by the state the refused step
 * returned, and the rest is not charged but reported.
 *
 * <p><b>The bound.</b> Count a settled request's cost up to its estimate when it was admitted, and the part above
 * its estimate when it was settled (a request settled in the interval counts entirely in it). Over any interval of
 * length {@code t}, the cost so counted is at most
 *
 * <pre>
 *   L + floor(t * L / W) + floor(maxDebt * L)      (each limit of a quota, at once)
 * </pre>
 *
 * <p>Proof: by the claim above, refunds leave the state of a history in which each refunded reservation cost
 * {@code e - r >= actual}, so it suffices to bound histories of steps alone. Every step at {@code now} charges the
 * slots {@code [max(tat, now), tat')}, disjoint from all others' (each starts at or after the {@code tat} before it),
 * starting at or after its {@code now} and ending by {@code now + L*T} (a decision or reservation) or
 * {@code now + L*T + M} (a debt step). The steps made in {@code [s, s + t]} therefore charge disjoint slots inside
 * {@code [s, s + t + L*T + M]}: at most {@code t + L*T + M} nanoseconds, {@code floor(t / T) + L + M/T} units, and
 * {@code T >= W / L}. The largest single overrun is thus {@code M}, and so is the most the bucket can owe.
 *
 * <p>Clock readings: a refund compares with the refunding process's {@code now}, as every step does. A step applied
 * between that reading and the refund's write whose own {@code now} is later than {@code A - r} (a step that found
 * the bucket idle after it) lets the refund give back up to that difference too much: at most the time from the
 * refund's clock reading to its write, plus clock skew, the same order as the skew effect below.
 *
 * <h2>Monotonic state, local denials</h2>
 *
 * <p>{@code tat} never decreases: busy adds, idle replaces a value below now by one above it. A process that saw
 * {@code tat} can therefore deny locally, exactly and for free, while {@code seenTat + n*T > now + L*T}: the stored
 * value can only be larger. A tenant hammering an exhausted bucket costs no store request.
 *
 * <h2>Clock skew</h2>
 *
 * <p>Each process uses its own clock as {@code now}. A process whose clock runs {@code d} ahead sees the bucket
 * {@code d} emptier and can be admitted up to {@code d * L / W} permits early, once; one running behind is denied
 * early. Every admission still advances the one shared {@code tat} by its full cost, so skew shifts when permits are
 * granted, not how many: the long-run rate stays at most {@code L / W}. Keep hosts on NTP (sub-millisecond skew on
 * AWS with the Time Sync Service).
 *
 * <p>Everything here is a pure function of (state, request, now), in epoch nanoseconds. It lives in the store SPI
 * because it is the rule every {@link BucketStore} applies ({@link BucketStore.BucketRequest#applyTo(long)}); the
 * limiters use the same functions to decide locally. Not instantiable.
 */
public final class Gcra {

  private Gcra() {}

  /** The emission interval {@code T} of a limit with at least one permit: {@code ceil(W / L)} nanoseconds. */
  public static long intervalNanos(Limit limit) {
    long window = limit.window().toNanos();
    return (window + limit.limit() - 1) / limit.limit();
  }

  /** The tolerance {@code L * T}: how far {@code tat} may run ahead of now. */
  public static long toleranceNanos(Limit limit) {
    return toleranceNanos(intervalNanos(limit), limit.limit());
  }

  /** The tolerance {@code L * T}, from an emission interval already worked out. */
  public static long toleranceNanos(long intervalNanos, long limit) {
    return Math.multiplyExact(intervalNanos, limit);
  }

  /** The cost of {@code permits} permits: {@code permits * T}. */
  public static long costNanos(Limit limit, long permits) {
    return costNanos(intervalNanos(limit), permits);
  }

  /** The cost {@code permits * T}, from an emission interval already worked out. */
  public static long costNanos(long intervalNanos, long permits) {
    return Math.multiplyExact(intervalNanos, permits);
  }

  /**
   * One step of the algorithm.
   *
   * @param tat the stored theoretical arrival time, or {@link BucketStore#UNKNOWN} for
   *     no row
   * @return whether admitted, and {@code tat} after the step
   */
  public static BucketResult step(long tat, long now, long cost, long tolerance) {
    long next = admittedTat(tat, now, cost, tolerance);
    return next == DENIED ? new BucketResult(false, tat) : new BucketResult(true, next);
  }

  /** What {@link #admittedTat} answers for a denied step: no {@code tat} an admitted step leaves is this small. */
  public static final long DENIED = Long.MIN_VALUE;

  /**
   * {@link #step} without its result object, for a store that retries a compare-and-set in a loop (an object made in
   * each turn of a loop is one the JIT cannot keep off the heap): the {@code tat} after an admitted step, or
   * {@link #DENIED}.
   */
  public static long admittedTat(long tat, long now, long cost, long tolerance) {
    long next = Math.max(tat, now) + cost;
    return next - now <= tolerance ? next : DENIED;
  }

  /** Whether a request of {@code cost} is certainly denied, given a {@code tat} the bucket has at least. */
  public static boolean certainlyDenied(long seenTat, long now, long cost, long tolerance) {
    return seenTat != BucketStore.UNKNOWN && Math.max(seenTat, now) + cost - now > tolerance;
  }

  /** How many single permits the bucket holds at {@code now}, given its {@code tat}. */
  public static long remaining(long tat, long now, long interval, long tolerance) {
    long headroom = now + tolerance - Math.max(tat, now);
    return headroom <= 0 ? 0 : headroom / interval;
  }

  /** How long until a request of {@code cost} would be admitted, given the bucket's {@code tat}. */
  public static Duration retryAfter(long tat, long now, long cost, long tolerance) {
    long wait = Math.max(tat, now) + cost - tolerance - now;
    return wait <= 0 ? Duration.ZERO : Duration.ofNanos(wait);
  }

}
