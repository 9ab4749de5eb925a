package io.github.ratelimiter.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.ratelimiter.store.Deadline;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Reads of one key that go together, for a remote store: a read asked while another read of the same key is in
 * flight waits for the <em>next</em> read, which the first to ask after it sends when the one in flight has ended.
 * Every reader so gets an answer read after it asked (as fresh as a read of its own would have been, so nothing a
 * reader concludes from it changes), and readers that ask together cost two reads, not one each. A failed read is
 * the failure of every reader that waited for it.
 *
 * <p>Per key, at most one read in flight and one forming; the state is guarded by its monitor for a few field
 * writes, never across a store call. Keys idle long enough are evicted (the cache is bounded): a key evicted while
 * read costs at most one read more.
 */
final class NextRead<K, V> {

  /** One read: its answer, for every reader of it. */
  private static final class Flight<V> {
    final CompletableFuture<V> answer = new CompletableFuture<>();
  }

  /** A key's reads: the one in flight, and the next, forming while it is. */
  private static final class State<V> {
    Flight<V> inFlight;
    Flight<V> next;
  }

  /**
   * A reader's part: the read it waits for, and whether it sends it now ({@code waitFor} null and leading), sends it
   * when {@code waitFor} has ended (leading), or only waits for it.
   */
  private record Ticket<V>(Flight<V> flight, boolean leads, Flight<V> waitFor) {}

  private final Cache<K, State<V>> states = Caffeine.newBuilder().maximumSize(10_000).build();

  private Ticket<V> ticket(K key) {
    State<V> state = states.get(key, k -> new State<>());
    synchronized (state) {
      if (state.inFlight == null) {
        state.inFlight = new Flight<>();
        return new Ticket<>(state.inFlight, true, null);
      }
      if (state.next == null) {
        state.next = new Flight<>();
        return new Ticket<>(state.next, true, state.inFlight);
      }
      return new Ticket<>(state.next, false, null);
    }
  }

  /** The next read goes: it is now the one in flight. */
  private void promote(K key, Flight<V> flight) {
    State<V> state = states.get(key, k -> new State<>());
    synchronized (state) {
      state.inFlight = flight;
      if (state.next == flight) {
        state.next = null;
      }
    }
  }

  private void ended(K key, Flight<V> flight) {
    State<V> state = states.getIfPresent(key);
    if (state != null) {
      synchronized (state) {
        if (state.inFlight == flight) {
          state.inFlight = null;
        }
      }
    }
  }

  /**
   * The key's rows as a read sent after this call began: read here, or by another thread of this process that asked
   * at about the same time, within {@code deadline}.
   *
   * @throws io.github.ratelimiter.RateLimiterException the read's failure, or the deadline's
   */
  V read(K key, Supplier<V> read, Deadline deadline) {
    Ticket<V> ticket = ticket(key);
    if (ticket.leads()) {
      if (ticket.waitFor() != null) {
        deadline.await(ticket.waitFor().answer, "the read in flight of the same rows ended");
        promote(key, ticket.flight());
      }
      try {
        V value = read.get();
        ticket.flight().answer.complete(value);
        return value;
      } catch (RuntimeException e) {
        ticket.flight().answer.completeExceptionally(e);
        throw e;
      } finally {
        ended(key, ticket.flight());
      }
    }
    deadline.await(ticket.flight().answer, "the next read of the same rows answered");
    try {
      return ticket.flight().answer.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** {@link #read} without waiting. */
  CompletableFuture<V> readAsync(K key, Supplier<CompletableFuture<V>> read) {
    Ticket<V> ticket = ticket(key);
    if (ticket.leads()) {
      if (ticket.waitFor() == null) {
        send(key, ticket.flight(), read);
      } else {
        ticket.waitFor().answer.whenComplete((value, failure) -> {
          promote(key, ticket.flight());
          send(key, ticket.flight(), read);
        });
      }
    }
    return ticket.flight().answer;
  }

  private void send(K key, Flight<V> flight, Supplier<CompletableFuture<V>> read) {
    Futures.of(read).whenComplete((value, failure) -> {
      if (failure != null) {
        flight.answer.completeExceptionally(Futures.unwrap(failure));
      } else {
        flight.answer.complete(value); // the next read's leader promotes it here, before this one is ended
      }
      ended(key, flight);
    });
  }
}
