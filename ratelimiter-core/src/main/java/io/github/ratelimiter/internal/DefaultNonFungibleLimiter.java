package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.ReservationNotFoundException;
import io.github.ratelimiter.Token;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * <h2>A lowered limit</h2>
 *
 * <p>When the limit drops from {@code L0} to {@code L < L0}, rows in slots {@code >= L} may still be live. Nothing is
 * revoked. Let {@code H} be the live rows in slots {@code >= L}; new grants use only slots {@code 0 .. L-H-1}. Such
 * rows are never added while the limit is {@code L}, so {@code H} only falls, and a stale {@code H} is only more
 * careful; total live rows stay at most {@code (L - H) + H = L} once the account is back under its limit.
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

  private record SlotKey(String accountId, int slot) {}

  DefaultNonFungibleLimiter(String resourceName, long defaultLimit, SlotStore slots, LimitResolver limits,
      Clock clock, Duration reservationTtl, Duration tokenTtl) {
    this.resourceName = resourceName;
    this.defaultLimit = defaultLimit;
    this.slots = slots;
    this.limits = limits;
    this.clock = clock;
    this.reservationTtl = reservationTtl;
    this.tokenTtl = tokenTtl;
  }

  @Override
  public String resourceName() {
    return resourceName;
  }

  @Override
  public long limitFor(String accountId) {
    Arguments.requireId("accountId", accountId);
    return limits.find(resourceName, accountId).map(row -> row.limit()).orElse(defaultLimit);
  }

  @Override
  public Reservation reserve(String accountId) {
    long limit = limitFor(accountId);
    return tryReserve(accountId, limit).orElseThrow(() -> new CapacityExhaustedException(limit == 0
        ? "account '" + accountId + "' has no capacity for resource '" + resourceName + "' (its limit is 0)"
        : "account '" + accountId + "' holds its limit of " + limit + " live '" + resourceName
            + "' reservations and tokens", resourceName, accountId, null));
  }

  @Override
  public Optional<Reservation> tryReserve(String accountId) {
    return tryReserve(accountId, limitFor(accountId));
  }

  private Optional<Reservation> tryReserve(String accountId, long limit) {
    if (limit == 0) {
      return Optional.empty();
    }
    String holder = UUID.randomUUID().toString();
    // Each lost race means another caller took that slot: look again rather than write blindly, since a read costs
    // a fifth of a failed conditional write. Lost races and waits for this process's own claims each mean that a
    // slot was taken meanwhile, so 2 * limit tries bound both.
    for (long attempt = 0; attempt <= 2 * limit; attempt++) {
      long lookedAt = claimsEnded.get();
      long now = clock.instant().getEpochSecond();
      List<Integer> free = freeSlots(slots.list(resourceName, accountId), limit, now);
      if (free.isEmpty()) {
        return Optional.empty();
      }
      Collections.shuffle(free, ThreadLocalRandom.current());
      CompletableFuture<Void> claim = new CompletableFuture<>();
      List<CompletableFuture<Void>> others = new ArrayList<>();
      SlotKey mine = null;
      for (int slot : free) {
        SlotKey key = new SlotKey(accountId, slot);
        CompletableFuture<Void> other = claiming.putIfAbsent(key, claim);
        if (other != null) {
          others.add(other);
        } else if (claimedSince(key, lookedAt)) {
          // Checked after publishing our claim: another thread's claim of this slot was then either still in
          // `claiming` (putIfAbsent returned it) or had already recorded its end, which is seen here.
          claiming.remove(key, claim);
        } else {
          mine = key;
          break;
        }
      }
      if (mine == null) {
        // Every free slot is being claimed, or was claimed since we looked, by another thread of this process:
        // wait for those claims and look again, rather than send writes that would lose to them. (Our own claim
        // was briefly visible, so someone may be waiting for it too.)
        claim.complete(null);
        others.forEach(CompletableFuture::join);
        continue;
      }
      try {
        SlotRecord row =
            new SlotRecord(resourceName, accountId, mine.slot(), holder, null, now + reservationTtl.toSeconds());
        if (slots.claim(row, now)) {
          return Optional.of(new HeldReservation(row));
        }
      } finally {
        lastClaimEnded.put(mine, claimsEnded.incrementAndGet()); // before the claim is seen to end
        claiming.remove(mine, claim);
        claim.complete(null);
      }
    }
    return Optional.empty();
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
   * The slots a new reservation may take: none when {@code limit} or more rows are live; otherwise the free (absent
   * or expired) slots among {@code 0 .. limit - H - 1}, where {@code H} counts live rows at or above the limit.
   */
  private static List<Integer> freeSlots(List<SlotRecord> rows, long limit, long now) {
    Set<Integer> live = new HashSet<>();
    long liveAboveLimit = 0;
    for (SlotRecord row : rows) {
      if (row.liveAt(now)) {
        live.add(row.slot());
        if (row.slot() >= limit) {
          liveAboveLimit++;
        }
      }
    }
    List<Integer> free = new ArrayList<>();
    if (live.size() >= limit) {
      return free;
    }
    for (int slot = 0; slot < limit - liveAboveLimit; slot++) {
      if (!live.contains(slot)) {
        free.add(slot);
      }
    }
    return free;
  }

  @Override
  public boolean release(String resourceId) {
    Arguments.requireId("resourceId", resourceId);
    boolean released = false;
    for (SlotRecord row : slots.findByResourceId(resourceId)) {
      if (row.resourceName().equals(resourceName) && slots.delete(row)) {
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
    long now = clock.instant().getEpochSecond();
    return slots.list(resourceName, accountId).stream()
        .filter(row -> row.liveAt(now))
        .map(row -> new ActiveToken(resourceName, accountId, Integer.toString(row.slot()), row.resourceId(),
            Instant.ofEpochSecond(row.expirationTime())))
        .toList();
  }

  private ReservationNotFoundException lost(SlotRecord row, String what) {
    return new ReservationNotFoundException("the " + what + " in slot " + row.slot() + " of '" + resourceName
        + "' for account '" + row.accountId() + "' expired or was released; nothing was written",
        resourceName, row.accountId(), Integer.toString(row.slot()));
  }

  /** A reservation; its state moves from held to turned-into-a-token or deleted, once. */
  private final class HeldReservation implements Reservation {
    private final SlotRecord row;
    private final AtomicReference<String> state = new AtomicReference<>("held");

    HeldReservation(SlotRecord row) {
      this.row = row;
    }

    @Override
    public String id() {
      return Integer.toString(row.slot());
    }

    @Override
    public String accountId() {
      return row.accountId();
    }

    @Override
    public Instant expiresAt() {
      return Instant.ofEpochSecond(row.expirationTime());
    }

    @Override
    public Token createToken(String resourceId) {
      return createToken(resourceId, tokenTtl);
    }

    @Override
    public Token createToken(String resourceId, Duration ttl) {
      Arguments.requireId("resourceId", resourceId);
      Arguments.requireSeconds("ttl", ttl);
      if (!state.compareAndSet("held", "converting")) {
        throw new IllegalStateException("reservation " + id() + " is already " + state.get());
      }
      long now = clock.instant().getEpochSecond();
      SlotRecord token = new SlotRecord(resourceName, row.accountId(), row.slot(), row.holder(), resourceId,
          now + ttl.toSeconds());
      boolean converted;
      try {
        converted = slots.update(token, now);
      } catch (RuntimeException e) {
        state.set("held");
        throw e;
      }
      if (!converted) {
        state.set("lost");
        throw lost(row, "reservation");
      }
      state.set("a token");
      return new HeldToken(token);
    }

    @Override
    public void delete() {
      if (state.compareAndSet("held", "deleted")) {
        slots.delete(row);
      }
    }

    @Override
    public void close() {
      delete();
    }

    @Override
    public String toString() {
      return "Reservation[" + resourceName + ":" + row.accountId() + " slot " + row.slot() + ", " + state.get()
          + "]";
    }
  }

  private final class HeldToken implements Token {
    private final SlotRecord row;

    HeldToken(SlotRecord row) {
      this.row = row;
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
      return Integer.toString(row.slot());
    }

    @Override
    public Instant expiresAt() {
      return Instant.ofEpochSecond(row.expirationTime());
    }

    @Override
    public Token renew(Duration ttl) {
      Arguments.requireSeconds("ttl", ttl);
      long now = clock.instant().getEpochSecond();
      SlotRecord renewed = new SlotRecord(resourceName, row.accountId(), row.slot(), row.holder(), row.resourceId(),
          now + ttl.toSeconds());
      if (!slots.update(renewed, now)) {
        throw lost(row, "token");
      }
      return new HeldToken(renewed);
    }

    @Override
    public boolean release() {
      return slots.delete(row);
    }

    @Override
    public String toString() {
      return "Token[" + resourceName + ":" + row.accountId() + " slot " + row.slot() + ", " + row.resourceId() + "]";
    }
  }
}
