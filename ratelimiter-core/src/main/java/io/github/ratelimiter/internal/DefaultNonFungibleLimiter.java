package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.ReservationNotFoundException;
import io.github.ratelimiter.Token;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link NonFungibleLimiter} over any {@link SlotStore}.
 *
 * <h2>Slots: an exact cap from single-item conditional writes</h2>
 *
 * <p>Counting live rows and then inserting one (the Python library's Query-then-Put) over-grants whenever two
 * callers count before either inserts. Here an account's capacity {@code L} is a set of slots numbered
 * {@code 0 .. L-1}, each at most one row (the slot number is the row's {@code reservationId}). Taking a slot is one
 * conditional write that succeeds only if the slot's row is absent or expired, so two callers can never hold one
 * slot, and at most {@code L} live rows exist at any instant, whatever the concurrency, without transactions.
 *
 * <p>A reservation is: one consistent query of the account's rows; if {@code L} or more are live, deny; otherwise
 * take a random free slot (absent or expired) with a conditional write. A lost race means someone else took that
 * slot, so the rows are queried again before the next try (a consistent read costs a fifth of a failed write), until
 * a slot is taken or none is free. Uncontended that is two requests; each lost race adds two.
 *
 * <p>Threads of one process do not race each other: a thread writes only to a free slot that no other thread of
 * this limiter is claiming at that moment, nor has claimed since the thread's query was sent (its query is stale
 * for that slot, which is taken now, by that thread or by whoever beat it). When no free slot is left by that rule,
 * it waits for the claims in flight to end and queries again, instead of sending writes that would almost surely
 * fail (on DynamoDB a failed conditional write is billed like a successful one). Only claims from different
 * processes can collide.
 *
 * <p>Every row records a random holder id. Turning a reservation into a token, renewing and deleting are writes
 * conditioned on that holder (and on being live, for the first two): a reservation that expired and whose slot was
 * taken by someone else can never overwrite or free the new holder's row.
 *
 * <h2>Which slots a grant may take: lowered limits and foreign rows</h2>
 *
 * <p>Two kinds of live rows sit outside the slots {@code 0 .. L-1} that the cap needs: rows in slots {@code >= L},
 * left from a higher limit (nothing is revoked when a limit drops), and foreign rows, written by another library
 * sharing the table (the Python library's reservations and tokens, keyed by UUIDs, which occupy no slot). Both
 * count. From one query at limit {@code L}: let {@code F} be the live foreign rows, {@code B = L - F}, and {@code H}
 * the live rows in slots {@code >= B}. A grant is refused when the live rows, slots and foreign, number {@code L} or
 * more; otherwise it may take only a free slot below {@code U = B - H}.
 *
 * <p>Why that is exact. While the limit stays {@code L} and no foreign row is added, {@code F} and {@code H} only
 * fall ({@code H}'s slots are never granted, all grants being below {@code U <= B}), and {@code B - H} never falls as
 * {@code B} grows (each step adds one to {@code B} and removes at most one row from {@code H}). So {@code U} never
 * falls, every grant took a slot below the {@code U} of its own query, which is at most today's, and no live slot
 * lies in {@code U .. B-1}: the live rows are at most {@code U} below it, {@code H} above it and {@code F} foreign,
 * {@code U + H + F = L}. A stale query is only more careful. With {@code F = 0} this is the lowered-limit rule:
 * total live rows stay at most {@code L} once the account is back under its limit.
 *
 * <p>In a mixed fleet the foreign writer's own inserts are unconditional (it counts, then inserts), so a foreign
 * reservation inserted while some other grant is between its read and its write can exceed the cap; that race is
 * the only source of excess. Java grants never race each other, and never follow a query that already shows
 * {@code L} live rows.
 *
 * <h2>Claiming a slot this process just freed</h2>
 *
 * <p>Churn (release a token, reserve, create a token) would cost four requests per cycle: the delete, the query,
 * the claim and the update. A process that has just freed one of its slots knows that slot is free, so the next
 * reservation on that account claims it with the conditional write alone, when the process's last query of the
 * account is at most {@value #VIEW_SECONDS} s old, was made at the same limit, showed no foreign rows, and put the
 * slot below its {@code U}; otherwise, or when that write loses, it queries as above. The write is the same
 * conditional claim, so exactness among this library's callers is untouched. Where the account's rows include
 * foreign ones, every reservation queries first. A foreign reservation inserted after that last query is not seen
 * by such a direct claim: the foreign writer's race above, with a window of at most {@value #VIEW_SECONDS} s.
 *
 * <h2>Time</h2>
 *
 * <p>Expiry is the table's TTL attribute {@code expirationTime}, in epoch seconds; a row is live while
 * {@code expirationTime > now}. DynamoDB deletes expired rows up to days late (dynalite never), so every reader
 * treats an expired row as absent. Clock skew between hosts shifts expiry by the skew.
 */
final class DefaultNonFungibleLimiter implements NonFungibleLimiter {

  private static final Logger log = LoggerFactory.getLogger(DefaultNonFungibleLimiter.class);

  private final String resourceName;
  private final long defaultLimit;
  private final SlotStore slots;
  private final LimitResolver limits;
  private final Clock clock;
  private final Duration reservationTtl;
  private final Duration tokenTtl;
  /** This process's slot claims in flight, so that its own threads never race each other for one slot. */
  private final ConcurrentHashMap<SlotKey, CompletableFuture<Void>> claiming = new ConcurrentHashMap<>();
  /** Counts this process's ended claims; per slot, the count when its last claim ended (recent slots only). */
  private final AtomicLong claimsEnded = new AtomicLong();
  private final Cache<SlotKey, Long> lastClaimEnded = Caffeine.newBuilder().maximumSize(10_000).build();
  /** Accounts whose rows were seen to include foreign ones, so that this is logged once per account. */
  private final Cache<String, Boolean> foreignSeen = Caffeine.newBuilder().maximumSize(10_000).build();

  private record SlotKey(String accountId, int slot) {}

  /**
   * What this process's last query of an account showed: at which limit, when, how many live foreign rows, and the
   * bound {@code U} below which grants take slots.
   */
  private record View(long limit, long seenAt, long foreign, long usableBelow) {}

  /** A slot this process freed, and the count of ended claims then (a claim ended since means it is taken again). */
  private record Freed(int slot, long claimsEndedThen) {}

  /** The reservation id of a degraded reservation and its token: no slot. */
  static final String DEGRADED_ID = "degraded";

  /** How long, in seconds, a view lets a freed slot be claimed without a query. */
  static final long VIEW_SECONDS = 1;

  /** Per account, this process's last view. */
  private final Cache<String, View> views = Caffeine.newBuilder().maximumSize(10_000).build();
  /** Per account, slots this process freed since, at most 64 (the oldest are kept; the rest go through a query). */
  private final Cache<String, ArrayBlockingQueue<Freed>> freed = Caffeine.newBuilder().maximumSize(10_000).build();

  /** A reservation's life: held, then turned into a token, deleted or found lost, once. */
  private enum State {
    HELD("held"), CONVERTING("being turned into a token"), TOKEN("a token"), DELETED("deleted"),
    LOST("lost (it expired or was released)");

    private final String description;

    State(String description) {
      this.description = description;
    }
  }

  /** The longest one reservation may take; {@code null}: unbounded (a store in process). */
  private final Duration decisionTimeout;

  /** Where the non-blocking view completes a future that waited for the store. */
  private final Executor executor;
  /** Whether reservations that need a listing of an account while one is in flight share the next one. */
  private final boolean coalesce;
  /** The listings of accounts in flight and forming, when {@link #coalesce}. */
  private final NextRead<String, Look> reads = new NextRead<>();

  /** A limiter whose reservations each end within {@code decisionTimeout}, or unbounded when it is {@code null}. */
  DefaultNonFungibleLimiter(String resourceName, long defaultLimit, SlotStore slots, LimitResolver limits,
      Clock clock, Duration reservationTtl, Duration tokenTtl, Duration decisionTimeout) {
    this(resourceName, defaultLimit, slots, limits, clock, reservationTtl, tokenTtl, decisionTimeout,
        ForkJoinPool.commonPool());
  }

  DefaultNonFungibleLimiter(String resourceName, long defaultLimit, SlotStore slots, LimitResolver limits,
      Clock clock, Duration reservationTtl, Duration tokenTtl, Duration decisionTimeout, Executor executor) {
    this.executor = executor;
    this.coalesce = slots.remote();
    this.resourceName = resourceName;
    this.defaultLimit = defaultLimit;
    this.slots = slots;
    this.limits = limits;
    this.clock = clock;
    this.reservationTtl = reservationTtl;
    this.tokenTtl = tokenTtl;
    this.decisionTimeout = decisionTimeout;
  }

  /** A reservation's deadline, from now; reads no time when reservations are unbounded. */
  private Deadline startDeadline() {
    return decisionTimeout == null ? Deadline.none() : Deadline.after(decisionTimeout);
  }

  @Override
  public String resourceName() {
    return resourceName;
  }

  @Override
  public long limitFor(String accountId) {
    return limitFor(accountId, startDeadline());
  }

  private long limitFor(String accountId, Deadline deadline) {
    Arguments.requireId("accountId", accountId);
    return limits.find(resourceName, accountId, EpochNanos.fromInstant(clock.instant()), deadline).map(row -> row.limit())
        .orElse(defaultLimit);
  }

  @Override
  public Reservation reserve(String accountId) {
    Attempt attempt = attempt(accountId);
    return attempt.reservation().orElseThrow(() -> exhausted(accountId, attempt.limit()));
  }

  @Override
  public Optional<Reservation> tryReserve(String accountId) {
    return attempt(accountId).reservation();
  }

  /** A reservation decision: the limit it was made at, and the reservation when one was granted. */
  record Attempt(long limit, Optional<Reservation> reservation) {}

  /**
   * One reservation decision, as {@link #tryReserve(String)}, and the limit it was made at: one deadline, started
   * here, bounds the limit's resolution and every request after it, and the limit is resolved once. The failure
   * policy decides through this, so that its own events need no second resolution.
   *
   * @throws io.github.ratelimiter.RateLimiterException if the store fails or the deadline passes
   */
  Attempt attempt(String accountId) {
    Deadline deadline = startDeadline();
    long limit = limitFor(accountId, deadline);
    return new Attempt(limit, tryReserve(accountId, limit, deadline));
  }

  /** The exception of a {@link #reserve(String)} that found no free slot at {@code limit}. */
  CapacityExhaustedException exhausted(String accountId, long limit) {
    return new CapacityExhaustedException(limit == 0
        ? "account '" + accountId + "' has no capacity for resource '" + resourceName + "' (its limit is 0)"
        : "account '" + accountId + "' holds its limit of " + limit + " live '" + resourceName
            + "' reservations and tokens", resourceName, accountId, null);
  }

  /**
   * Queries the account's rows and claims a free slot, until one is taken or none is free. Each lost race means
   * another caller took that slot: look again rather than write blindly, since a read costs a fifth of a failed
   * conditional write. Lost races and waits for this process's own claims each mean that a slot was taken
   * meanwhile, so {@code 2 * limit} tries bound both; and every query, claim and wait is made within the one
   * {@code deadline}, so the whole reservation ends within the decision timeout (past it, it fails as a store
   * failure would).
   */
  private Optional<Reservation> tryReserve(String accountId, long limit, Deadline deadline) {
    if (limit == 0) {
      return Optional.empty();
    }
    String holder = UUID.randomUUID().toString();
    Optional<Reservation> direct = claimFreed(accountId, limit, holder, deadline);
    if (direct.isPresent()) {
      return direct;
    }
    for (long attempt = 0; attempt <= 2 * limit; attempt++) {
      Look look = coalesce ? reads.read(accountId, () -> look(accountId, deadline), deadline)
          : look(accountId, deadline);
      List<Integer> free = free(accountId, look, limit);
      if (free.isEmpty()) {
        return Optional.empty();
      }
      Claim claim = startClaim(accountId, free, look.lookedAt());
      if (claim.slot() == null) {
        claim.waitForOthers(deadline);
        continue;
      }
      Optional<Reservation> taken = take(claim, holder, look.now(), deadline);
      if (taken.isPresent()) {
        return taken;
      }
    }
    return Optional.empty();
  }

  /**
   * The cheap path, one request: claims a slot this process freed since its last query of the account, with the
   * conditional write alone, when that query is at most {@link #VIEW_SECONDS} old, was made at the same limit and
   * showed no foreign rows, and the slot lies below that query's {@code U}. The write is the same conditional claim
   * as after a query, so two callers still never hold one slot, and every grant still takes a slot below the
   * {@code U} of a query (the class comment's proof holds as is). A lost write falls back to the query.
   */
  private Optional<Reservation> claimFreed(String accountId, long limit, String holder, Deadline deadline) {
    long now = nowEpochSecond();
    Claim claim = freedClaim(accountId, limit, now);
    return claim == null ? Optional.empty() : take(claim, holder, now, deadline);
  }

  /**
   * This thread's claim of a slot this process freed since its last query of the account, when that query allows
   * one (see {@link #claimFreed}); null when there is none to try.
   */
  private Claim freedClaim(String accountId, long limit, long now) {
    ArrayBlockingQueue<Freed> queue = freed.getIfPresent(accountId);
    View view = views.getIfPresent(accountId);
    if (queue == null || view == null) {
      return null;
    }
    if (view.limit() != limit || view.foreign() > 0 || now - view.seenAt() > VIEW_SECONDS) {
      queue.clear();
      return null;
    }
    for (Freed slot = queue.poll(); slot != null; slot = queue.poll()) {
      if (slot.slot() >= view.usableBelow()) {
        continue;
      }
      Claim claim = startClaim(accountId, List.of(slot.slot()), slot.claimsEndedThen());
      if (claim.slot() == null) {
        claim.future().complete(null); // another thread claims or claimed it since: not ours to try
        continue;
      }
      return claim;
    }
    return null;
  }


  /** Remembers a slot this process freed, for {@link #claimFreed}; foreign rows are never claimed. */
  private void noteFreed(SlotRecord row) {
    if (!row.isForeign()) {
      freed.get(row.accountId(), account -> new ArrayBlockingQueue<>(64))
          .offer(new Freed(row.slot(), claimsEnded.get()));
    }
  }

  /**
   * One consistent query of the account's rows, with the time it was sent at ({@code now}, epoch seconds) and the
   * claims of this process ended by then ({@code lookedAt}).
   */
  private record Look(List<SlotRecord> rows, long lookedAt, long now) {}

  private Look look(String accountId, Deadline deadline) {
    long lookedAt = claimsEnded.get();
    long now = nowEpochSecond();
    return new Look(slots.list(resourceName, accountId, deadline), lookedAt, now);
  }

  private CompletableFuture<Look> lookAsync(String accountId, Deadline deadline) {
    long lookedAt = claimsEnded.get();
    long now = nowEpochSecond();
    return slots.listAsync(resourceName, accountId, deadline).thenApply(rows -> new Look(rows, lookedAt, now));
  }

  /** The slots a grant may take by the look, in random order (so that this process's threads try different ones). */
  private List<Integer> free(String accountId, Look look, long limit) {
    List<Integer> free = freeSlots(accountId, look.rows(), limit, look.now());
    Collections.shuffle(free, ThreadLocalRandom.current());
    return free;
  }

  /**
   * This thread's claim of one of the free slots, published so that no other thread of this process claims the same
   * slot meanwhile. Its {@code slot} is {@code null} when every free slot is being claimed, or was claimed since
   * {@code lookedAt}, by another thread: then {@link Claim#waitForOthers()} waits for those claims.
   */
  private Claim startClaim(String accountId, List<Integer> free, long lookedAt) {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    List<CompletableFuture<Void>> others = new ArrayList<>();
    for (int slot : free) {
      SlotKey key = new SlotKey(accountId, slot);
      CompletableFuture<Void> other = claiming.putIfAbsent(key, mine);
      if (other != null) {
        others.add(other);
      } else if (claimedSince(key, lookedAt)) {
        // Checked after publishing our claim: another thread's claim of this slot was then either still in
        // `claiming` (putIfAbsent returned it) or had already recorded its end, which is seen here.
        claiming.remove(key, mine);
      } else {
        return new Claim(key, mine, List.of());
      }
    }
    return new Claim(null, mine, others);
  }

  /** A slot this thread is claiming (or {@code null}), its published future, and the claims it must wait for. */
  private record Claim(SlotKey slot, CompletableFuture<Void> future, List<CompletableFuture<Void>> others) {
    /**
     * Waits for the other threads' claims, within {@code deadline}, rather than send writes that would lose to them.
     * (Our own future was briefly visible, so someone may be waiting for it too.)
     */
    void waitForOthers(Deadline deadline) {
      future.complete(null);
      for (CompletableFuture<Void> other : others) {
        deadline.await(other, "this process's other claims of the account's free slots ended");
      }
    }
  }

  /** Writes the claimed slot's row if the slot is free in the store; always ends the claim. */
  private Optional<Reservation> take(Claim claim, String holder, long now, Deadline deadline) {
    SlotRecord row = claimRow(claim, holder, now);
    try {
      return slots.claim(row, now, deadline) ? Optional.of(new SlotReservation(row)) : Optional.empty();
    } finally {
      endClaim(claim);
    }
  }

  /** The row a claim writes: its slot, held by {@code holder}, living the reservation time from {@code now}. */
  private SlotRecord claimRow(Claim claim, String holder, long now) {
    SlotKey key = claim.slot();
    return SlotRecord.slot(resourceName, key.accountId(), key.slot(), holder, null, now + reservationTtl.toSeconds());
  }

  /** Ends a claim, whatever its write answered: recorded as ended before it is seen to end. */
  private void endClaim(Claim claim) {
    SlotKey key = claim.slot();
    lastClaimEnded.put(key, claimsEnded.incrementAndGet());
    claiming.remove(key, claim.future());
    claim.future().complete(null);
  }

  // The non-blocking path: the same steps on the same state (views, freed slots, claims in flight), each store call
  // by its Async twin; a reservation that finds this process's other claims in flight continues when they end.

  /** {@link #attempt} without waiting: one deadline, the limit resolved once, bounded by the deadline. */
  CompletableFuture<Attempt> attemptAsync(String accountId) {
    Arguments.requireId("accountId", accountId);
    Deadline deadline = startDeadline();
    CompletableFuture<Attempt> steps = Futures.of(() -> limits.lookupAsync(resourceName, accountId,
        EpochNanos.fromInstant(clock.instant()), deadline).thenCompose(lookup -> {
          long limit = lookup.row() == null ? defaultLimit : lookup.row().limit();
          return tryReserveAsync(accountId, limit, deadline).thenApply(taken -> new Attempt(limit, taken));
        }));
    return Futures.within(steps, deadline, "the reservation's store calls answered");
  }

  /** {@link #tryReserve(String, long, Deadline)} without waiting. */
  private CompletableFuture<Optional<Reservation>> tryReserveAsync(String accountId, long limit, Deadline deadline) {
    if (limit == 0) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String holder = UUID.randomUUID().toString();
    return claimFreedAsync(accountId, limit, holder, deadline).thenCompose(direct -> direct.isPresent()
        ? CompletableFuture.completedFuture(direct)
        : lookAndClaimAsync(accountId, limit, holder, deadline, 0));
  }

  /** {@link #claimFreed} without waiting. */
  private CompletableFuture<Optional<Reservation>> claimFreedAsync(String accountId, long limit, String holder,
      Deadline deadline) {
    long now = nowEpochSecond();
    Claim claim = freedClaim(accountId, limit, now);
    return claim == null ? CompletableFuture.completedFuture(Optional.empty())
        : takeAsync(claim, holder, now, deadline);
  }


  /** One try of the loop in {@link #tryReserve(String, long, Deadline)}: a query and a claim, or a wait. */
  private CompletableFuture<Optional<Reservation>> lookAndClaimAsync(String accountId, long limit, String holder,
      Deadline deadline, long attempt) {
    if (attempt > 2 * limit) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    CompletableFuture<Look> looked = coalesce ? reads.readAsync(accountId, () -> lookAsync(accountId, deadline))
        : lookAsync(accountId, deadline);
    return looked.thenCompose(look -> {
      List<Integer> free = free(accountId, look, limit);
      if (free.isEmpty()) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      long now = look.now();
      Claim claim = startClaim(accountId, free, look.lookedAt());
      if (claim.slot() == null) {
        claim.future().complete(null);
        return CompletableFuture.allOf(claim.others().toArray(CompletableFuture[]::new))
            .thenCompose(ended -> lookAndClaimAsync(accountId, limit, holder, deadline, attempt + 1));
      }
      return takeAsync(claim, holder, now, deadline).thenCompose(taken -> taken.isPresent()
          ? CompletableFuture.completedFuture(taken)
          : lookAndClaimAsync(accountId, limit, holder, deadline, attempt + 1));
    });
  }

  /** {@link #take} without waiting: the claim ends when its write has answered. */
  private CompletableFuture<Optional<Reservation>> takeAsync(Claim claim, String holder, long now,
      Deadline deadline) {
    SlotRecord row = claimRow(claim, holder, now);
    return Futures.of(() -> slots.claimAsync(row, now, deadline)).handle((claimed, failure) -> {
      endClaim(claim);
      if (failure != null) {
        throw new CompletionException(Futures.unwrap(failure));
      }
      return claimed ? Optional.of(new SlotReservation(row)) : Optional.empty();
    });
  }

  /** {@link #release(String)} without waiting; the rows carrying the id are deleted one after the other. */
  CompletableFuture<Boolean> releaseAsync(String resourceId) {
    Arguments.requireId("resourceId", resourceId);
    CompletableFuture<Boolean> released = Futures.of(() -> slots.findByResourceIdAsync(resourceId))
        .thenCompose(rows -> deleteEach(rows.stream().filter(row -> row.resourceName().equals(resourceName))
            .toList(), 0, false))
        .thenApply(any -> {
          if (!any) {
            log.info("no '{}' token carries resource id '{}': nothing released", resourceName, resourceId);
          }
          return any;
        });
    return Futures.handOff(released, executor);
  }

  private CompletableFuture<Boolean> deleteEach(List<SlotRecord> rows, int i, boolean any) {
    if (i == rows.size()) {
      return CompletableFuture.completedFuture(any);
    }
    SlotRecord row = rows.get(i);
    return slots.deleteAsync(row).thenCompose(deleted -> {
      if (deleted) {
        noteFreed(row);
      }
      return deleteEach(rows, i + 1, any || deleted);
    });
  }

  /** Where the non-blocking view completes a future that waited for the store. */
  Executor executor() {
    return executor;
  }

  /**
   * Whether a claim of this process on the slot ended after {@code lookedAt}: whoever won it, the slot is taken
   * now, although a query sent before then showed it free.
   */
  private boolean claimedSince(SlotKey key, long lookedAt) {
    Long ended = lastClaimEnded.getIfPresent(key);
    return ended != null && ended > lookedAt;
  }

  /**
   * The slots a new reservation may take (see the class comment): none when {@code limit} or more rows are live,
   * foreign ones included; otherwise the free (absent or expired) slots below {@code U = B - H}, where
   * {@code B = limit - F}, {@code F} counts live foreign rows and {@code H} live slots at or above {@code B}.
   */
  private List<Integer> freeSlots(String accountId, List<SlotRecord> rows, long limit, long now) {
    Set<Integer> live = new HashSet<>();
    long foreign = 0;
    for (SlotRecord row : rows) {
      if (row.liveAt(now)) {
        if (row.slot() >= 0) {
          live.add(row.slot());
        } else {
          foreign++;
        }
      }
    }
    if (foreign > 0) {
      noteForeign(accountId, foreign);
    }
    long below = limit - foreign;
    long above = live.stream().filter(slot -> slot >= below).count();
    views.put(accountId, new View(limit, now, foreign, below - above));
    List<Integer> free = new ArrayList<>();
    if (live.size() + foreign >= limit) {
      return free;
    }
    for (int slot = 0; slot < below - above; slot++) {
      if (!live.contains(slot)) {
        free.add(slot);
      }
    }
    return free;
  }

  private void noteForeign(String accountId, long foreign) {
    if (foreignSeen.asMap().putIfAbsent(accountId, Boolean.TRUE) == null) {
      log.info("'{}' for account '{}' holds {} live row(s) that another library (rate-limiter-py) wrote: they count"
          + " toward the cap (logged once per account)", resourceName, accountId, foreign);
    }
  }

  @Override
  public boolean release(String resourceId) {
    Arguments.requireId("resourceId", resourceId);
    boolean released = false;
    for (SlotRecord row : slots.findByResourceId(resourceId)) {
      if (row.resourceName().equals(resourceName) && slots.delete(row)) {
        noteFreed(row);
        released = true;
      }
    }
    if (!released) {
      log.info("no '{}' token carries resource id '{}': nothing released", resourceName, resourceId);
    }
    return released;
  }

  @Override
  public List<ActiveToken> activeTokens(String accountId) {
    Arguments.requireId("accountId", accountId);
    long now = nowEpochSecond();
    return slots.list(resourceName, accountId, Deadline.none()).stream()
        .filter(row -> row.liveAt(now))
        .map(row -> new ActiveToken(resourceName, accountId, row.reservationId(), tokenResourceId(row),
            Instant.ofEpochSecond(row.expirationTime()), row.isForeign()))
        .toList();
  }

  /** The row's resource id, or null for a reservation: the Python library writes its own id there until then. */
  private static String tokenResourceId(SlotRecord row) {
    return row.isForeign() && row.reservationId().equals(row.resourceId()) ? null : row.resourceId();
  }

  private long nowEpochSecond() {
    return clock.instant().getEpochSecond();
  }

  private ReservationNotFoundException lost(SlotRecord row, String what) {
    return new ReservationNotFoundException("the " + what + " in slot " + row.reservationId() + " of '"
        + resourceName + "' for account '" + row.accountId() + "' expired or was released; nothing was written",
        resourceName, row.accountId(), row.reservationId());
  }

  /**
   * A reservation granted while the store failed, for the failure policy's
   * {@link io.github.ratelimiter.FailureMode#FAIL_OPEN}: it holds no slot and writes nothing (see
   * {@link SlotReservation}).
   */
  Reservation degraded(String accountId) {
    return new SlotReservation(accountId, clock.instant().plus(reservationTtl));
  }

  /** A degraded token for {@code resourceId}, living {@code ttl} from now: no row, so nothing to write. */
  private SlotToken degradedToken(String accountId, String resourceId, Duration ttl) {
    Instant expiresAt = clock.instant().plus(ttl);
    return new SlotToken(new SlotRecord(resourceName, accountId, DEGRADED_ID, null, resourceId,
        expiresAt.getEpochSecond()), true, expiresAt);
  }

  /**
   * A reservation, held or degraded; its {@link State} moves from held to a token, deleted or lost, once. A held
   * one is its slot's row in the store: turning it into a token and deleting it are writes conditioned on its
   * holder. A {@link Reservation#degraded() degraded} one stands for a row that was never written (reservation id
   * {@value #DEGRADED_ID}, no holder): its token writes nothing, and deleting it does nothing, so that a caller's
   * usual reserve, create-token, release sequence runs through an outage without leaving rows behind.
   */
  private final class SlotReservation implements Reservation {
    private final SlotRecord row;
    private final boolean degraded;
    private final Instant expiresAt;
    private final AtomicReference<State> state = new AtomicReference<>(State.HELD);

    /** The reservation whose row the store holds. */
    SlotReservation(SlotRecord row) {
      this.row = row;
      this.degraded = false;
      this.expiresAt = Instant.ofEpochSecond(row.expirationTime());
    }

    /** A degraded reservation, expiring at {@code expiresAt}. */
    SlotReservation(String accountId, Instant expiresAt) {
      this.row = new SlotRecord(resourceName, accountId, DEGRADED_ID, null, null, expiresAt.getEpochSecond());
      this.degraded = true;
      this.expiresAt = expiresAt;
    }

    @Override
    public String reservationId() {
      return row.reservationId();
    }

    @Override
    public String accountId() {
      return row.accountId();
    }

    @Override
    public Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public Token createToken(String resourceId) {
      return createToken(resourceId, tokenTtl);
    }

    @Override
    public Token createToken(String resourceId, Duration ttl) {
      Arguments.requireId("resourceId", resourceId);
      Arguments.requireSeconds("ttl", ttl);
      if (!state.compareAndSet(State.HELD, State.CONVERTING)) {
        throw new IllegalStateException("reservation " + reservationId() + " is "
            + (degraded ? "already a token" : state.get().description));
      }
      if (degraded) {
        state.set(State.TOKEN);
        return degradedToken(row.accountId(), resourceId, ttl);
      }
      long now = nowEpochSecond();
      SlotRecord token = new SlotRecord(resourceName, row.accountId(), row.reservationId(), row.holder(), resourceId,
          now + ttl.toSeconds());
      boolean converted;
      try {
        converted = slots.update(token, now);
      } catch (RuntimeException e) {
        state.set(State.HELD);
        throw e;
      }
      if (!converted) {
        state.set(State.LOST);
        throw lost(row, "reservation");
      }
      state.set(State.TOKEN);
      return new SlotToken(token);
    }

    @Override
    public CompletableFuture<Token> createTokenAsync(String resourceId) {
      return createTokenAsync(resourceId, tokenTtl);
    }

    @Override
    public CompletableFuture<Token> createTokenAsync(String resourceId, Duration ttl) {
      Arguments.requireId("resourceId", resourceId);
      Arguments.requireSeconds("ttl", ttl);
      if (!state.compareAndSet(State.HELD, State.CONVERTING)) {
        return CompletableFuture.failedFuture(new IllegalStateException("reservation " + reservationId() + " is "
            + (degraded ? "already a token" : state.get().description)));
      }
      if (degraded) {
        state.set(State.TOKEN);
        return CompletableFuture.completedFuture(degradedToken(row.accountId(), resourceId, ttl));
      }
      long now = nowEpochSecond();
      SlotRecord token = new SlotRecord(resourceName, row.accountId(), row.reservationId(), row.holder(), resourceId,
          now + ttl.toSeconds());
      CompletableFuture<Token> converted = Futures.of(() -> slots.updateAsync(token, now)).handle((done, failure) -> {
        if (failure != null) {
          state.set(State.HELD);
          throw new CompletionException(Futures.unwrap(failure));
        }
        if (!done) {
          state.set(State.LOST);
          throw new CompletionException(lost(row, "reservation"));
        }
        state.set(State.TOKEN);
        return new SlotToken(token);
      });
      return Futures.handOff(converted, executor);
    }

    /** Frees a held reservation's slot, once; a degraded reservation has none (and can still become a token). */
    @Override
    public void delete() {
      if (!degraded && state.compareAndSet(State.HELD, State.DELETED) && slots.delete(row)) {
        noteFreed(row);
      }
    }

    @Override
    public CompletableFuture<Void> deleteAsync() {
      if (degraded || !state.compareAndSet(State.HELD, State.DELETED)) {
        return CompletableFuture.completedFuture(null);
      }
      return Futures.handOff(Futures.of(() -> slots.deleteAsync(row)).thenAccept(deleted -> {
        if (deleted) {
          noteFreed(row);
        }
      }), executor);
    }

    @Override
    public void close() {
      delete();
    }

    @Override
    public boolean degraded() {
      return degraded;
    }

    @Override
    public String toString() {
      return degraded
          ? "Reservation[" + resourceName + ":" + row.accountId() + ", degraded: holds no slot]"
          : "Reservation[" + resourceName + ":" + row.accountId() + " slot " + row.reservationId() + ", "
              + state.get().description + "]";
    }
  }

  /**
   * A token, held or degraded: a held one is its slot's row in the store, renewed and released by writes conditioned
   * on its holder; a {@link Token#degraded() degraded} one (of a degraded reservation) stands for a row that was
   * never written, so renewing it only moves its expiry and releasing it writes nothing.
   */
  private final class SlotToken implements Token {
    private final SlotRecord row;
    private final boolean degraded;
    private final Instant expiresAt;

    /** The token whose row the store holds. */
    SlotToken(SlotRecord row) {
      this(row, false, Instant.ofEpochSecond(row.expirationTime()));
    }

    SlotToken(SlotRecord row, boolean degraded, Instant expiresAt) {
      this.row = row;
      this.degraded = degraded;
      this.expiresAt = expiresAt;
    }

    @Override
    public String resourceId() {
      return row.resourceId();
    }

    @Override
    public String accountId() {
      return row.accountId();
    }

    @Override
    public String reservationId() {
      return row.reservationId();
    }

    @Override
    public Instant expiresAt() {
      return expiresAt;
    }

    @Override
    public Token renew(Duration ttl) {
      Arguments.requireSeconds("ttl", ttl);
      if (degraded) {
        return degradedToken(row.accountId(), row.resourceId(), ttl);
      }
      long now = nowEpochSecond();
      SlotRecord renewed = new SlotRecord(resourceName, row.accountId(), row.reservationId(), row.holder(),
          row.resourceId(), now + ttl.toSeconds());
      if (!slots.update(renewed, now)) {
        throw lost(row, "token");
      }
      return new SlotToken(renewed);
    }

    @Override
    public boolean release() {
      boolean released = !degraded && slots.delete(row);
      if (released) {
        noteFreed(row);
      }
      return released;
    }

    @Override
    public CompletableFuture<Token> renewAsync(Duration ttl) {
      Arguments.requireSeconds("ttl", ttl);
      if (degraded) {
        return CompletableFuture.completedFuture(degradedToken(row.accountId(), row.resourceId(), ttl));
      }
      long now = nowEpochSecond();
      SlotRecord renewed = new SlotRecord(resourceName, row.accountId(), row.reservationId(), row.holder(),
          row.resourceId(), now + ttl.toSeconds());
      return Futures.handOff(Futures.of(() -> slots.updateAsync(renewed, now)).thenApply(done -> {
        if (!done) {
          throw new CompletionException(lost(row, "token"));
        }
        return new SlotToken(renewed);
      }), executor);
    }

    @Override
    public CompletableFuture<Boolean> releaseAsync() {
      if (degraded) {
        return CompletableFuture.completedFuture(false);
      }
      return Futures.handOff(Futures.of(() -> slots.deleteAsync(row)).thenApply(released -> {
        if (released) {
          noteFreed(row);
        }
        return released;
      }), executor);
    }

    @Override
    public boolean degraded() {
      return degraded;
    }

    @Override
    public String toString() {
      return "Token[" + resourceName + ":" + row.accountId() + (degraded
          ? ", " + row.resourceId() + ", degraded: holds no slot]"
          : " slot " + row.reservationId() + ", " + row.resourceId() + "]");
    }
  }
}
