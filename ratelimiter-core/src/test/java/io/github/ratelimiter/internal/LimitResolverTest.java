package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How many reads of the limit rows the resolver makes: one per resource while it is small, else one per account. */
class LimitResolverTest {

  /** Epoch nanoseconds of the decision asking; the resolver's clock is not read when the caller gives the time. */
  private long now = EpochNanos.fromInstant(Instant.parse("2026-01-01T00:00:00Z"));
  private final Clock clock = Clock.systemUTC();
  private final InMemoryStore store = InMemoryStore.create();
  private final CountingLimits limits = new CountingLimits(store.limits());

  private Optional<LimitRecord> find(LimitResolver resolver, String account) {
    return resolver.find("api", account, now, Deadline.none());
  }

  private void advance(long seconds) {
    now += Duration.ofSeconds(seconds).toNanos();
  }

  private static LimitRecord row(String account, long limit) {
    return new LimitRecord("api", account, limit, Duration.ofSeconds(1), null);
  }

  @Test
  void aSmallResourceIsReadOnceForAllItsAccountsUntilTheTimeToLivePasses() {
    store.limits().put(row("a", 5));
    store.limits().put(row("b", 7));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    assertThat(find(resolver, "a")).contains(row("a", 5));
    assertThat(find(resolver, "b")).contains(row("b", 7));
    for (int i = 0; i < 100; i++) {
      assertThat(find(resolver, "quiet-" + i)).isEmpty();
    }
    assertThat(limits.wholeReads).isEqualTo(1);
    assertThat(limits.pointReads).isZero();

    store.limits().put(row("a", 1));
    advance(30);
    assertThat(find(resolver, "a")).contains(row("a", 1));
    assertThat(limits.wholeReads).isEqualTo(2);
  }

  @Test
  void aResourceAskedAboutNearExpiryIsRefreshedAheadByOneCallerAndAFailedRefreshKeepsTheOldRows() {
    store.limits().put(row("a", 5));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    find(resolver, "a");
    store.limits().put(row("a", 1));
    advance(26);
    assertThat(find(resolver, "a")).as("before the last tenth").contains(row("a", 5));
    assertThat(limits.wholeReads).isEqualTo(1);

    advance(1); // 27 s: the last tenth of the time to live
    limits.failing = true;
    assertThat(find(resolver, "a")).as("refresh failed, old rows serve").contains(row("a", 5));
    limits.failing = false;
    assertThat(find(resolver, "a")).as("the next caller refreshes").contains(row("a", 1));
    assertThat(find(resolver, "a")).contains(row("a", 1));
    assertThat(limits.wholeReads).isEqualTo(3);
  }

  @Test
  void aResourceWithMoreRowsIsReadOneAccountAtATimeAbsentRowsIncluded() {
    store.limits().put(row("a", 5));
    store.limits().put(row("b", 7));
    store.limits().put(row("c", 9));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    for (int i = 0; i < 3; i++) {
      assertThat(find(resolver, "c")).contains(row("c", 9));
      assertThat(find(resolver, "quiet")).isEmpty();
    }
    assertThat(limits.wholeReads).isEqualTo(1);
    assertThat(limits.pointReads).isEqualTo(2);
  }

  @Test
  void perAccountRowsExpireOnTheDecisionsClockReadingAsResourceSnapshotsDo() {
    store.limits().put(row("a", 5));
    store.limits().put(row("b", 7));
    store.limits().put(row("c", 9));
    // The resolver's own clock never moves: only the decisions' time (now) may expire the cached rows.
    Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);
    LimitResolver resolver = new LimitResolver(limits, frozen, Duration.ofSeconds(30), 2);
    assertThat(find(resolver, "c")).contains(row("c", 9));
    assertThat(find(resolver, "quiet")).isEmpty();
    store.limits().put(row("c", 1));
    store.limits().put(row("quiet", 3));

    advance(29);
    assertThat(find(resolver, "c")).as("within the time to live").contains(row("c", 9));
    assertThat(find(resolver, "quiet")).isEmpty();
    assertThat(limits.pointReads).isEqualTo(2);

    advance(1);
    assertThat(find(resolver, "c")).as("at the time to live").contains(row("c", 1));
    assertThat(find(resolver, "quiet")).contains(row("quiet", 3));
    assertThat(limits.pointReads).isEqualTo(4);
  }

  @Test
  void aLookupSaysUntilWhenItsAnswerHolds() {
    store.limits().put(row("a", 5));
    LimitResolver small = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    long read = now;
    // A resource held whole: until its rows are due for a refresh (nine tenths of the time to live).
    assertThat(small.lookup("api", "a", now, Deadline.none())).isEqualTo(new LimitResolver.Lookup(row("a", 5), read + 27_000_000_000L));
    advance(10);
    assertThat(small.lookup("api", "quiet", now, Deadline.none())).isEqualTo(new LimitResolver.Lookup(null, read + 27_000_000_000L));

    store.limits().put(row("b", 7));
    store.limits().put(row("c", 9));
    LimitResolver large = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    long wholeRead = now;
    advance(10);
    long accountRead = now;
    large.lookup("api", "zzz", wholeRead, Deadline.none()); // reads the resource: too many rows
    // One account at a time: until its row expires, or the resource is read again, whichever is first.
    assertThat(large.lookup("api", "c", accountRead, Deadline.none()))
        .isEqualTo(new LimitResolver.Lookup(row("c", 9), wholeRead + 27_000_000_000L));
    LimitResolver fresh = new LimitResolver(limits, clock, Duration.ofSeconds(30), 2);
    fresh.lookup("api", "zzz", accountRead, Deadline.none());
    assertThat(fresh.lookup("api", "c", accountRead, Deadline.none()))
        .isEqualTo(new LimitResolver.Lookup(row("c", 9), accountRead + 27_000_000_000L));
    advance(1);
    assertThat(fresh.lookup("api", "b", now, Deadline.none())).isEqualTo(new LimitResolver.Lookup(row("b", 7), accountRead + 27_000_000_000L));
    LimitResolver uncached = new LimitResolver(limits, clock, Duration.ZERO, 2);
    assertThat(uncached.lookup("api", "a", now, Deadline.none())).as("nothing cached: holds for no later call")
        .isEqualTo(new LimitResolver.Lookup(row("a", 5), now));
  }

  @Test
  void aZeroTimeToLiveReadsEveryTime() {
    store.limits().put(row("a", 5));
    LimitResolver resolver = new LimitResolver(limits, clock, Duration.ZERO, 2);
    find(resolver, "a");
    find(resolver, "a");
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
    public Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
      pointReads++;
      return delegate.find(resourceName, accountId, deadline);
    }

    @Override
    public Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
      wholeReads++;
      if (failing) {
        throw new RateLimiterException("the limit table is unavailable");
      }
      return delegate.listByResource(resourceName, atMost, deadline);
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
