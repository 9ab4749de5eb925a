package io.github.ratelimiter.store;

import io.github.ratelimiter.RateLimiterException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The instant by which one decision must be over, whatever the store does: limiters start one per decision from
 * their decision timeout ({@link io.github.ratelimiter.RateLimiters.Builder#decisionTimeout(Duration)}) and pass it
 * to every store call the decision makes, so that a store can bound each call by what is left rather than by a
 * timeout of its own per call. A decision that makes three calls, or waits for another thread's call first, then
 * still ends within one timeout.
 *
 * <p>Measured on {@link System#nanoTime()}, not on the limiters' {@link java.time.Clock}: it bounds real waiting
 * (network, server, other threads), while the clock only says which instant the algorithms decide at, and may be a
 * test's manual clock. {@link #none()} is unbounded and reads no time at all, for stores that answer in process.
 *
 * <p>Immutable and thread-safe.
 */
public final class Deadline {

  private static final Deadline NONE = new Deadline(null, 0);

  /** The timeout it was started with; {@code null} for {@link #none()}. */
  private final Duration timeout;
  /** The {@link System#nanoTime()} at which it passes. */
  private final long passesAtNanos;

  private Deadline(Duration timeout, long passesAtNanos) {
    this.timeout = timeout;
    this.passesAtNanos = passesAtNanos;
  }

  /** No deadline: calls are bounded by the store's own timeouts only. */
  public static Deadline none() {
    return NONE;
  }

  /**
   * A deadline {@code timeout} from now.
   *
   * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
   */
  public static Deadline after(Duration timeout) {
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new Deadline(timeout, System.nanoTime() + saturatedNanos(timeout));
  }

  /** Whether this deadline bounds anything ({@code false} for {@link #none()}). */
  public boolean isBounded() {
    return timeout != null;
  }

  /** The timeout this deadline was started with, or {@code null} for {@link #none()}. */
  public Duration timeout() {
    return timeout;
  }

  /** Whether the deadline has passed; never for {@link #none()}. */
  public boolean hasPassed() {
    return timeout != null && System.nanoTime() - passesAtNanos >= 0;
  }

  /**
   * The time left, at least zero; for {@link #none()}, {@code Long.MAX_VALUE} nanoseconds (so that
   * {@code min(remaining, anything)} is the other value).
   */
  public long remainingNanos() {
    if (timeout == null) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, passesAtNanos - System.nanoTime());
  }

  /**
   * How long the next call may take: the smaller of the time left and {@code callTimeout} (a store's own limit
   * per call, or {@code null} when it has none).
   *
   * @return {@code null} when neither bounds the call
   * @throws RateLimiterException if the deadline has passed, naming {@code operation} and the timeout: a call sent
   *     now could only time out
   */
  public Duration nextCallTimeout(Duration callTimeout, String operation) {
    if (timeout == null) {
      return callTimeout;
    }
    long left = passesAtNanos - System.nanoTime();
    if (left <= 0) {
      throw passed(operation + " could be sent");
    }
    return callTimeout == null || callTimeout.toNanos() > left ? Duration.ofNanos(left) : callTimeout;
  }

  /**
   * The failure to report when the deadline passes before {@code event} (for example "UpdateItem could be sent"):
   * a {@link RateLimiterException} naming it and the timeout, which limiters treat as any store failure (their
   * failure mode applies).
   */
  public RateLimiterException passed(String event) {
    return new RateLimiterException("the decision timeout of " + timeout + " passed before " + event
        + " (see RateLimiters.Builder.decisionTimeout)");
  }

  /**
   * Waits for {@code future} to complete, normally or not, within this deadline (forever for {@link #none()}).
   *
   * @param event what completing means, for the failure's message (for example "another thread's UpdateItem
   *     answered")
   * @throws RateLimiterException if the deadline passes first ({@link #passed}) or the thread is interrupted (with
   *     its interrupt status set again)
   */
  public void await(CompletableFuture<?> future, String event) {
    try {
      if (timeout == null) {
        future.get();
      } else {
        future.get(Math.max(0, passesAtNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException | CancellationException e) {
      // completed, not normally: the caller looks at the future itself
    } catch (TimeoutException e) {
      throw passed(event);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RateLimiterException("interrupted while waiting until " + event, e);
    }
  }

  @Override
  public String toString() {
    return timeout == null ? "Deadline[none]" : "Deadline[" + timeout + ", " + Duration.ofNanos(remainingNanos())
        + " left]";
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }
}
