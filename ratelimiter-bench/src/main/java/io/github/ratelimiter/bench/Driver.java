package io.github.ratelimiter.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Runs one contender in one scenario: {@code threads} threads released at once through a start gate, each deciding
 * in a loop until the deadline (closed loop), or at a fixed pace when an offered rate is given. Latency goes into one
 * HdrHistogram per thread, admissions are counted per key for the bound check, and the JVM's process CPU time and the
 * contender's request counters are read before and after. Client CPU is counted twice: the worker threads' own CPU
 * time (the synchronous SDK clients marshal, sign and do the HTTP exchange on the calling thread, so this is the
 * cost per decision) and the whole JVM's (which adds JIT compilation and GC, and is noisy). A third figure, every Java
 * thread's CPU time ({@link Measured#threadsCpuNanos()}), counts the work wherever it runs: the deciding threads plus
 * the SDK's I/O threads and executors, which is what compares the blocking path with the non-blocking one
 * ({@link #runAsync}), whose work is spread over event-loop and executor threads.
 */
final class Driver {

  private Driver() {}

  /** What one thread does per iteration: decide for the key and say whether it was admitted. */
  interface Step {
    boolean run(String key) throws Exception;
  }

  /** What one issuing thread of a non-blocking run does per decision: start it and return its completion. */
  interface AsyncStep {
    /** Starts a decision for the key; the stage completes with whether it was admitted. */
    CompletionStage<Boolean> start(String key) throws Exception;
  }

  /**
   * What was measured, before the bound and the requests are added.
   *
   * @param inFlight the decisions a non-blocking run kept in flight, 0 for the threads of {@link #run}
   * @param threadsCpuNanos CPU time of every Java thread of this JVM during the run
   * @param peakThreads the most live Java threads at once during the run
   * @param issuersBusy for a non-blocking run, the share of the run the issuing threads spent inside the calls that
   *     start decisions (a non-blocking call returns at once; one that waits for the store shows here); 0 otherwise
   */
  record Measured(long elapsedNanos, long admitted, long denied, long errors, Histogram latency,
      Map<String, Long> admittedPerKey, long cpuNanos, long workerCpuNanos, long serverCpuNanos,
      String firstError, int inFlight, long threadsCpuNanos, int peakThreads, double issuersBusy) {

    /** Decisions in flight on average over the run, by Little's law: mean latency x decisions / elapsed. */
    double meanInFlight() {
      long decisions = admitted + denied + errors;
      return elapsedNanos == 0 ? 0 : latency.getMean() * decisions / elapsedNanos;
    }
  }

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
    Set<Long> own = workers.stream().map(Thread::getId).collect(Collectors.toSet());
    Map<Long, Long> othersBefore = threadCpu(own);
    mx.resetPeakThreadCount();
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
    long others = cpuSince(othersBefore, own);
    int peakThreads = mx.getPeakThreadCount();
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
        cpuAfter - cpuBefore, w, serverAfter - serverBefore, error, 0, w + others, peakThreads, 0);
  }

  /**
   * Runs a non-blocking contender: {@code issuers} threads released at once keep {@code inFlight} decisions in flight
   * between them until the deadline. A semaphore holds {@code inFlight} permits; an issuing thread takes one, starts a
   * decision and goes on to the next, and the decision's completion (on whatever thread completes it) records its
   * latency, from just before it was started to its completion, and gives the permit back. No thread waits for a
   * decision: when all permits are out, the issuers wait for one to come back. After the deadline the issuers stop
   * and the run waits for the decisions still in flight (they count; the elapsed time runs to the last completion).
   *
   * <p>Client CPU ({@link Measured#workerCpuNanos()}, as {@link Measured#threadsCpuNanos()}) is every Java thread's:
   * the issuers', the SDK's event loop, the executor the limiter completes on. A thread that ends during the run is
   * missed (the issuers measure their own).
   *
   * @param keyOf the key of an issuer's {@code i}-th decision: {@code keyOf.apply(issuer).apply(i)}
   */
  static Measured runAsync(int issuers, int inFlight, Duration duration, IntFunction<IntFunction<String>> keyOf,
      AsyncStep step) throws InterruptedException {
    CountDownLatch ready = new CountDownLatch(issuers);
    CountDownLatch gate = new CountDownLatch(1);
    Semaphore permits = new Semaphore(inFlight);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    ConcurrentHistogram latency = new ConcurrentHistogram(3);
    LongAdder admitted = new LongAdder();
    LongAdder denied = new LongAdder();
    LongAdder errors = new LongAdder();
    AtomicReference<String> firstError = new AtomicReference<>();
    Map<String, LongAdder> perKey = new ConcurrentHashMap<>();
    AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
    AtomicLong lastEnd = new AtomicLong(Long.MIN_VALUE);
    long[] issuerCpu = new long[issuers];
    long[] inStart = new long[issuers];
    long[] deadline = new long[1];
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < issuers; t++) {
      int issuer = t;
      IntFunction<String> keys = keyOf.apply(issuer);
      Thread thread = new Thread(() -> {
        ready.countDown();
        try {
          gate.await();
        } catch (InterruptedException e) {
          return;
        }
        long cpuStart = mx.getCurrentThreadCpuTime();
        try {
          for (int i = 0; ; i++) {
            long wait = deadline[0] - System.nanoTime();
            if (wait <= 0 || !permits.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
              break;
            }
            long start = System.nanoTime();
            if (start >= deadline[0]) {
              permits.release();
              break;
            }
            firstStart.accumulateAndGet(start, Math::min);
            String key = keys.apply(i);
            CompletionStage<Boolean> decision;
            try {
              decision = step.start(key);
            } catch (Exception | Error e) {
              decision = CompletableFuture.failedFuture(e);
            }
            inStart[issuer] += System.nanoTime() - start;
            decision.whenComplete((allowed, failure) -> {
              long end = System.nanoTime();
              if (failure != null) {
                errors.increment();
                firstError.compareAndSet(null, failure.toString());
              } else if (allowed) {
                admitted.increment();
                perKey.computeIfAbsent(key, k -> new LongAdder()).increment();
              } else {
                denied.increment();
              }
              latency.recordValue(end - start);
              lastEnd.accumulateAndGet(end, Math::max);
              permits.release();
            });
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        issuerCpu[issuer] = mx.getCurrentThreadCpuTime() - cpuStart;
      }, "bench-issuer-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    ready.await();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Set<Long> own = threads.stream().map(Thread::getId).collect(Collectors.toSet());
    Map<Long, Long> othersBefore = threadCpu(own);
    mx.resetPeakThreadCount();
    long cpuBefore = os.getProcessCpuTime();
    long serverBefore = serverCpuNanos();
    long origin = System.nanoTime();
    deadline[0] = origin + duration.toNanos();
    gate.countDown();
    // Halfway through, which threads are alive (by name, numbers dropped): the log shows what the path runs on.
    Thread.sleep(Math.max(1, duration.toMillis() / 2));
    String census = threadCensus();
    for (Thread thread : threads) {
      thread.join();
    }
    // The decisions still in flight: wait for every permit to come back (each is bounded by its call timeout).
    boolean drained = permits.tryAcquire(inFlight, 60, TimeUnit.SECONDS);
    long cpuAfter = os.getProcessCpuTime();
    long serverAfter = serverCpuNanos();
    long others = cpuSince(othersBefore, own);
    int peakThreads = mx.getPeakThreadCount();
    long issuersCpu = Arrays.stream(issuerCpu).sum();
    long runNanos = System.nanoTime() - origin;
    double busy = runNanos <= 0 ? 0 : Arrays.stream(inStart).sum() / ((double) issuers * runNanos);
    LoadHarness.log("  %d issuers, %d in flight: live threads at half time %s; peak %d; CPU issuers %.0f ms, other "
            + "threads %.0f ms; issuers inside the starting call %.0f%% of the run%s", issuers, inFlight, census,
        peakThreads, issuersCpu / 1e6, others / 1e6, 100 * busy,
        drained ? "" : "; NOT DRAINED after 60 s: " + (inFlight - permits.availablePermits()) + " still in flight");
    long unfinished = drained ? 0 : inFlight - permits.availablePermits();
    Map<String, Long> admittedPerKey = new HashMap<>();
    perKey.forEach((key, n) -> admittedPerKey.put(key, n.sum()));
    long start = firstStart.get();
    long end = lastEnd.get();
    return new Measured(start == Long.MAX_VALUE || end == Long.MIN_VALUE ? 0 : end - start, admitted.sum(),
        denied.sum(), errors.sum() + unfinished, latency, admittedPerKey, cpuAfter - cpuBefore,
        issuersCpu + others, serverAfter - serverBefore,
        unfinished > 0 && firstError.get() == null ? unfinished + " decisions never completed" : firstError.get(),
        inFlight, issuersCpu + others, peakThreads, busy);
  }

  /** CPU time of every live Java thread but {@code except}, by thread id. */
  private static Map<Long, Long> threadCpu(Set<Long> except) {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = mx.getAllThreadIds();
    long[] cpu = mx.getThreadCpuTime(ids);
    Map<Long, Long> byId = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      if (cpu[i] >= 0 && !except.contains(ids[i])) {
        byId.put(ids[i], cpu[i]);
      }
    }
    return byId;
  }

  /** CPU time spent since {@code before} by the live threads but {@code except} (threads born since from zero). */
  private static long cpuSince(Map<Long, Long> before, Set<Long> except) {
    long total = 0;
    for (Map.Entry<Long, Long> now : threadCpu(except).entrySet()) {
      total += Math.max(0, now.getValue() - before.getOrDefault(now.getKey(), 0L));
    }
    return total;
  }

  /** The live threads, counted by name with digits dropped ({@code aws-java-sdk-NettyEventLoop-#-#=4}). */
  static String threadCensus() {
    Map<String, Integer> byName = new TreeMap<>();
    Thread.getAllStackTraces().keySet()
        .forEach(t -> byName.merge(t.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum));
    return byName.values().stream().mapToInt(Integer::intValue).sum() + " " + byName;
  }

  /** CPU time of the child processes of this JVM (the dynalite server), from the operating system. */
  static long serverCpuNanos() {
    return ProcessHandle.current().descendants()
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
        .sum();
  }
}
