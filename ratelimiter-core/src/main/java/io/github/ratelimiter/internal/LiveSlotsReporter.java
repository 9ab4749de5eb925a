package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The slots as a non-fungible limiter uses them, telling the listener how many reservations and tokens each account
 * holds live ({@link RateLimiterListener#onLiveSlots}) as this process last saw it: the count of each read of the
 * account's slots, plus the slots this process took and minus those it freed since. Only used when a listener is
 * registered. Thread-safe.
 */
final class LiveSlotsReporter implements SlotStore {

  private record Account(String resourceName, String accountId) {}

  private final SlotStore slots;
  private final Clock clock;
  private final RateLimiterListener listener;
  private final Cache<Account, AtomicInteger> live = Caffeine.newBuilder().maximumSize(100_000).build();

  LiveSlotsReporter(SlotStore slots, Clock clock, RateLimiterListener listener) {
    this.slots = slots;
    this.clock = clock;
    this.listener = listener;
  }

  @Override
  public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
    return listed(resourceName, accountId, slots.list(resourceName, accountId, deadline));
  }

  @Override
  public CompletableFuture<List<SlotRecord>> listAsync(String resourceName, String accountId, Deadline deadline) {
    return slots.listAsync(resourceName, accountId, deadline).thenApply(rows -> listed(resourceName, accountId, rows));
  }

  private List<SlotRecord> listed(String resourceName, String accountId, List<SlotRecord> rows) {
    long now = clock.instant().getEpochSecond();
    int count = 0;
    for (SlotRecord row : rows) {
      if (row.liveAt(now)) {
        count++;
      }
    }
    live.get(new Account(resourceName, accountId), key -> new AtomicInteger()).set(count);
    listener.onLiveSlots(resourceName, accountId, count);
    return rows;
  }

  @Override
  public boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline) {
    boolean claimed = slots.claim(row, nowEpochSecond, deadline);
    if (claimed) {
      changed(row, 1);
    }
    return claimed;
  }

  @Override
  public CompletableFuture<Boolean> claimAsync(SlotRecord row, long nowEpochSecond, Deadline deadline) {
    return slots.claimAsync(row, nowEpochSecond, deadline).thenApply(claimed -> {
      if (claimed) {
        changed(row, 1);
      }
      return claimed;
    });
  }

  @Override
  public boolean update(SlotRecord row, long nowEpochSecond) {
    return slots.update(row, nowEpochSecond);
  }

  @Override
  public CompletableFuture<Boolean> updateAsync(SlotRecord row, long nowEpochSecond) {
    return slots.updateAsync(row, nowEpochSecond);
  }

  @Override
  public boolean delete(SlotRecord row) {
    boolean deleted = slots.delete(row);
    if (deleted) {
      changed(row, -1);
    }
    return deleted;
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(SlotRecord row) {
    return slots.deleteAsync(row).thenApply(deleted -> {
      if (deleted) {
        changed(row, -1);
      }
      return deleted;
    });
  }

  @Override
  public List<SlotRecord> findByResourceId(String resourceId) {
    return slots.findByResourceId(resourceId);
  }

  @Override
  public CompletableFuture<List<SlotRecord>> findByResourceIdAsync(String resourceId) {
    return slots.findByResourceIdAsync(resourceId);
  }

  @Override
  public boolean remote() {
    return slots.remote();
  }

  private void changed(SlotRecord row, int delta) {
    AtomicInteger count = live.getIfPresent(new Account(row.resourceName(), row.accountId()));
    if (count != null) {
      listener.onLiveSlots(row.resourceName(), row.accountId(), count.updateAndGet(n -> Math.max(0, n + delta)));
    }
  }
}
