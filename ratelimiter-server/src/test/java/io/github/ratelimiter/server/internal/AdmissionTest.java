package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The bound on requests in flight, on a manual ticker and an executor whose tasks the test runs. */
class AdmissionTest {

  private final AtomicLong ticker = new AtomicLong();
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
  private final Admission admission = new Admission(2, Duration.ofSeconds(1), ticker::get, tasks::add);
  private final List<String> log = new ArrayList<>();

  private void admit(String name) {
    admission.admit(() -> log.add("start " + name), () -> log.add("late " + name));
  }

  private void runTasks() {
    for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
      task.run();
    }
  }

  @Test
  void upToTheBoundStartAtOnceOnTheCallersThreadAndTheRestWaitInOrder() {
    admit("a");
    admit("b");
    admit("c");
    admit("d");
    assertThat(log).containsExactly("start a", "start b");
    assertThat(admission.inFlight()).isEqualTo(2);
    assertThat(admission.waiting()).isEqualTo(2);

    admission.release();
    assertThat(log).as("a waiter starts on the executor, not on the releasing thread").hasSize(2);
    runTasks();
    assertThat(log).containsExactly("start a", "start b", "start c");
    assertThat(admission.inFlight()).as("the slot was handed over").isEqualTo(2);

    admission.release();
    admission.release();
    runTasks();
    assertThat(log).containsExactly("start a", "start b", "start c", "start d");
    assertThat(admission.inFlight()).isEqualTo(1);
    admission.release();
    assertThat(admission.inFlight()).isZero();
    assertThat(admission.waiting()).isZero();
  }

  @Test
  void aWaiterPastTheTimeoutIsAnsweredWithoutASlotWhenOneFreesOrBySweep() {
    admit("a");
    admit("b");
    admit("c");
    ticker.addAndGet(Duration.ofMillis(500).toNanos());
    admit("d");
    ticker.addAndGet(Duration.ofMillis(600).toNanos()); // c waited 1.1 s, d 0.6 s

    admission.release();
    runTasks();
    assertThat(log).containsExactly("start a", "start b", "late c", "start d");
    assertThat(admission.inFlight()).isEqualTo(2);

    admit("e");
    assertThat(admission.expireWaiting()).as("e's time is not up").isZero();
    ticker.addAndGet(Duration.ofMillis(1001).toNanos());
    assertThat(admission.expireWaiting()).isEqualTo(1);
    runTasks();
    assertThat(log).endsWith("late e");
    assertThat(admission.inFlight()).as("the late ones held no slot").isEqualTo(2);
    assertThat(admission.waiting()).isZero();
  }

  @Test
  void aNewRequestDoesNotOvertakeTheWaitersWhileASlotIsBeingHandedOver() {
    admit("a");
    admit("b");
    admit("c");
    admission.release(); // c has the slot, not yet started
    admit("d");
    runTasks();
    assertThat(log).containsExactly("start a", "start b", "start c");
    assertThat(admission.waiting()).isEqualTo(1);
  }
}
