package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener.DecisionOutcome;
import io.github.ratelimiter.RateLimiterListener.LimiterKind;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.Token;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every store must give limiters when it fails: {@link FailureMode#FAIL_CLOSED} throws a
 * {@link RateLimiterException} (never the store client's own exception type), {@link FailureMode#FAIL_OPEN} admits
 * and says degraded, per limiter, on the write paths (a bucket's update, a slot's query and claim) as well as on the
 * limit read, and the listener hears every such decision.
 *
 * <p>The outage is real for the store under test: a store's test says how to open one that cannot reach its server
 * ({@link #openUnreachableStore()}; for DynamoDB a client pointed at a closed port). The limits are first read (and
 * cached) through the working store; then buckets and slots, or everything, switch to the unreachable one, as when
 * the server goes away while a service runs.
 */
public abstract class FailurePolicyContract extends StoreContract {

  /** For a store implementation's test class. */
  protected FailurePolicyContract() {}

  private static final Limit TEN_PER_SECOND = Limit.of(10, Duration.ofSeconds(1));

  private final RecordingListener heard = new RecordingListener();
  private RateLimiters opened;

  /** A store over the same kind of server as {@link #openStore()}, whose every request fails as if it were down. */
  protected abstract RateLimitStore openUnreachableStore();

  @AfterEach
  void closeOutageLimiters() {
    if (opened != null) {
      opened.close();
    }
  }

  /** The store under test, with a switch that sends buckets and slots (and limits, if asked) to an unreachable one. */
  private static final class OutageStore implements RateLimitStore {
    final RateLimitStore up;
    final RateLimitStore down;
    final AtomicBoolean writesDown = new AtomicBoolean();
    final AtomicBoolean limitsDown = new AtomicBoolean();

    OutageStore(RateLimitStore up, RateLimitStore down) {
      this.up = up;
      this.down = down;
    }

    @Override
    public LimitStore limits() {
      return (LimitStore) Proxy.newProxyInstance(LimitStore.class.getClassLoader(),
          new Class<?>[] {LimitStore.class}, (proxy, method, args) -> invoke(method, limitsDown.get()
              ? down.limits() : up.limits(), args));
    }

    @Override
    public BucketStore buckets() {
      return request -> (writesDown.get() ? down : up).buckets().consume(request);
    }

    @Override
    public SlotStore slots() {
      return (SlotStore) Proxy.newProxyInstance(SlotStore.class.getClassLoader(),
          new Class<?>[] {SlotStore.class}, (proxy, method, args) -> invoke(method,
              writesDown.get() && !method.getName().equals("remote") ? down.slots() : up.slots(), args));
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }

    @Override
    public void close() {
      up.close();
      down.close();
    }
  }

  private OutageStore store;

  /** Limiters over an {@link OutageStore}, failing as {@code mode} says unless a limiter's options say otherwise. */
  private RateLimiters limiters(FailureMode mode) {
    store = new OutageStore(openStore(), openUnreachableStore());
    opened = RateLimiters.builder().store(store).clock(clock).sleeper(clock::advance).failureMode(mode)
        .listener(heard).build();
    return opened;
  }

  @Test
  void failClosedThrowsTheLibrarysExceptionWhenABucketUpdateFails() {
    FungibleLimiter api = limiters(FailureMode.FAIL_CLOSED).fungible("api", TEN_PER_SECOND);
    assertThat(api.tryAcquire("acct").allowed()).isTrue(); // limits read and cached, bucket written
    store.writesDown.set(true);
    assertThatThrownBy(() -> api.tryAcquire("acct"))
        .isExactlyInstanceOf(RateLimiterException.class)
        .hasCauseInstanceOf(Exception.class);
    assertThatThrownBy(() -> api.acquire("acct")).isExactlyInstanceOf(RateLimiterException.class);
    assertThat(heard.decisions("api", LimiterKind.FUNGIBLE, DecisionOutcome.ERROR, true)).isEqualTo(2);
    assertThat(heard.decisions("api", LimiterKind.FUNGIBLE, DecisionOutcome.ALLOWED)).isEqualTo(1);
  }

  @Test
  void failOpenAdmitsDegradedWhenABucketUpdateFailsAndCountsNothing() {
    FungibleLimiter api = limiters(FailureMode.FAIL_OPEN).fungible("api", Limit.of(2, Duration.ofSeconds(1)));
    assertThat(api.tryAcquire("acct").degraded()).isFalse();
    store.writesDown.set(true);
    for (int i = 0; i < 5; i++) {
      Decision decision = api.tryAcquire("acct");
      assertThat(decision.allowed()).isTrue();
      assertThat(decision.degraded()).isTrue();
    }
    assertThat(heard.decisions("api", LimiterKind.FUNGIBLE, DecisionOutcome.DEGRADED, true)).isEqualTo(5);
    store.writesDown.set(false);
    // the degraded admissions took nothing from the bucket: one of its two permits is still there
    assertThat(api.tryAcquire("acct").allowed()).isTrue();
    assertThat(api.tryAcquire("acct").allowed()).isFalse();
  }

  @Test
  void theFailureModeIsPerLimiter() {
    RateLimiters limiters = limiters(FailureMode.FAIL_CLOSED);
    FungibleLimiter strict = limiters.fungible("strict", TEN_PER_SECOND);
    FungibleLimiter lenient = limiters.fungible("lenient", TEN_PER_SECOND,
        LimiterOptions.builder().failureMode(FailureMode.FAIL_OPEN).build());
    strict.tryAcquire("acct");
    lenient.tryAcquire("acct");
    store.writesDown.set(true);
    assertThatThrownBy(() -> strict.tryAcquire("acct")).isExactlyInstanceOf(RateLimiterException.class);
    assertThat(lenient.tryAcquire("acct").degraded()).isTrue();
  }

  @Test
  void failOpenAndFailClosedWhenTheLimitReadFailsToo() {
    RateLimiters limiters = limiters(FailureMode.FAIL_OPEN);
    store.writesDown.set(true);
    store.limitsDown.set(true);
    assertThat(limiters.fungible("api", TEN_PER_SECOND).tryAcquire("acct").degraded()).isTrue();
    assertThat(limiters.nonFungible("clusters", 3).reserve("acct").degraded()).isTrue();
    FungibleLimiter strict = limiters.fungible("strict", TEN_PER_SECOND,
        LimiterOptions.builder().failureMode(FailureMode.FAIL_CLOSED).build());
    assertThatThrownBy(() -> strict.tryAcquire("acct")).isExactlyInstanceOf(RateLimiterException.class);
    assertThat(heard.limitRefreshes("api", false)).isEqualTo(1);
    assertThat(heard.decisions("clusters", LimiterKind.NON_FUNGIBLE, DecisionOutcome.DEGRADED)).isEqualTo(1);
  }

  @Test
  void failClosedThrowsTheLibrarysExceptionWhenASlotCannotBeTaken() {
    NonFungibleLimiter clusters = limiters(FailureMode.FAIL_CLOSED).nonFungible("clusters", 3);
    clusters.reserve("acct").close(); // limits read and cached
    store.writesDown.set(true);
    assertThatThrownBy(() -> clusters.reserve("acct")).isExactlyInstanceOf(RateLimiterException.class);
    assertThatThrownBy(() -> clusters.tryReserve("acct")).isExactlyInstanceOf(RateLimiterException.class);
    assertThat(heard.decisions("clusters", LimiterKind.NON_FUNGIBLE, DecisionOutcome.ERROR, true)).isEqualTo(2);
  }

  @Test
  void failOpenGrantsADegradedReservationThatHoldsNothingAndNeverThrows() {
    NonFungibleLimiter clusters = limiters(FailureMode.FAIL_OPEN).nonFungible("clusters", 1);
    clusters.reserve("acct").close();
    store.writesDown.set(true);
    Reservation reservation = clusters.reserve("acct");
    assertThat(reservation.degraded()).isTrue();
    assertThat(reservation.reservationId()).isEqualTo("degraded");
    assertThat(reservation.expiresAt()).isEqualTo(clock.instant().plusSeconds(300));
    Token token = reservation.createToken("cluster-1");
    assertThat(token.degraded()).isTrue();
    assertThat(token.resourceId()).isEqualTo("cluster-1");
    assertThat(token.renew(Duration.ofHours(1)).expiresAt()).isEqualTo(clock.instant().plusSeconds(3600));
    assertThatCode(() -> {
      assertThat(token.release()).isFalse();
      reservation.close();
    }).doesNotThrowAnyException();
    Optional<Reservation> another = clusters.tryReserve("acct");
    assertThat(another).hasValueSatisfying(r -> assertThat(r.degraded()).isTrue());
    assertThat(heard.decisions("clusters", LimiterKind.NON_FUNGIBLE, DecisionOutcome.DEGRADED, true)).isEqualTo(2);
    store.writesDown.set(false);
    // nothing was written during the outage: the one slot is free
    try (Reservation real = clusters.reserve("acct")) {
      assertThat(real.degraded()).isFalse();
      assertThat(clusters.tryReserve("acct")).isEmpty();
    }
  }

  @Test
  void aHeldReservationsTokenFailsLoudlyInEitherMode() {
    NonFungibleLimiter clusters = limiters(FailureMode.FAIL_OPEN).nonFungible("clusters", 1);
    Reservation held = clusters.reserve("acct");
    store.writesDown.set(true);
    assertThatThrownBy(() -> held.createToken("cluster-1")).isExactlyInstanceOf(RateLimiterException.class);
    store.writesDown.set(false);
    assertThat(held.createToken("cluster-1").release()).isTrue();
  }
}
