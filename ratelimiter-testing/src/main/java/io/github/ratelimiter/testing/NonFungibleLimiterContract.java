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
import io.github.ratelimiter.store.LimitRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

  @Test
  void grantsReservationsUpToTheLimitThenThrows() {
    NonFungibleLimiter clusters = limiters().nonFungible("cluster", 3);
    List<Reservation> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(clusters.reserve("acct"));
    }
    assertThat(held).extracting(Reservation::id).containsExactlyInAnyOrder("0", "1", "2");
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
    assertThat(fresh.id()).isEqualTo(stale.id());
    assertThatThrownBy(() -> stale.createToken("j-stale"))
        .isInstanceOfSatisfying(ReservationNotFoundException.class,
            e -> assertThat(e.reservationId()).isEqualTo(stale.id()));
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
        CountDownLatch gate = new CountDownLatch(1);
        List<Future<Optional<Reservation>>> asks = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          NonFungibleLimiter instance = instances.get(t % 2);
          asks.add(pool.submit(() -> {
            gate.await();
            return instance.tryReserve("tenant");
          }));
        }
        gate.countDown();
        int granted = 0;
        for (Future<Optional<Reservation>> ask : asks) {
          if (ask.get(60, TimeUnit.SECONDS).isPresent()) {
            granted++;
          }
        }
        assertThat(granted).as("granted in round %d", round).isEqualTo(5);
        assertThat(instances.get(1).activeTokens("tenant")).hasSize(5);
        clock.advance(Duration.ofSeconds(300));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
