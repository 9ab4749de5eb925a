package io.github.ratelimiter.internal;

/**
 * Leases for hot keys: chunks of a bucket's timeline, taken with the bucket's own conditional write and granted
 * locally.
 *
 * <h2>The problem</h2>
 *
 * <p>Every fungible decision is one conditional write to one item ({@link Gcra}), and DynamoDB takes about 1,000
 * writes per second on one partition key. A key whose limit is 20,000 per second can therefore never be used to its
 * limit. Processes must decide most requests locally, and the sum of what they admit must still obey the bucket's
 * bound: over any interval of length {@code t}, at most {@code L + floor(t * L / W)} permits.
 *
 * <h2>The idea: a permit is a slot of the timeline</h2>
 *
 * <p>Look at {@code tat} as a position on a time line. A GCRA step at {@code now} that admits {@code n} permits gives
 * them the slots {@code [start, start + n*T)} with {@code start = max(tat, now)}, and moves {@code tat} to their end;
 * it admits only if {@code start + n*T <= now + L*T}. So every permit admitted at time {@code g} owns a slot of
 * length {@code T} inside {@code [g, g + L*T]}, and no two permits own the same slot, because {@code tat} only moves
 * forward and every step takes slots above it. That alone gives the bound:
 *
 * <blockquote><b>Slot lemma.</b> If every admitted permit {@code i}, admitted at {@code g_i} by the clock its
 * decision used, owns a slot {@code [x_i, x_i + T)} with {@code g_i <= x_i} and {@code x_i + T <= g_i + L*T}, and no
 * two permits' slots overlap, then over any interval {@code [a, b]} of length {@code t} at most
 * {@code L + floor(t / T) <= L + floor(t * L / W)} permits are admitted.
 *
 * <p><i>Proof.</i> The slots of the permits admitted in {@code [a, b]} lie in {@code [a, b + L*T]}, which has length
 * {@code t + L*T}, and do not overlap; so {@code m} of them have total length {@code m*T <= t + L*T}, and
 * {@code m <= L + t/T}; {@code m} is whole, so {@code m <= L + floor(t/T)}. Since {@code T = ceil(W/L) >= W/L},
 * {@code floor(t/T) <= floor(t*L/W)}. &#8718;</blockquote>
 *
 * <p>The lemma does not care who hands a slot out or when it was taken from {@code tat}: only that each permit's slot
 * is its own and lies within {@code [g, g + L*T]} of its admission time. A <em>lease</em> uses exactly that freedom:
 *
 * <ol>
 *   <li>A process takes {@code m} permits' worth of slots, {@code [s, e)} with {@code e = s + m*T}, in one ordinary
 *       GCRA step at its {@code now}: the same conditional UpdateItem as a direct decision, with cost {@code m*T}.
 *       The step guarantees {@code s >= now} and {@code e <= now + L*T}, and nobody else ever gets these slots.
 *   <li>It grants from the chunk locally, keeping a cursor (the next free slot): a request for {@code n} permits at
 *       time {@code g} takes {@code [x, x + n*T)} with {@code x = max(cursor, g)}, if
 *       {@code x + n*T <= min(e, g + L*T)} ({@link #grant}); the cursor moves to {@code x + n*T} by compare-and-set.
 * </ol>
 *
 * <p>Every permit so granted meets the lemma: {@code x >= g} by the {@code max}, {@code x + T <= g + L*T} by the
 * check (which matters when a thread read {@code g} before another thread took the chunk), slots within one chunk do
 * not overlap because the cursor only moves forward, and chunks do not overlap each other or any direct decision's
 * slots because they all come from the one {@code tat}. Slots that fall into the past before anybody asks for them
 * are skipped ({@code max(cursor, g)}), never granted late. Hence:
 *
 * <ul>
 *   <li><b>Exact across processes</b>: the bound above, for all processes together, leased or not.
 *   <li><b>No mode to switch.</b> A key is never "in lease mode": each process, per key, either writes the bucket
 *       per decision (cold) or takes chunks (hot), and both take slots from the same {@code tat}, so any mixture, and
 *       any change of either at any moment, is covered by the same lemma. The burst a direct path has spent is in
 *       {@code tat}, so the first chunk starts from the bucket's real state; capacity a process gains starts with
 *       exactly the credit the bucket had, none more.
 *   <li><b>Death and pauses are safe without expiry.</b> A chunk needs no lease expiry, skew margin or version
 *       number: its slots are bound to time. A killed process's chunk is lost (at most one chunk, see sizing), and
 *       the others take the slots after it at once; a process paused for a minute skips every slot that passed.
 *   <li><b>Clock skew</b> acts as on the direct path ({@link Gcra}): slots are numbers on each admitting process's
 *       own clock. If every clock is within {@code d/2} of true time (any two differ by at most {@code d}), a permit
 *       admitted at true time {@code g} owns a slot within {@code [g - d/2, g + d/2 + L*T]}, so the slots of permits
 *       admitted in a true interval of length {@code t} lie in one of length {@code t + d + L*T}: at most
 *       {@code L + floor((t + d)/T)}, that is about {@code d * L / W} permits more, once, and never a higher
 *       long-run rate. Nothing ever waits for another process's clock to pass an expiry, so no skew margin exists
 *       to configure and skew never holds capacity back.
 * </ul>
 *
 * <h2>Sizing a lease</h2>
 *
 * <p>Each process measures, per key, the permits asked per second over one refresh interval {@code R}
 * ({@link #perSecond}). A key is hot at this process when that rate reaches the hot threshold. A hot process asks
 * for {@code wanted = clamp(ceil(demand * R), n, maxLease)} ({@link #wanted}): what it will use in one refresh
 * interval, so it writes the key about once per {@code R}; {@code maxLease = min(floor(L*R/W), L/4)}
 * ({@link #maxLease}) bounds what a dying process can take with it. One exception: when the bucket was idle
 * ({@code tat <= now}) the chunk starts now, its slots pass at the full rate {@code L/W} while the process uses them
 * at its own, and a chunk of {@code demand * R} would last only {@code demand * R * T}; so an idle bucket is leased
 * {@code maxLease}, which lasts {@code R}. (The slots it skips were spare; once several processes lease, {@code tat}
 * runs ahead of now, chunks lie in the future and are used whole.) When the bucket still has {@code fit} permits
 * (known from the last {@code tat} this process saw, which only underestimates the real {@code tat}, so a local
 * "does not fit" is exact), it takes {@code min(wanted, fit)} as long as that is at least
 * {@code least = max(n, min(wanted, maxLease/4))} ({@link #least}, {@link #lease}); otherwise it denies locally, with
 * no write, until that much fits. (So a burst that drains a bucket may stop up to {@code least - 1} permits short;
 * they are granted once {@code least} have refilled. Under-admission, never over.)
 *
 * <p>{@code least} is what makes an overloaded key fair and cheap. When demand exceeds the limit, {@code tat} runs a
 * whole bucket ahead and frees {@code L/W} slots per second. A process that asks for less than {@code maxLease/4}
 * per refresh takes what it asks for as soon as it fits: small demands are met in full. Every process that asks for
 * more takes the same {@code maxLease/4} as soon as that fits, in turn with the others that ask, so they share the
 * rest about equally: an approximation of max-min fairness of the demands, with no demand published anywhere. And the
 * chunks stay large: about {@code 4 * W / R} successful writes per second for the whole key, plus the lost races.
 *
 * <h2>Costs and limits of the scheme</h2>
 *
 * <p>Chunks are contiguous slots of the timeline, not a share of the rate: a process alone on a key with room to
 * spare holds a chunk of {@code R} at the full rate and uses its own rate's part of it; the rest passes unused,
 * which costs nobody anything (the bucket was idle) but the burst credit of the chunk while it is held. With several
 * hot processes {@code tat} leads now by about {@code R}, chunks lie in the future, and each is used whole: about one
 * write per process and refresh interval. With {@code R = 100 ms} a fleet of {@code N} hot processes writes a key
 * about {@code 10 * N} times per second, so {@code N / R} must stay well under the key's 1,000 writes per second.
 *
 * <p>Everything here is a pure function of (state, request, now); the limiter keeps the state. Not instantiable.
 */
