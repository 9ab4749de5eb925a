package io.github.ratelimiter.server.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * The bound on one listener's requests in flight: a semaphore whose waiters are callbacks, not threads.
 *
 * <p>A request is decided once it holds one of {@code maxInFlight} slots, and gives its slot back when it has been
 * answered ({@link #release()}); deciding holds no thread while the store is asked, so the bound is what limits the
 * work (store requests, memory) the listener has under way, not a pool's size. A request that finds every slot
 * taken waits, first come first served, with no thread, up to the request timeout from its arrival; one that gets no
 * slot in that time is answered the overload error without deciding (gRPC {@code DEADLINE_EXCEEDED}, HTTP 503: what a
 * request that waited that long for a decision thread was answered when decisions held threads). A waiter is
 * answered when a slot frees after its time is up, or by {@link #expireWaiting()}, which the server calls
 * periodically, whichever comes first.
 *
 * <p>Thread-safe; a waiter is started (or told it is too late) on the executor given, never on the thread that
 * released the slot, so a chain of requests decided in process cannot grow the stack.
 */
final class Admission {

  /** One request waiting for a slot. */
  private record Waiter(long deadline, Runnable start, Runnable tooLate) {}

  private final int maxInFlight;
  private final long timeoutNanos;
  private final LongSupplier ticker;
  private final Executor executor;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  private int inFlight;

  /**
   * @param maxInFlight the slots
   * @param timeout how long a request may wait for a slot
   * @param ticker {@link System#nanoTime()}, or a test's
   * @param executor where a waiter is started once it has a slot, or answered once its time is up
   */
  Admission(int maxInFlight, Duration timeout, LongSupplier ticker, Executor executor) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("maxInFlight must be positive: " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
    this.timeoutNanos = timeout.toNanos();
    this.ticker = ticker;
    this.executor = executor;
  }

  /**
   * Admits a request: runs {@code start} on this thread now if a slot is free (and nobody waits before it), else
   * when one frees up; or, if none frees within the timeout, runs {@code tooLate} instead (without a slot).
   *
   * @param start decides and answers the request, and then calls {@link #release()} exactly once
   * @param tooLate answers the overload error; holds no slot
   */
  void admit(Runnable start, Runnable tooLate) {
    synchronized (this) {
      if (inFlight >= maxInFlight || !waiting.isEmpty()) {
        // the deadline is read under the lock, so the queue is in deadline order
        waiting.add(new Waiter(ticker.getAsLong() + timeoutNanos, start, tooLate));
        return;
      }
      inFlight++;
    }
    start.run();
  }

  /** Gives a slot back: to the first waiter whose time is not up, else to the pool of free slots. */
  void release() {
    List<Waiter> late = new ArrayList<>();
    Waiter next = null;
    synchronized (this) {
      long now = ticker.getAsLong();
      for (Waiter waiter = waiting.poll(); waiter != null; waiter = waiting.poll()) {
        if (now - waiter.deadline() > 0) {
          late.add(waiter);
        } else {
          next = waiter;
          break;
        }
      }
      if (next == null) {
        inFlight--;
      }
    }
    for (Waiter waiter : late) {
      run(waiter.tooLate());
    }
    if (next != null) {
      run(next.start());
    }
  }

  /**
   * Answers every waiter whose time is up (see the class comment).
   *
   * @return how many were answered
   */
  int expireWaiting() {
    List<Waiter> late = new ArrayList<>();
    synchronized (this) {
      long now = ticker.getAsLong();
      while (!waiting.isEmpty() && now - waiting.peek().deadline() > 0) {
        late.add(waiting.poll());
      }
    }
    for (Waiter waiter : late) {
      run(waiter.tooLate());
    }
    return late.size();
  }

  private void run(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      task.run(); // shutting down: answer on this thread rather than never
    }
  }

  /** The bound this admission keeps. */
  int maxInFlight() {
    return maxInFlight;
  }

  /** Requests holding a slot now. */
  synchronized int inFlight() {
    return inFlight;
  }

  /** Requests waiting for a slot now. */
  synchronized int waiting() {
    return waiting.size();
  }
}
