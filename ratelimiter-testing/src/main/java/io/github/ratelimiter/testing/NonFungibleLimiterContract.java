package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.ReservationNotFoundException;
import io.github.ratelimiter.Token;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every store must give non-fungible limiters. A store's test extends this and says how to open the
 * store under test; every test runs on a {@link ManualClock}.
 */
public abstract class NonFungibleLimiterContract extends StoreContract {

  /** For a store implementation's test class. */
  protected NonFungibleLimiterContract() {}

  /**
   * Plants a row as the Python library rate-limiter-py writes it into the shared table: a reservation (its
   * {@code resourceId} is its own {@code reservationId}, a UUID) or, when {@code resourceId} differs, a token, with
   * no holder. A store over a real table overrides this to write the row with the raw API, exactly as that library
   * does; this default writes it through the store's SPI.
   */
  protected void plantPythonRow(String resourceName, String accountId, String reservationId, String resourceId,
      long expirationTime) {
    // Claimed "at the end of time", so that it overwrites like the Python library's unconditional writes.
    openStore().slots().claim(
        new SlotRecord(resourceName, accountId, reservationId, null, resourceId, expirationTime), Long.MAX_VALUE,
        Deadline.none());
  }

  /** Plants a live Python reservation that was never turned into a token; returns its id. */
  private String plantPythonReservation(String resourceName, String accountId) {
    String id = UUID.randomUUID().toString();
    plantPythonRow(resourceName, accountId, id, id, clock.instant().getEpochSecond() + 300);
    return id;
  }