public final class Leases {

  /** What {@link #grant} returns when the chunk cannot grant the request. */
  public static final long NONE = Long.MIN_VALUE;

  private Leases() {}

  /**
   * One local grant from a chunk.
   *
   * @param cursor the chunk's next free slot (epoch nanoseconds)
   * @param end the end of the chunk
   * @param now the decision's time
   * @param cost {@code n * T}
   * @param tolerance {@code L * T}
   * @return the cursor after granting the slots {@code [max(cursor, now), max(cursor, now) + cost)}, or
   *     {@link #NONE} when they do not end by {@code min(end, now + tolerance)}
   */
  public static long grant(long cursor, long end, long now, long cost, long tolerance) {
    long x = Math.max(cursor, now);
    long next = x + cost;
    return next <= Math.min(end, now + tolerance) ? next : NONE;
  }

  /** How many single permits a chunk can still grant at {@code now}. */
  public static long held(long cursor, long end, long now, long interval, long tolerance) {
    long room = Math.min(end, now + tolerance) - Math.max(cursor, now);
    return room <= 0 ? 0 : room / interval;
  }

  /** The chunk of {@code permits} permits that a GCRA step which admitted them handed out: {@code [tat - cost, tat)}. */
  public static long chunkStart(long tatAfter, long cost) {
    return tatAfter - cost;
  }

