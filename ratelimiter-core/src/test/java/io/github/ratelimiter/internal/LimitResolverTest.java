package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** How many reads of the limit rows the resolver makes: one per resource while it is small, else one per account. */
class LimitResolverTest {

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
  private final Clock clock = new Clock() {
    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  };
  private final InMemoryStore store = InMemoryStore.create();
  private final CountingLimits limits = new CountingLimits(store.limits());

  private static LimitRecord row(String account, long limit) {
    return new LimitRecord("api", account, limit, Duration.ofSeconds(1), null);
  }

  @Test
  void aSmallResourceIsReadOnceForAllItsAccountsUntilTheTimeToLivePasses() {
    store.limits().put(row("a", 5));
    store.limits().put(row("b", 7));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    assertThat(resolver.find("api", "a")).contains(row("a", 5));
    assertThat(resolver.find("api", "b")).contains(row("b", 7));
    for (int i = 0; i < 100; i++) {
      assertThat(resolver.find("api", "quiet-" + i)).isEmpty();
    }
    assertThat(limits.wholeReads).isEqualTo(1);
    assertThat(limits.pointReads).isZero();

    store.limits().put(row("a", 1));
    now.set(now.get().plusSeconds(30));
    assertThat(resolver.find("api", "a")).contains(row("a", 1));
    assertThat(limits.wholeReads).isEqualTo(2);
  }

  @Test
  void aResourceAskedAboutNearExpiryIsRefreshedAheadByOneCallerAndAFailedRefreshKeepsTheOldRows() {
    store.limits().put(row("a", 5));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    resolver.find("api", "a");
    store.limits().put(row("a", 1));
    now.set(now.get().plusSeconds(26));
    assertThat(resolver.find("api", "a")).as("before the last tenth").contains(row("a", 5));
    assertThat(limits.wholeReads).isEqualTo(1);

    now.set(now.get().plusSeconds(1)); // 27 s: the last tenth of the time to live
    limits.failing = true;
    assertThat(resolver.find("api", "a")).as("refresh failed, old rows serve").contains(row("a", 5));
    limits.failing = false;
    assertThat(resolver.find("api", "a")).as("the next caller refreshes").contains(row("a", 1));
    assertThat(resolver.find("api", "a")).contains(row("a", 1));
    assertThat(limits.wholeReads).isEqualTo(3);
  }

  @Test
  void aResourceWithMoreRowsIsReadOneAccountAtATimeAbsentRowsIncluded() {
    store.limits().put(row("a", 5));
    store.limits().put(row("b", 7));
    store.limits().put(row("c", 9));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    for (int i = 0; i < 3; i++) {
      assertThat(resolver.find("api", "c")).contains(row("c", 9));
      assertThat(resolver.find("api", "quiet")).isEmpty();
    }
    assertThat(limits.wholeReads).isEqualTo(1);
    assertThat(limits.pointReads).isEqualTo(2);
  }

  @Test
  void aZeroTimeToLiveReadsEveryTime() {
    store.limits().put(row("a", 5));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ZERO, 2);
    resolver.find("api", "a");
    resolver.find("api", "a");
    assertThat(limits.pointReads).isEqualTo(2);
    assertThat(limits.wholeReads).isZero();
  }

  /** The in-memory limits, counting the reads a resolver makes. */
  private static final class CountingLimits implements LimitStore {
    private final LimitStore delegate;
    int wholeReads;
    int pointReads;
    boolean failing;

    CountingLimits(LimitStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public Optional<LimitRecord> find(String resourceName, String accountId) {
      pointReads++;
      return delegate.find(resourceName, accountId);
    }

    @Override
    public Optional<List<LimitRecord>> listByResource(String resourceName, int atMost) {
      wholeReads++;
      if (failing) {
        throw new RateLimiterException("the limit table is unavailable");
      }
      return delegate.listByResource(resourceName, atMost);
    }

    @Override
    public void put(LimitRecord record) {
      delegate.put(record);
    }

    @Override
    public boolean delete(String resourceName, String accountId) {
      return delegate.delete(resourceName, accountId);
    }

    @Override
    public List<LimitRecord> listByService(String serviceName) {
      return delegate.listByService(serviceName);
    }

    @Override
    public List<LimitRecord> listByResource(String resourceName) {
      return delegate.listByResource(resourceName);
    }
  }
}
