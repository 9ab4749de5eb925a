package io.github.ratelimiter.server.internal;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The server's view of its store: the limiters of each configuration generation share it, and closing them does
 * not close it (the server closes the store once, at shutdown). Without account limits the limit table reads as
 * empty, so only the configuration applies and no request is sent to that table.
 */
final class ServerStore implements RateLimitStore {

  private final RateLimitStore delegate;
  private final boolean accountLimits;

  ServerStore(RateLimitStore delegate, boolean accountLimits) {
    this.delegate = delegate;
    this.accountLimits = accountLimits;
  }

  @Override
  public LimitStore limits() {
    return accountLimits ? delegate.limits() : NoRows.INSTANCE;
  }

  @Override
  public BucketStore buckets() {
    return delegate.buckets();
  }

  @Override
  public SlotStore slots() {
    return delegate.slots();
  }

  @Override
  public RateLimitStore withListener(RateLimiterListener listener) {
    return new ServerStore(delegate.withListener(listener), accountLimits);
  }

  @Override
  public StoreHealth check() {
    return delegate.check();
  }

  @Override
  public Optional<Duration> decisionTimeout() {
    return delegate.decisionTimeout();
  }

  /** Does nothing: the server closes the store itself. */
  @Override
  public void close() {}

  /** A limit table with no rows, which is never asked. */
  private enum NoRows implements LimitStore {
    INSTANCE;

    @Override
    public Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
      return Optional.empty();
    }

    @Override
    public void put(LimitRecord record) {
      throw new UnsupportedOperationException("the server does not write limit rows");
    }

    @Override
    public boolean delete(String resourceName, String accountId) {
      throw new UnsupportedOperationException("the server does not delete limit rows");
    }

    @Override
    public List<LimitRecord> listByService(String serviceName) {
      return List.of();
    }

    @Override
    public List<LimitRecord> listByResource(String resourceName) {
      return List.of();
    }

    @Override
    public Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
      return Optional.of(List.of());
    }
  }
}
