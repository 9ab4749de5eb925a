package io.github.ratelimiter.internal;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.store.Deadline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the non-blocking views do with futures, in one place: run a step that may throw as a future, bound a future
 * by a decision's deadline, and hand a future that waited for the store to the user's executor.
 */
final class Futures {

  /**
   * One daemon thread for every limiter's timers (deadlines, an acquire's wait before asking again): it only
   * completes futures, never runs a user's callback (see {@link #handOff}); a cancelled timer leaves its queue.
   */
  private static final ScheduledThreadPoolExecutor SCHEDULER = scheduler();

  private Futures() {}

  private static ScheduledThreadPoolExecutor scheduler() {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "ratelimiter-timer");
      thread.setDaemon(true);
      return thread;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    return scheduler;
  }

  /** Runs {@code task} after {@code delayNanos} on the timer thread (no thread waits meanwhile). */
  static void schedule(Runnable task, long delayNanos) {
    SCHEDULER.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
  }

  /** The step's result as a future; what it throws (an argument check, a store failure) as the future's failure. */
  static <T> CompletableFuture<T> of(Supplier<CompletableFuture<T>> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The future, failed with the deadline's {@link RateLimiterException} if it has not completed when the deadline
   * passes (whatever the store does meanwhile): a bounded decision's future always completes within its deadline.
   */
  static <T> CompletableFuture<T> within(CompletableFuture<T> future, Deadline deadline, String event) {
    if (!deadline.isBounded() || future.isDone()) {
      return future;
    }
    CompletableFuture<T> bounded = new CompletableFuture<>();
    future.whenComplete((value, failure) -> {
      if (failure == null) {
        bounded.complete(value);
      } else {
        bounded.completeExceptionally(unwrap(failure));
      }
    });
    ScheduledFuture<?> timer = SCHEDULER.schedule(() -> {
      bounded.completeExceptionally(deadline.passed(event));
    }, Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    bounded.whenComplete((value, failure) -> timer.cancel(false));
    return bounded;
  }

  /**
   * The future as the user sees it: itself when complete already (decided in process: callbacks run on the calling
   * thread), else completed on {@code executor}, so that no user callback runs on a store client's I/O thread.
   */
  static <T> CompletableFuture<T> handOff(CompletableFuture<T> future, Executor executor) {
    if (future.isDone()) {
      return future;
    }
    CompletableFuture<T> handed = new CompletableFuture<>();
    future.whenComplete((value, failure) -> {
      try {
        executor.execute(() -> complete(handed, value, failure));
      } catch (RuntimeException rejected) { // a shut-down executor: complete here rather than never
        complete(handed, value, failure);
      }
    });
    return handed;
  }

  private static <T> void complete(CompletableFuture<T> future, T value, Throwable failure) {
    if (failure == null) {
      future.complete(value);
    } else {
      future.completeExceptionally(unwrap(failure));
    }
  }

  /** The failure a dependent stage saw, without the {@link CompletionException} wrapping it. */
  static Throwable unwrap(Throwable failure) {
    while ((failure instanceof CompletionException || failure instanceof ExecutionException)
        && failure.getCause() != null) {
      failure = failure.getCause();
    }
    return failure;
  }

  /**
   * A failed stage's answer by a limiter's failure policy, inside {@code handle}: a store failure goes to
   * {@code policy}, which answers (fail-open) or throws it (fail-closed); anything else fails the stage as it is.
   */
  static <T> T byPolicy(Throwable failure, Function<RateLimiterException, T> policy) {
    Throwable cause = unwrap(failure);
    if (cause instanceof RateLimiterException e) {
      try {
        return policy.apply(e);
      } catch (RateLimiterException thrown) {
        throw new CompletionException(thrown);
      }
    }
    throw new CompletionException(cause);
  }

  /** The failure as a store failure if it is one (unwrapped), else null. */
  static RateLimiterException storeFailure(Throwable failure) {
    return unwrap(failure) instanceof RateLimiterException e ? e : null;
  }
}
