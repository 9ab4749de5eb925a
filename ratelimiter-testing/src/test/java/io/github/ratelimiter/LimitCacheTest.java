package io.github.ratelimiter;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A limiter keeps the limit of the account it decided last while the limit cache's answer holds: a run of decisions
 * for one account still sees a changed row exactly when the cache would, and other accounts in between change
 * nothing.
 */
class LimitCacheTest {

  private static final Limit DEFAULT = Limit.of(5, Duration.ofSeconds(1));

  private final ManualClock clock = ManualClock.create();
  private final InMemoryStore store = InMemoryStore.create();

  private static LimitRecord row(String account, long limit) {
    return new LimitRecord("api", account, limit, Duration.ofSeconds(1), null);
  }

  @Test
  void aRunForOneAccountSeesAChangedRowWhenTheCacheIsRefreshed() {
    store.limits().put(row("a", 1_000));
    FungibleLimiter api = RateLimiters.builder().store(store).clock(clock).limitCacheTtl(Duration.ofSeconds(30))
        .build().fungible("api", DEFAULT);
    assertThat(api.tryAcquire("a").limit()).isEqualTo(Limit.of(1_000, Duration.ofSeconds(1)));
    store.limits().put(row("a", 2_000));
    store.limits().put(row("b", 3));
    clock.advance(Duration.ofSeconds(27).minusNanos(1));
    assertThat(api.tryAcquire("a").limit()).as("before the refresh").isEqualTo(Limit.of(1_000, Duration.ofSeconds(1)));
    assertThat(api.tryAcquire("b").limit()).as("b's new row is not read yet either").isEqualTo(DEFAULT);
    assertThat(api.tryAcquire("a").limit()).isEqualTo(Limit.of(1_000, Duration.ofSeconds(1)));
    clock.advance(Duration.ofNanos(1)); // 27 s, nine tenths of the time to live: the rows are read again
    assertThat(api.tryAcquire("a").limit()).isEqualTo(Limit.of(2_000, Duration.ofSeconds(1)));
    assertThat(api.tryAcquire("b").limit()).isEqualTo(Limit.of(3, Duration.ofSeconds(1)));
    assertThat(api.tryAcquire("c").limit()).isEqualTo(DEFAULT);
    assertThat(api.tryAcquire("a").limit()).isEqualTo(Limit.of(2_000, Duration.ofSeconds(1)));
    assertThat(api.limitFor("a")).isEqualTo(Limit.of(2_000, Duration.ofSeconds(1)));
  }

  @Test
  void withoutACacheEveryDecisionSeesTheRowAsItIs() {
    FungibleLimiter api = RateLimiters.builder().store(store).clock(clock).limitCacheTtl(Duration.ZERO).build()
        .fungible("api", DEFAULT);
    assertThat(api.tryAcquire("a").limit()).isEqualTo(DEFAULT);
    store.limits().put(row("a", 0));
    Decision blocked = api.tryAcquire("a");
    assertThat(blocked.allowed()).isFalse();
    assertThat(blocked.limit().blocks()).isTrue();
    store.limits().put(row("a", 2));
    assertThat(api.tryAcquire("a").limit()).isEqualTo(Limit.of(2, Duration.ofSeconds(1)));
  }

  @Test
  void aBlockedAccountThenItsRowRaisedIsGrantedOnTheSameRun() {
    store.limits().put(row("a", 0));
    FungibleLimiter api = RateLimiters.builder().store(store).clock(clock).limitCacheTtl(Duration.ofSeconds(1))
        .build().fungible("api", DEFAULT);
    for (int i = 0; i < 3; i++) {
      assertThat(api.tryAcquire("a").allowed()).isFalse();
    }
    store.limits().put(row("a", 2));
    clock.advance(Duration.ofMillis(900)); // nine tenths of 1 s
    assertThat(api.tryAcquire("a").allowed()).isTrue();
    assertThat(api.tryAcquire("a").allowed()).isTrue();
    assertThat(api.tryAcquire("a").allowed()).as("the new limit, 2, is exhausted").isFalse();
  }
}
