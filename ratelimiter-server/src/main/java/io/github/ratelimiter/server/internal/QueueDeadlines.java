package io.github.ratelimiter.server.internal;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A decision pool whose tasks know when their request's time is up: each task's deadline is the moment it was
 * queued plus the request timeout, so a request that waited for a thread longer than that is answered at once
 * (gRPC {@code DEADLINE_EXCEEDED}, HTTP 503) instead of being decided for a client that has given up. With the
 * library's decision timeout (the same duration, counted from the start of the decision), this bounds the work one
 * request can cause; a client's shorter gRPC deadline is honoured by gRPC itself.
 */
final class QueueDeadlines {

  private static final ThreadLocal<long[]> DEADLINE = ThreadLocal.withInitial(() -> new long[] {Long.MAX_VALUE});

  private final ThreadPoolExecutor pool;
  private final LongSupplier ticker;
  private final long timeoutNanos;

  QueueDeadlines(int threads, ThreadFactory factory, Duration timeout, LongSupplier ticker) {
    this.pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads, factory);
    this.ticker = ticker;
    this.timeoutNanos = timeout.toNanos();
  }

  /** The executor to hand to a listener: runs each task with its deadline known to {@link #expired()}. */
  java.util.concurrent.Executor executor() {
    return task -> {
      long deadline = ticker.getAsLong() + timeoutNanos;
      pool.execute(() -> {
        long[] current = DEADLINE.get();
        current[0] = deadline;
        try {
          task.run();
        } finally {
          current[0] = Long.MAX_VALUE;
        }
      });
    };
  }

  /** Whether the task running on this thread has passed its deadline (false outside this pool). */
  boolean expired() {
    long deadline = DEADLINE.get()[0];
    return deadline != Long.MAX_VALUE && ticker.getAsLong() - deadline > 0;
  }

  /** Tasks waiting for a thread (for tests). */
  int queued() {
    return pool.getQueue().size();
  }

  ExecutorService pool() {
    return pool;
  }

  /** Stops taking tasks and waits up to {@code nanos} for those queued and running. */
  boolean shutdownAndAwait(long nanos) throws InterruptedException {
    pool.shutdown();
    return pool.awaitTermination(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }
}
