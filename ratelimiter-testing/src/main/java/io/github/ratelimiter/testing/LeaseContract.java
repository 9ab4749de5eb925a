package io.github.ratelimiter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import io.github.ratelimiter.store.Deadline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every store must give leases for hot keys ({@link io.github.ratelimiter.Leasing}): a lease is one bucket step
 * of cost {@code m * T}, and owns the slots {@code [tat - cost, tat)} of the {@code tat} the store returns. Chunks
 * taken at once through separate store instances (separate clients) must never overlap and must lie within
 * {@code [now, now + L*T]}. A store's test extends this and says how to open the store under test.
 */
public abstract class LeaseContract extends StoreContract {

  /** For a store implementation's test class. */
  protected LeaseContract() {}

  private static final long T = 1_000_000L; // 1,000 per second: one permit per millisecond
  private static final long LIMIT = 1_000;

  /** A chunk: slots {@code [start, end)}. */
  private record Chunk(long start, long end) {}

  @Test
  void chunksTakenConcurrentlyThroughSeparateStoresNeverOverlap() throws Exception {
    List<BucketStore> stores = List.of(limiters().store().buckets(), limiters().store().buckets());
    long now = clock.instant().getEpochSecond() * 1_000_000_000L + clock.instant().getNano();
    long tolerance = LIMIT * T;
    int threadsPerStore = 4;
    long[] sizes = {1, 7, 25, 60};
    CountDownLatch gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threadsPerStore * stores.size());
    List<Future<List<Chunk>>> workers = new ArrayList<>();
    try {
      for (BucketStore store : stores) {
        for (int t = 0; t < threadsPerStore; t++) {
          long size = sizes[t];
          workers.add(pool.submit(() -> {
            gate.await();
            List<Chunk> taken = new ArrayList<>();
            long known = BucketStore.UNKNOWN;
            for (int denials = 0; denials < 3; ) {
              BucketResult result = store.consume(new BucketRequest("hot", "tenant", now, size * T, tolerance, known, Deadline.none()));
              known = Math.max(known, result.tat());
              if (result.allowed()) {
                taken.add(new Chunk(result.tat() - size * T, result.tat()));
              } else {
                denials++;
              }
            }
            return taken;
          }));
        }
      }
      gate.countDown();
      List<Chunk> chunks = new ArrayList<>();
      for (Future<List<Chunk>> worker : workers) {
        chunks.addAll(worker.get(60, TimeUnit.SECONDS));
      }
      chunks.sort(Comparator.comparingLong(Chunk::start));
      long permits = 0;
      long previousEnd = now;
      for (Chunk chunk : chunks) {
        assertThat(chunk.start()).as("chunk %s starts after the one before ends", chunk)
            .isGreaterThanOrEqualTo(previousEnd);
        assertThat(chunk.end()).isLessThanOrEqualTo(now + tolerance);
        permits += (chunk.end() - chunk.start()) / T;
        previousEnd = chunk.end();
      }
      assertThat(permits).isLessThanOrEqualTo(LIMIT).isGreaterThan(LIMIT - 60);
      // The bucket holds exactly what the chunks took: a request for what is left is admitted, one more is not.
      long left = LIMIT - permits;
      BucketStore store = stores.get(0);
      if (left > 0) {
        assertThat(store.consume(new BucketRequest("hot", "tenant", now, left * T, tolerance, previousEnd, Deadline.none()))
            .allowed()).isTrue();
      }
      assertThat(store.consume(new BucketRequest("hot", "tenant", now, T, tolerance, now + tolerance, Deadline.none())).allowed())
          .isFalse();
    } finally {
      pool.shutdownNow();
    }
  }
}
