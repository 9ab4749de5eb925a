package io.github.ratelimiter.dynamodb.internal;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A value made on first use, once (a failed making is tried again on the next use), and closed by
 * {@link #close(Consumer)} only if it was made. The making holds a lock: it must not do I/O (building an SDK client
 * sends nothing). Thread-safe.
 */
public final class Lazy<T> implements Supplier<T> {

  private final Supplier<T> maker;
  private volatile T value;
  private boolean closed;

  /** A value that {@code maker} makes on first use. */
  public Lazy(Supplier<T> maker) {
    this.maker = Objects.requireNonNull(maker, "maker");
  }

  /**
   * The value, made now if this is the first use.
   *
   * @throws IllegalStateException if closed
   */
  @Override
  public T get() {
    T made = value;
    if (made != null) {
      return made;
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (value == null) {
        value = Objects.requireNonNull(maker.get(), "made");
      }
      return value;
    }
  }

  /** Closes the value with {@code closer} if it was made; later uses fail. */
  public void close(Consumer<T> closer) {
    T made;
    synchronized (this) {
      closed = true;
      made = value;
    }
    if (made != null) {
      closer.accept(made);
    }
  }
}
