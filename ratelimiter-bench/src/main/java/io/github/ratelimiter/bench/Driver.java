package io.github.ratelimiter.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * Runs one contender in one scenario: {@code threads} threads released at once through a start gate, each deciding
 * in a loop until the deadline (closed loop), or at a fixed pace when an offered rate is given. Latency goes into one
 * HdrHistogram per thread, admissions are counted per key for the bound check, and the JVM's process CPU time and the
 * contender's request counters are read before and after. Client CPU is counted twice: the worker threads' own CPU
 * time (the synchronous SDK clients marshal, sign and do the HTTP exchange on the calling thread, so this is the
 * cost per decision) and the whole JVM's (which adds JIT compilation and GC, and is noisy).
 */
final class Driver {

  private Driver() {}

  /** What one thread does per iteration: decide for the key and say whether it was admitted. */
  interface Step {
    boolean run(String key) throws Exception;
  }

  /** What was measured, before the bound and the requests are added. */
  record Measured(long elapsedNanos, long admitted, long denied, long errors, Histogram latency,
      Map<String, Long> admittedPerKey, long cpuNanos, long workerCpuNanos, long serverCpuNanos,
      String firstError) {}

  /**
   * Runs the threads.
   *
   * @param keyOf the key of a thread's {@code i}-th decision: {@code keyOf.apply(thread).apply(i)}
   * @param offeredPerSecond total paced rate over all threads, or 0 for a closed loop
   */
  static Measured run(int threads, Duration duration, IntFunction<IntFunction<String>> keyOf,
      double offeredPerSecond, Supplier<Step> steps) throws InterruptedException {
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch gate = new CountDownLatch(1);
    long[] firstStart = new long[threads];
    long[] lastEnd = new long[threads];
    long[] admitted = new long[threads];
    long[] denied = new long[threads];
    long[] errors = new long[threads];
    long[] workerCpu = new long[threads];
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    String[] firstError = new String[threads];
    Histogram[] latency = new Histogram[threads];
    List<Map<String, Long>> perKey = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    long[] deadline = new long[1];
    long[] origin = new long[1];
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Step step = steps.get();
      IntFunction<String> keys = keyOf.apply(thread);
      Map<String, Long> counts = new HashMap<>();
      perKey.add(counts);
      latency[t] = new Histogram(3);
      Thread worker = new Thread(() -> {
        ready.countDown();
        try {
          gate.await();
        } catch (InterruptedException e) {
          return;
        }
        long intervalNanos = offeredPerSecond > 0 ? (long) (threads * 1e9 / offeredPerSecond) : 0;
        long next = origin[0] + (intervalNanos * thread) / threads;
        boolean first = true;
        long cpuStart = mx.getCurrentThreadCpuTime();
        for (int i = 0; ; i++) {
          if (intervalNanos > 0) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
              LockSupport.parkNanos(wait);
            }
            next += intervalNanos;
          }
          long start = System.nanoTime();
          if (start >= deadline[0]) {
            break;
          }
          if (first) {
            firstStart[thread] = start;
            first = false;
          }
          String key = keys.apply(i);
          try {
            if (step.run(key)) {
              admitted[thread]++;
              counts.merge(key, 1L, Long::sum);
            } else {
              denied[thread]++;
            }
          } catch (Exception | Error e) {
            errors[thread]++;
            if (firstError[thread] == null) {
              firstError[thread] = e.toString();
            }
          }
          long end = System.nanoTime();
          lastEnd[thread] = end;
          latency[thread].recordValue(end - start);
        }
        workerCpu[thread] = mx.getCurrentThreadCpuTime() - cpuStart;
      }, "bench-" + t);
      worker.setDaemon(true);
      workers.add(worker);
      worker.start();
    }
    ready.await();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    long serverBefore = serverCpuNanos();
    origin[0] = System.nanoTime();
    deadline[0] = origin[0] + duration.toNanos();
    gate.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    long cpuAfter = os.getProcessCpuTime();
    long serverAfter = serverCpuNanos();
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    Histogram total = new Histogram(3);
    long a = 0;
    long d = 0;
    long e = 0;
    long w = 0;
    String error = null;
    Map<String, Long> admittedPerKey = new HashMap<>();
    for (int t = 0; t < threads; t++) {
      if (firstStart[t] != 0) {
        start = Math.min(start, firstStart[t]);
        end = Math.max(end, lastEnd[t]);
      }
      total.add(latency[t]);
      a += admitted[t];
      d += denied[t];
      e += errors[t];
      w += workerCpu[t];
      error = error == null ? firstError[t] : error;
      perKey.get(t).forEach((key, n) -> admittedPerKey.merge(key, n, Long::sum));
    }
    return new Measured(start == Long.MAX_VALUE ? 0 : end - start, a, d, e, total, admittedPerKey,
        cpuAfter - cpuBefore, w, serverAfter - serverBefore, error);
  }

  /** CPU time of the child processes of this JVM (the dynalite server), from the operating system. */
  static long serverCpuNanos() {
    return ProcessHandle.current().descendants()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
        .sum();
  }
}
