package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A reservation is one decision: one deadline, started once, reaches every store call it makes, and the limit is
 * resolved once, also when the failure policy decides (it once resolved the limit for its events, then the limiter
 * resolved it again, each under a deadline of its own), and also when a listener is registered (the live-slots
 * reporter between the limiter and the store once dropped the deadline).
 */
class NonFungibleDecisionDeadlineTest {

  /** The in-memory store, recording every call that a decision makes with the deadline it was given. */
  private static final class RecordingStore implements RateLimitStore {
    final InMemoryStore memory = InMemoryStore.create();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Deadline> deadlines = new CopyOnWriteArrayList<>();
    volatile boolean slotsDown;

    private void record(String call, Deadline deadline) {
      calls.add(call);
      deadlines.add(deadline);
    }

    @Override
    public LimitStore limits() {
      LimitStore limits = memory.limits();
      return new LimitStore() {
        @Override
        public Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
          record("find", deadline);
          return limits.find(resourceName, accountId, deadline);
        }

        @Override
        public Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
          record("listByResource", deadline);
          return limits.listByResource(resourceName, atMost, deadline);
        }

        @Override
        public void put(LimitRecord record) {
          limits.put(record);
        }

        @Override
        public boolean delete(String resourceName, String accountId) {
          return limits.delete(resourceName, accountId);
        }

        @Override
        public List<LimitRecord> listByService(String serviceName) {
          return limits.listByService(serviceName);
        }

        @Override
        public List<LimitRecord> listByResource(String resourceName) {
          return limits.listByResource(resourceName);
        }
      };
    }

    @Override
    public BucketStore buckets() {
      return memory.buckets();
    }

    @Override
    public SlotStore slots() {
      SlotStore slots = memory.slots();
      return new ForwardingSlotStore(slots) {
        @Override
        public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
          record("list", deadline);
          if (slotsDown) {
            throw new RateLimiterException("the non-fungible table is unavailable");
          }
          return super.list(resourceName, accountId, deadline);
        }

        @Override
        public boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline) {
          record("claim", deadline);
          return super.claim(row, nowEpochSecond, deadline);
        }
      };
    }

    /** Whether every recorded call was given one and the same bounded deadline. */
    boolean oneBoundedDeadline() {
      return !deadlines.isEmpty() && deadlines.get(0).isBounded()
          && deadlines.stream().allMatch(deadline -> deadline == deadlines.get(0));
    }

    void clear() {
      calls.clear();
      deadlines.clear();
    }
  }

  private final RecordingStore store = new RecordingStore();

  /** Limiters that cache no limit rows, so that each resolution is a read the store sees. */
  private NonFungibleLimiter limiter(FailureMode mode, boolean listened) {
    RateLimiters.Builder builder = RateLimiters.builder().store(store).failureMode(mode)
        .limitCacheTtl(Duration.ZERO).decisionTimeout(Duration.ofMinutes(1));
    if (listened) {
      builder.listener(new RateLimiterListener() {});
    }
    return builder.build().nonFungible("clusters", 1);
  }

  @ParameterizedTest(name = "listener registered: {0}")
  @ValueSource(booleans = {false, true})
  void aGrantedReservationResolvesItsLimitOnceAndPassesOneDeadlineToEveryCall(boolean listened) {
    NonFungibleLimiter clusters = limiter(FailureMode.FAIL_CLOSED, listened);
    Reservation reservation = clusters.reserve("acct");
    assertThat(reservation.degraded()).isFalse();
    assertThat(store.calls).containsExactly("find", "list", "claim");
    assertThat(store.oneBoundedDeadline()).isTrue();

    store.clear();
    assertThat(clusters.tryReserve("acct")).isEmpty();
    assertThat(store.calls).containsExactly("find", "list");
    assertThat(store.oneBoundedDeadline()).isTrue();
  }

  @Test
  void aDeniedReservationResolvesItsLimitOnce() {
    NonFungibleLimiter clusters = limiter(FailureMode.FAIL_CLOSED, false);
    clusters.reserve("acct");
    store.clear();
    assertThatThrownBy(() -> clusters.reserve("acct")).isInstanceOf(CapacityExhaustedException.class)
        .hasMessage("account 'acct' holds its limit of 1 live 'clusters' reservations and tokens");
    assertThat(store.calls).containsExactly("find", "list");
    assertThat(store.oneBoundedDeadline()).isTrue();
  }

  @Test
  void aFailOpenReservationResolvesItsLimitOnceUnderTheDeadlineOfItsStoreCalls() {
    NonFungibleLimiter clusters = limiter(FailureMode.FAIL_OPEN, false);
    store.slotsDown = true;
    assertThat(clusters.reserve("acct").degraded()).isTrue();
    assertThat(store.calls).containsExactly("find", "list");
    assertThat(store.oneBoundedDeadline()).isTrue();

    store.clear();
    assertThat(clusters.tryReserve("acct")).hasValueSatisfying(r -> assertThat(r.degraded()).isTrue());
    assertThat(store.calls).containsExactly("find", "list");
    assertThat(store.oneBoundedDeadline()).isTrue();
  }

  @Test
  void aDegradedReservationAndItsTokenKeepTheirChecks() {
    NonFungibleLimiter clusters = limiter(FailureMode.FAIL_OPEN, false);
    store.slotsDown = true;
    Reservation reservation = clusters.reserve("acct");
    assertThatThrownBy(() -> reservation.createToken(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> reservation.createToken("j-1", Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class);
    reservation.delete(); // holds nothing, so deleting changes nothing: it can still become a token
    assertThat(reservation.createToken("j-1").reservationId()).isEqualTo("degraded");
    assertThatThrownBy(() -> reservation.createToken("j-2")).isInstanceOf(IllegalStateException.class)
        .hasMessage("reservation degraded is already a token");
    assertThat(reservation).hasToString("Reservation[clusters:acct, degraded: holds no slot]");
  }
}
