package io.github.ratelimiter.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.store.Deadline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Readers that ask while a read of the same key is in flight share the next read, sent after they asked. */
class NextReadTest {

  private final NextRead<String, Integer> reads = new NextRead<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final List<CompletableFuture<Integer>> answers = new ArrayList<>();

  /** A read whose answer this test gives: its number, in the order sent. */
  private CompletableFuture<Integer> held() {
    int number = sent.incrementAndGet();
    CompletableFuture<Integer> answer = new CompletableFuture<>();
    synchronized (answers) {
      answers.add(answer);
    }
    return answer.thenApply(ignored -> number);
  }

  private void answer(int index) {
    synchronized (answers) {
      answers.get(index).complete(0);
    }
  }

  @Test
  void readersThatAskDuringAReadShareTheNextOneWhichIsSentAfterTheyAsked() throws Exception {
    CompletableFuture<Integer> first = reads.readAsync("acct", this::held);
    List<CompletableFuture<Integer>> later = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      later.add(reads.readAsync("acct", this::held));
    }
    assertThat(sent.get()).as("reads sent while the first is in flight").isEqualTo(1);
    answer(0);
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(sent.get()).as("the next read goes when the first has ended").isEqualTo(2);
    assertThat(later).noneMatch(CompletableFuture::isDone);
    answer(1);
    for (CompletableFuture<Integer> reader : later) {
      assertThat(reader.get(5, TimeUnit.SECONDS)).as("every later reader gets the read sent after it asked")
          .isEqualTo(2);
    }
    CompletableFuture<Integer> alone = reads.readAsync("acct", this::held);
    assertThat(sent.get()).as("with nothing in flight a reader reads at once").isEqualTo(3);
    answer(2);
    assertThat(alone.get(5, TimeUnit.SECONDS)).isEqualTo(3);
  }

  @Test
  void otherKeysAreReadApart() {
    reads.readAsync("a", this::held);
    reads.readAsync("b", this::held);
    assertThat(sent.get()).isEqualTo(2);
  }

  @Test
  void aFailedReadIsTheFailureOfEveryReaderThatWaitedForIt() {
    reads.readAsync("acct", this::held);
    CompletableFuture<Integer> waiting = reads.readAsync("acct",
        () -> CompletableFuture.failedFuture(new RateLimiterException("store down")));
    CompletableFuture<Integer> alsoWaiting = reads.readAsync("acct", this::held);
    answer(0);
    assertThatThrownBy(waiting::join).hasCauseInstanceOf(RateLimiterException.class);
    assertThatThrownBy(alsoWaiting::join).hasCauseInstanceOf(RateLimiterException.class);
  }

  @Test
  void blockingReadersWaitForTheReadInFlightThenShareTheNext() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    CountDownLatch reading = new CountDownLatch(1);
    AtomicInteger blockingReads = new AtomicInteger();
    ConcurrentLinkedQueue<Thread> pool = new ConcurrentLinkedQueue<>();
    ExecutorService threads = Executors.newFixedThreadPool(6, r -> {
      Thread thread = new Thread(r);
      pool.add(thread);
      return thread;
    });
    try {
      Future<Integer> first = threads.submit(() -> reads.read("acct", () -> {
        reading.countDown();
        gate.join(); // the read in flight, until the test lets it answer
        return blockingReads.incrementAndGet();
      }, Deadline.none()));
      assertThat(reading.await(5, TimeUnit.SECONDS)).isTrue();
      List<Future<Integer>> later = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        later.add(threads.submit(() -> reads.read("acct", blockingReads::incrementAndGet,
            Deadline.after(Duration.ofSeconds(10)))));
      }
      // all six threads wait: the first in its read, the others for it (the next read's leader) or the next read
      for (int i = 0; i < 500 && pool.stream().filter(t -> t.getState() == Thread.State.WAITING
          || t.getState() == Thread.State.TIMED_WAITING).count() < 6; i++) {
        Thread.sleep(10);
      }
      assertThat(blockingReads.get()).isZero();
      gate.complete(null);
      assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(1);
      for (Future<Integer> reader : later) {
        assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(2);
      }
      assertThat(blockingReads.get()).isEqualTo(2);
    } finally {
      threads.shutdownNow();
    }
  }
}