  @Test
  void grantsReservationsUpToTheLimitThenThrows() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 3);
    List<Reservation> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(clusters.reserve("acct"));
    }
    assertThat(held).extracting(Reservation::reservationId).containsExactlyInAnyOrder("0", "1", "2");
    assertThatThrownBy(() -> clusters.reserve("acct"))
        .isInstanceOfSatisfying(CapacityExhaustedException.class, e -> assertThat(e.retryAfter()).isEmpty())
        .hasMessageContaining("holds its limit of 3");
    assertThat(clusters.tryReserve("acct")).isEmpty();
    assertThat(clusters.tryReserve("other")).isPresent();
  }

  @Test
  void closingAReservationWithoutATokenFreesItsSlot() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    try (Reservation reservation = clusters.reserve("acct")) {
      assertThat(clusters.tryReserve("acct")).isEmpty();
      assertThat(reservation.expiresAt()).isEqualTo(clock.instant().plusSeconds(300));
    }
    assertThat(clusters.activeTokens("acct")).isEmpty();
    assertThat(clusters.tryReserve("acct")).isPresent();
  }

  @Test
  @SuppressWarnings("try") // the reservation is only closed, by the exception
  void aReservationClosedByAnExceptionFreesItsSlot() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    assertThatThrownBy(() -> {
      try (Reservation reservation = clusters.reserve("acct")) {
        throw new IllegalStateException("the launch failed");
      }
    }).hasMessage("the launch failed");
    assertThat(clusters.tryReserve("acct")).isPresent();
  }

  @Test
  void aTokenKeepsItsSlotAfterTheReservationCloses() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    Token token;
    try (Reservation reservation = clusters.reserve("acct")) {
      token = reservation.createToken("j-1");
    }
    assertThat(token.resourceId()).isEqualTo("j-1");
    assertThat(token.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(8)));
    assertThat(clusters.tryReserve("acct")).isEmpty();
    List<ActiveToken> active = clusters.activeTokens("acct");
    assertThat(active).singleElement().satisfies(t -> {
      assertThat(t.resourceId()).isEqualTo("j-1");
      assertThat(t.isReservation()).isFalse();
      assertThat(t.reservationId()).isEqualTo("0");
    });
  }

  @Test
  void aTokenCannotBeCreatedTwice() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 2);
    Reservation reservation = clusters.reserve("acct");
    reservation.createToken("j-1");
    assertThatThrownBy(() -> reservation.createToken("j-2")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void expiredReservationsAndTokensNeverCount() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 2);
    clusters.reserve("acct");
    clusters.reserve("acct").createToken("j-1", Duration.ofSeconds(600));
    clock.advance(Duration.ofSeconds(299));
    assertThat(clusters.activeTokens("acct")).hasSize(2);
    clock.advance(Duration.ofSeconds(1));
    assertThat(clusters.activeTokens("acct")).extracting(ActiveToken::resourceId).containsExactly("j-1");
    assertThat(clusters.tryReserve("acct")).isPresent();
    clock.advance(Duration.ofSeconds(299));
    assertThat(clusters.activeTokens("acct")).as("the token lives 600 s, the new reservation 300 s").hasSize(2);
    clock.advance(Duration.ofSeconds(1));
    assertThat(clusters.activeTokens("acct")).isEmpty();
    assertThat(clusters.tryReserve("acct")).isPresent();
  }

  @Test
  void createTokenOnAnExpiredAndRetakenSlotFailsAndLeavesTheNewHolderAlone() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    Reservation stale = clusters.reserve("acct");
    clock.advance(Duration.ofSeconds(300));
    Reservation fresh = clusters.reserve("acct");
    assertThat(fresh.reservationId()).isEqualTo(stale.reservationId());
    assertThatThrownBy(() -> stale.createToken("j-stale"))
        .isInstanceOfSatisfying(ReservationNotFoundException.class,
            e -> assertThat(e.reservationId()).isEqualTo(stale.reservationId()));
    stale.close();
    assertThat(clusters.activeTokens("acct")).singleElement().satisfies(t -> {
      assertThat(t.isReservation()).isTrue();
      assertThat(t.expiresAt()).isEqualTo(fresh.expiresAt());
    });
    assertThat(fresh.createToken("j-fresh").resourceId()).isEqualTo("j-fresh");
  }

  @Test
  void createTokenOnAnExpiredReservationFailsEvenWhenNobodyTookTheSlot() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    Reservation reservation = clusters.reserve("acct");
    clock.advance(Duration.ofSeconds(300));
    assertThatThrownBy(() -> reservation.createToken("j-1")).isInstanceOf(ReservationNotFoundException.class);
    assertThat(clusters.activeTokens("acct")).isEmpty();
  }

  @Test
  void releaseByResourceIdFreesExactlyOneSlotAndIsIdempotent() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 2);
    clusters.reserve("acct").createToken("j-1");
    clusters.reserve("acct").createToken("j-2");
    assertThat(clusters.release("j-1")).isTrue();
    assertThat(clusters.activeTokens("acct")).extracting(ActiveToken::resourceId).containsExactly("j-2")
        .hasSize(1);
    assertThat(clusters.release("j-1")).isFalse();
    assertThat(clusters.release("unknown")).isFalse();
    assertThat(clusters.activeTokens("acct")).hasSize(1);
  }

  @Test
  void releaseByResourceIdLeavesOtherResourcesAlone() {
    RateLimiters limiters = limiters();
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 1);
    NonFungibleLimiter exports = limiters.nonFungible("export", 1);
    clusters.reserve("acct").createToken("same-id");
    exports.reserve("acct").createToken("same-id");
    assertThat(clusters.release("same-id")).isTrue();
    assertThat(exports.activeTokens("acct")).hasSize(1);
  }

  @Test
  void aTokenCanBeRenewedUntilItExpiresAndReleasedOnce() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    Token token = clusters.reserve("acct").createToken("j-1", Duration.ofSeconds(60));
    clock.advance(Duration.ofSeconds(59));
    Token renewed = token.renew(Duration.ofSeconds(60));
    assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plusSeconds(60));
    clock.advance(Duration.ofSeconds(59));
    assertThat(clusters.activeTokens("acct")).hasSize(1);
    assertThat(renewed.release()).isTrue();
    assertThat(renewed.release()).isFalse();
    assertThatThrownBy(() -> renewed.renew(Duration.ofSeconds(60))).isInstanceOf(ReservationNotFoundException.class);
  }

  @Test
  void anExpiredTokenCannotBeRenewed() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 1);
    Token token = clusters.reserve("acct").createToken("j-1", Duration.ofSeconds(60));
    clock.advance(Duration.ofSeconds(60));
    assertThatThrownBy(() -> token.renew(Duration.ofSeconds(60))).isInstanceOf(ReservationNotFoundException.class);
  }

  @Test
  void aLimitRowOverridesTheDefaultAndZeroBlocks() {
    RateLimiters limiters = limiters();
    limiters.store().limits().put(new LimitRecord("cluster", "big", 3, null, null));
    limiters.store().limits().put(new LimitRecord("cluster", "banned", 0, null, null));
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 1);
    assertThat(clusters.limitFor("big")).isEqualTo(3);
    for (int i = 0; i < 3; i++) {
      clusters.reserve("big");
    }
    assertThat(clusters.tryReserve("big")).isEmpty();
    assertThatThrownBy(() -> clusters.reserve("banned")).isInstanceOf(CapacityExhaustedException.class)
        .hasMessageContaining("no capacity");
  }

  @Test
  void aLoweredLimitRevokesNothingAndGrantsAgainOnlyBelowTheNewLimit() {
    RateLimiters limiters = limiters();
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 4);
    List<Token> tokens = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      tokens.add(clusters.reserve("acct").createToken("j-" + i));
    }
    limiters.store().limits().put(new LimitRecord("cluster", "acct", 2, null, null));
    clock.advance(Duration.ofSeconds(30));
    assertThat(clusters.limitFor("acct")).isEqualTo(2);
    assertThat(clusters.activeTokens("acct")).hasSize(4);
    assertThat(clusters.tryReserve("acct")).isEmpty();
    tokens.get(0).release();
    tokens.get(1).release();
    assertThat(clusters.tryReserve("acct")).as("holds 2 of 2").isEmpty();
    tokens.get(2).release();
    assertThat(clusters.tryReserve("acct")).as("holds 1 of 2").isPresent();
    assertThat(clusters.tryReserve("acct")).as("holds 2 of 2 again").isEmpty();
    assertThat(clusters.activeTokens("acct")).hasSize(2);
  }

  @Test
  void badArgumentsAreRejected() {
    RateLimiters limiters = limiters();
    assertThatThrownBy(() -> limiters.nonFungible("a:b", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("':'");
    assertThatThrownBy(() -> limiters.nonFungible("a", -1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultLimit must not be negative: -1");
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 1);
    assertThatThrownBy(() -> clusters.reserve("")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accountId");
    Reservation reservation = clusters.reserve("acct");
    assertThatThrownBy(() -> reservation.createToken(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resourceId");
    assertThatThrownBy(() -> reservation.createToken("j-1", Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
    assertThat(reservation.createToken("j-1").resourceId()).isEqualTo("j-1");
  }

  @Test
  void livePythonRowsCountTowardTheCapAndExpiredOnesDoNot() {
    RateLimiters limiters = limiters();
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 3);
    long now = clock.instant().getEpochSecond();
    for (int k = 1; k <= 3; k++) {
      String account = "acct-" + k;
      plantPythonRow("cluster", account, UUID.randomUUID().toString(), "j-expired-" + k, now);
      for (int i = 0; i < k; i++) {
        if (i % 2 == 0) {
          plantPythonReservation("cluster", account);
        } else {
          plantPythonRow("cluster", account, UUID.randomUUID().toString(), "j-py-" + k + "-" + i, now + 28_800);
        }
      }
      int granted = 0;
      while (clusters.tryReserve(account).isPresent()) {
        granted++;
      }
      assertThat(granted).as("granted with %d live Python rows under a cap of 3", k).isEqualTo(3 - k);
      List<ActiveToken> live = clusters.activeTokens(account);
      assertThat(live).hasSize(3);
      assertThat(live).filteredOn(ActiveToken::foreign).hasSize(k);
      assertThat(live).filteredOn(t -> !t.foreign()).extracting(ActiveToken::reservationId)
          .allSatisfy(id -> assertThat(Integer.parseInt(id)).isBetween(0, 2));
    }
    assertThat(clusters.activeTokens("acct-1")).filteredOn(ActiveToken::foreign).singleElement()
        .satisfies(t -> assertThat(t.isReservation()).as("a Python reservation lists as one").isTrue());
  }

  @Test
  void pythonTokensAndReservationsAreReleasedByResourceIdAndFreeTheirCapacity() {
    RateLimiters limiters = limiters();
    NonFungibleLimiter clusters = limiters.nonFungible("cluster", 2);
    plantPythonRow("cluster", "acct", UUID.randomUUID().toString(), "j-py", clock.instant().getEpochSecond() + 28_800);
    String reservation = plantPythonReservation("cluster", "acct");
    assertThat(clusters.tryReserve("acct")).isEmpty();

    assertThat(clusters.release("j-py")).isTrue();
    assertThat(clusters.release("j-py")).isFalse();
    assertThat(clusters.activeTokens("acct")).extracting(ActiveToken::reservationId).containsExactly(reservation);
    assertThat(clusters.tryReserve("acct")).isPresent();
    assertThat(clusters.release(reservation)).isTrue();
    assertThat(clusters.tryReserve("acct")).isPresent();
    assertThat(clusters.activeTokens("acct")).extracting(ActiveToken::foreign).containsExactly(false, false);
  }

  @Test
  void aPythonRowIsDeletedOnlyWhileItStillCarriesTheResourceIdItWasFoundBy() {
    RateLimiters limiters = limiters();
    SlotStore slots = limiters.store().slots();
    String id = UUID.randomUUID().toString();
    long expires = clock.instant().getEpochSecond() + 300;
    plantPythonRow("cluster", "acct", id, id, expires);
    SlotRecord found = slots.findByResourceId(id).get(0);
    assertThat(found.isForeign()).isTrue();
    // The Python library's create_token rewrites the row with the cluster id (an unconditional update).
    plantPythonRow("cluster", "acct", id, "j-1", expires + 28_500);

    assertThat(slots.delete(found)).as("the row now carries another resource id").isFalse();
    assertThat(limiters.nonFungible("cluster", 1).activeTokens("acct")).extracting(ActiveToken::resourceId)
        .containsExactly("j-1");
    assertThat(slots.delete(slots.findByResourceId("j-1").get(0))).isTrue();
    assertThat(slots.list("cluster", "acct", Deadline.none())).isEmpty();
  }

  /**
   * The mixed-fleet form of the test below: the coordinate holds {@code K = 2} live Python rows (planted afresh each
   * round, beside an expired one) under a cap of {@code L = 5}; 16 threads from two instances ask at once, 20 rounds.
   * Every round exactly {@code L - K = 3} are granted.
   */
  @Test
  void sixteenThreadsFromTwoInstancesAreGrantedExactlyTheCapMinusThePythonRowsEveryRound() throws Exception {
    int cap = 5;
    int foreign = 2;
    List<NonFungibleLimiter> instances =
        List.of(limiters().nonFungible("cluster", cap), limiters().nonFungible("cluster", cap));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Integer> grantedPerRound = new ArrayList<>();
    try {
      for (int round = 0; round < 20; round++) {
        long now = clock.instant().getEpochSecond();
        plantPythonRow("cluster", "tenant", UUID.randomUUID().toString(), "j-old-" + round, now);
        plantPythonReservation("cluster", "tenant");
        plantPythonRow("cluster", "tenant", UUID.randomUUID().toString(), "j-" + round, now + 300);
        int granted = grantedAtOnce(pool, instances, "tenant");
        grantedPerRound.add(granted);
        assertThat(granted).as("granted in round %d", round).isEqualTo(cap - foreign);
        assertThat(instances.get(1).activeTokens("tenant")).hasSize(cap);
        clock.advance(Duration.ofSeconds(300));
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf("%s: granted per round with %d Python rows under a cap of %d: %s%n",
        getClass().getSimpleName(), foreign, cap, grantedPerRound);
  }

  /**
   * 16 threads from two limiter instances (two separately opened stores) each ask once under a limit of 5, released
   * together; 20 rounds. Every round exactly 5 are granted. Between rounds the clock moves past the reservation
   * time to live, so each round also reclaims the previous round's expired slots; and in every other round the
   * slots are first filled by reservations that expire at the very instant the threads are released.
   */
  @Test
  void sixteenThreadsFromTwoInstancesAreGrantedExactlyTheLimitEveryRound() throws Exception {
    List<NonFungibleLimiter> instances =
        List.of(limiters().nonFungible("cluster", 5), limiters().nonFungible("cluster", 5));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      for (int round = 0; round < 20; round++) {
        if (round % 2 == 1) {
          for (int i = 0; i < 5; i++) {
            instances.get(0).reserve("tenant");
          }
          clock.advance(Duration.ofSeconds(300));
        }
        int granted = grantedAtOnce(pool, instances, "tenant");
        assertThat(granted).as("granted in round %d", round).isEqualTo(5);
        assertThat(instances.get(1).activeTokens("tenant")).hasSize(5);
        clock.advance(Duration.ofSeconds(300));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * 16 reservations of {@code account} asked at once, alternately through each of the two {@code instances}, on
   * {@code pool}'s threads, released by one latch: how many were granted.
   */
  private static int grantedAtOnce(ExecutorService pool, List<NonFungibleLimiter> instances, String account)
      throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    List<Future<Optional<Reservation>>> asks = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      NonFungibleLimiter instance = instances.get(t % 2);
      asks.add(pool.submit(() -> {
        gate.await();
        return instance.tryReserve(account);
      }));
    }
    gate.countDown();
    int granted = 0;
    for (Future<Optional<Reservation>> ask : asks) {
      if (ask.get(60, TimeUnit.SECONDS).isPresent()) {
        granted++;
      }
    }
    return granted;
  }
}
