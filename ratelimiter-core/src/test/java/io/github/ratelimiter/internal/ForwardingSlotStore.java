package io.github.ratelimiter.internal;

import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.util.List;

/**
 * A slot store that sends every blocking call to another one, for test stores that change a few of them (count,
 * fail, answer later); the {@code Async} twins and {@link #remote()} are the SPI's defaults unless overridden.
 */
abstract class ForwardingSlotStore implements SlotStore {

  private final SlotStore delegate;

  ForwardingSlotStore(SlotStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
    return delegate.list(resourceName, accountId, deadline);
  }

  @Override
  public boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline) {
    return delegate.claim(row, nowEpochSecond, deadline);
  }

  @Override
  public boolean update(SlotRecord row, long nowEpochSecond) {
    return delegate.update(row, nowEpochSecond);
  }

  @Override
  public boolean delete(SlotRecord row) {
    return delegate.delete(row);
  }

  @Override
  public List<SlotRecord> findByResourceId(String resourceId) {
    return delegate.findByResourceId(resourceId);
  }
}