  /**
   * The largest lease, in permits: the full rate over one refresh interval, at most a quarter of the limit, at least
   * one. {@code floor(L*R/W)} is worked out in floating point: sizing never affects exactness.
   */
  public static long maxLease(long limit, long windowNanos, long refreshNanos) {
    double perRefresh = Math.floor((double) limit * refreshNanos / windowNanos);
    double quarter = Math.floor(limit * io.github.ratelimiter.Leasing.MAX_LEASE_FRACTION);
    return Math.max(1, (long) Math.min(perRefresh, quarter));
  }

  /**
   * What a hot process asks for: its demand over one refresh interval, from {@code permits} to {@code maxLease};
   * {@code maxLease} when the bucket was idle ({@code tat <= now}) when last seen, so that a chunk lasts a refresh
   * interval even while its slots pass unused.
   */
  public static long wanted(long demandPerSecond, long refreshNanos, long permits, long maxLease, boolean idle) {
    if (idle) {
      return Math.max(permits, maxLease);
    }
    double perRefresh = Math.ceil((double) demandPerSecond * refreshNanos / 1e9);
    long wanted = (long) Math.min(perRefresh, (double) Long.MAX_VALUE / 4);
    return Math.max(permits, Math.min(wanted, maxLease));
  }

  /** The smallest lease worth a write when the bucket is nearly empty: {@code max(n, min(wanted, maxLease/4))}. */
  public static long least(long wanted, long maxLease, long permits) {
    return Math.max(permits, Math.min(wanted, Math.max(1, maxLease / 4)));
  }

  /** The permits to lease when {@code fit} still fit in the bucket: {@code min(wanted, fit)}, or 0 below least. */
  public static long lease(long wanted, long least, long fit) {
    return fit >= least ? Math.min(wanted, fit) : 0;
  }

  /** A demand rate: {@code asked} permits over {@code elapsedNanos}, per second (0 for no time). */
  public static long perSecond(long asked, long elapsedNanos) {
    if (elapsedNanos <= 0) {
      return 0;
    }
    return (long) Math.min((double) asked * 1e9 / elapsedNanos, (double) Long.MAX_VALUE / 4);
  }
}
