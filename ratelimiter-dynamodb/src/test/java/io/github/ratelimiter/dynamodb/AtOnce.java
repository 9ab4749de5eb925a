package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a body on several threads released at once, and fails with the first throwable none of them expected. */
final class AtOnce {

  /** What each thread runs. */
  interface Body {
    void run() throws Exception;
  }

  private AtOnce() {}

  /** Runs {@code body} once on each of {@code threads} threads, all released by one barrier, and waits for them. */
  static void run(int threads, Body body) throws InterruptedException {
    CyclicBarrier gate = new CyclicBarrier(threads);
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        try {
          gate.await();
          body.run();
        } catch (Throwable e) {
          unexpected.compareAndSet(null, e);
        }
      });
      worker.start();
      workers.add(worker);
    }
    for (Thread worker : workers) {
      worker.join();
    }
    assertThat(unexpected.get()).as("a worker's unexpected failure").isNull();
  }

  /** Runs {@code body} over and over on each of {@code threads} threads, released at once, for {@code seconds}. */
  static void repeat(int threads, double seconds, Body body) throws InterruptedException {
    run(threads, () -> {
      long end = System.nanoTime() + (long) (seconds * 1e9);
      while (System.nanoTime() < end) {
        body.run();
      }
    });
  }
}
