package io.github.ratelimiter.spring.reactive;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The in-memory store answering its buckets' asynchronous calls later, on a thread of its own, as a remote store's
 * client does, and failing them while {@link #down} is set: so that a decision's future is not complete when the
 * WebFilter or a limited method gets it, and store failures meet the failure modes. The blocking calls answer at once.
 */
final class LaterStore implements RateLimitStore {

  /** While set, every asynchronous bucket call fails with a {@link RateLimiterException}. */
  final AtomicBoolean down = new AtomicBoolean();

  private final InMemoryStore delegate = InMemoryStore.create();
  private final Executor later = CompletableFuture.delayedExecutor(5, TimeUnit.MILLISECONDS);
  private final BucketStore buckets = new BucketStore() {
    @Override
    public BucketResult consume(BucketRequest request) {
      return delegate.buckets().consume(request);
    }

    @Override
    public CompletableFuture<BucketResult> consumeAsync(BucketRequest request) {
      return later(() -> delegate.buckets().consume(request));
    }

    @Override
    public QuotaResult consume(QuotaRequest request) {
      return delegate.buckets().consume(request);
    }

    @Override
    public CompletableFuture<QuotaResult> consumeAsync(QuotaRequest request) {
      return later(() -> delegate.buckets().consume(request));
    }

    @Override
    public boolean refund(RefundRequest request) {
      return delegate.buckets().refund(request);
    }

    @Override
    public CompletableFuture<Boolean> refundAsync(RefundRequest request) {
      return later(() -> delegate.buckets().refund(request));
    }
  };

  private <T> CompletableFuture<T> later(Supplier<T> call) {
    return CompletableFuture.supplyAsync(() -> {
      if (down.get()) {
        throw new RateLimiterException("the store is down");
      }
      return call.get();
    }, this.later);
  }

  @Override
  public LimitStore limits() {
    return delegate.limits();
  }

  @Override
  public BucketStore buckets() {
    return buckets;
  }

  @Override
  public SlotStore slots() {
    return delegate.slots();
  }
}
