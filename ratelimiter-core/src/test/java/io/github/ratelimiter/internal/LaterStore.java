package io.github.ratelimiter.internal;

import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotRecord;
import io.github.ratelimiter.store.SlotStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory store as a remote one, for tests of the non-blocking path and of coalescing: each step and listing
 * is answered on the store's own thread (as an asynchronous client does), bucket answers can be held until released
 * or never given, and the blocking step can be held at a gate. Counts bucket calls (and their costs) and listings.
 */
final class LaterStore implements RateLimitStore {
  final InMemoryStore memory;
  final ExecutorService storeThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "store-io"));
  final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
  final AtomicInteger bucketCalls = new AtomicInteger();
  final AtomicInteger listings = new AtomicInteger();
  final List<Long> costs = new ArrayList<>();
  private final boolean remote;
  /** Bucket answers are held (see {@link #release}) while set. */
  volatile boolean hold;
  /** Listing answers are held (see {@link #releaseListings}) while set. */
  volatile boolean holdListings;
  final ConcurrentLinkedQueue<Runnable> heldListings = new ConcurrentLinkedQueue<>();
  /** Bucket answers never come while set. */
  volatile boolean never;
  /** The blocking step fails the test while set: for tests of the non-blocking path. */
  volatile boolean forbidBlocking;
  volatile CountDownLatch blockingGate;

  /** A remote store over {@code memory}: its steps and listings are requests. */
  LaterStore(InMemoryStore memory) {
    this(memory, true);
  }

  /** {@code remote}: whether it says it is remote (limiters then coalesce), or answers as if in process. */
  LaterStore(InMemoryStore memory, boolean remote) {
    this.memory = memory;
    this.remote = remote;
  }

  @Override
  public LimitStore limits() {
    return memory.limits();
  }

  @Override
  public BucketStore buckets() {
    return new BucketStore() {
      @Override
      public BucketResult consume(BucketRequest request) {
        if (forbidBlocking) {
          throw new AssertionError("the non-blocking path called the blocking store method");
        }
        record(request);
        CountDownLatch gate = blockingGate;
        if (gate != null) {
          try {
            gate.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return memory.buckets().consume(request);
      }

      @Override
      public CompletableFuture<BucketResult> consumeAsync(BucketRequest request) {
        record(request);
        CompletableFuture<BucketResult> answer = new CompletableFuture<>();
        if (never) {
          return answer;
        }
        Runnable reply = () -> storeThread.execute(() -> answer.complete(memory.buckets().consume(request)));
        if (hold) {
          held.add(reply);
        } else {
          reply.run();
        }
        return answer;
      }

      @Override
      public boolean remote() {
        return remote;
      }
    };
  }

  private synchronized void record(BucketStore.BucketRequest request) {
    bucketCalls.incrementAndGet();
    costs.add(request.costNanos());
  }

  @Override
  public SlotStore slots() {
    SlotStore slots = memory.slots();
    return new ForwardingSlotStore(slots) {
      @Override
      public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
        listings.incrementAndGet();
        return super.list(resourceName, accountId, deadline);
      }

      @Override
      public CompletableFuture<List<SlotRecord>> listAsync(String resourceName, String accountId,
          Deadline deadline) {
        listings.incrementAndGet();
        if (holdListings) {
          CompletableFuture<List<SlotRecord>> answer = new CompletableFuture<>();
          heldListings.add(() -> storeThread.execute(() -> answer.complete(slots.list(resourceName, accountId,
              deadline))));
          return answer;
        }
        return CompletableFuture.supplyAsync(() -> slots.list(resourceName, accountId, deadline), storeThread);
      }

      @Override
      public CompletableFuture<Boolean> claimAsync(SlotRecord row, long nowEpochSecond, Deadline deadline) {
        return CompletableFuture.supplyAsync(() -> slots.claim(row, nowEpochSecond, deadline), storeThread);
      }

      @Override
      public boolean remote() {
        return remote;
      }
    };
  }

  /** Sends the oldest answer held; returns whether there was one. */
  boolean releaseOne() {
    Runnable reply = held.poll();
    if (reply != null) {
      reply.run();
    }
    return reply != null;
  }

  /** Sends every listing answer held so far; returns how many. */
  int releaseListings() {
    return drain(heldListings);
  }

  /** Sends every answer held so far; returns how many. */
  int release() {
    return drain(held);
  }

  private static int drain(ConcurrentLinkedQueue<Runnable> replies) {
    int n = 0;
    for (Runnable reply = replies.poll(); reply != null; reply = replies.poll()) {
      reply.run();
      n++;
    }
    return n;
  }

  @Override
  public void close() {
    storeThread.shutdownNow();
  }
}
