package io.github.ratelimiter.dynamodb;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link LeaseWorker} JVMs on one key and checks what they admitted together: the bound over every interval
 * (with the clock readings the decisions used; all processes run on this machine's one clock), utilisation, and
 * recovery after a kill.
 */
final class LeaseProcesses implements AutoCloseable {

  /** One worker's settings. */
  record Worker(boolean leasing, long hotThreshold, String schedule) {}

  private final List<Process> processes = new ArrayList<>();
  private final Path dir;
  long startMillis;
  final long limit;
  final long windowMillis;

  private LeaseProcesses(Path dir, long limit, long windowMillis) {
    this.dir = dir;
    this.limit = limit;
    this.windowMillis = windowMillis;
  }

  /**
   * Starts the workers, waits until every one is ready (JVM started, client built, code paths warmed), then lets
   * them begin asking at the same wall-clock instant, {@code startDelay} after the last is ready.
   */
  static LeaseProcesses start(URI endpoint, String tableBase, String resource, long limit, long windowMillis,
      int threads, long refreshMillis, Duration startDelay, List<Worker> workers, Path dir) throws IOException {
    LeaseProcesses run = new LeaseProcesses(dir, limit, windowMillis);
    Path startFile = dir.resolve("start.txt");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath = System.getProperty("java.class.path");
    for (int i = 0; i < workers.size(); i++) {
      Worker worker = workers.get(i);
      Path out = dir.resolve("p" + i);
      Files.createDirectories(out);
      ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath, LeaseWorker.class.getName(),
          endpoint.toString(), tableBase, resource, "tenant", Long.toString(limit), Long.toString(windowMillis),
          Integer.toString(threads), startFile.toString(), Boolean.toString(worker.leasing()),
          Long.toString(refreshMillis), Long.toString(worker.hotThreshold()), worker.schedule(), out.toString());
      builder.redirectErrorStream(true).redirectOutput(out.resolve("stdout.txt").toFile());
      run.processes.add(builder.start());
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    for (int i = 0; i < workers.size(); i++) {
      while (!Files.exists(dir.resolve("p" + i).resolve("ready"))) {
        if (System.nanoTime() > deadline || !run.processes.get(i).isAlive()) {
          run.close();
          throw new IllegalStateException("worker " + i + " never got ready: " + run.summary(i));
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
    run.startMillis = System.currentTimeMillis() + startDelay.toMillis();
    Path temporary = dir.resolve("start.tmp");
    Files.writeString(temporary, Long.toString(run.startMillis));
    Files.move(temporary, startFile, StandardCopyOption.ATOMIC_MOVE);
    return run;
  }

  /**
   * Kills worker {@code i} with SIGKILL (what {@link Process#destroyForcibly()} sends on Linux); returns the offset
   * from the start, in milliseconds, at which the signal was sent.
   */
  long kill(int i) {
    long at = System.currentTimeMillis() - startMillis;
    processes.get(i).destroyForcibly();
    return at;
  }

  /** Sleeps until {@code offsetMs} after the common start. */
  void sleepUntil(long offsetMs) throws InterruptedException {
    long left = startMillis + offsetMs - System.currentTimeMillis();
    if (left > 0) {
      Thread.sleep(left);
    }
  }

  /** Waits for every worker; returns their exit codes. */
  List<Integer> await(Duration timeout) throws InterruptedException {
    List<Integer> codes = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Process process : processes) {
      long left = Math.max(1, deadline - System.nanoTime());
      if (!process.waitFor(left, TimeUnit.NANOSECONDS)) {
        process.destroyForcibly();
        codes.add(-1);
      } else {
        codes.add(process.exitValue());
      }
    }
    return codes;
  }

  /** Every admission of worker {@code i}, sorted. */
  long[] admissions(int i) throws IOException {
    return LeaseWorker.readAll(dir.resolve("p" + i));
  }

  /** Every admission of all workers, sorted. */
  long[] admissions() throws IOException {
    return LeaseWorker.readAll(dir);
  }

  /** Every denial of worker {@code i} (the clock reading its decision used), sorted. */
  long[] denials(int i) throws IOException {
    return LeaseWorker.readAll(dir.resolve("p" + i), "denied-");
  }

  /** Every denial of all workers, sorted. */
  long[] denials() throws IOException {
    return LeaseWorker.readAll(dir, "denied-");
  }

  /** The admissions of worker {@code i} that its own store write decided (the direct path), sorted. */
  long[] direct(int i) throws IOException {
    return LeaseWorker.readAll(dir.resolve("p" + i), "direct-");
  }

  /** The sorted union of the given workers' logs: {@code log} reads one worker's. */
  static long[] union(List<Integer> workers, IoFunction log) throws IOException {
    long[][] parts = new long[workers.size()][];
    int n = 0;
    for (int k = 0; k < parts.length; k++) {
      parts[k] = log.apply(workers.get(k));
      n += parts[k].length;
    }
    long[] all = new long[n];
    int at = 0;
    for (long[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    java.util.Arrays.sort(all);
    return all;
  }

  /** One worker's log. */
  @FunctionalInterface
  interface IoFunction {
    long[] apply(int worker) throws IOException;
  }

  /**
   * What was admitted while demand exceeded the limit: over the slices of {@code sliceMs} in {@code [fromMs, toMs)}
   * (offsets from the start) in which at least the rate's worth was offered (admitted plus denied), the admissions
   * over the rate's worth {@code L/W * slice}.
   */
  Overloaded overloaded(long[] admitted, long[] denied, long fromMs, long toMs, long sliceMs) {
    long covered = 0;
    long admittedThen = 0;
    long offeredThen = 0;
    double perSlice = (double) limit * sliceMs / windowMillis;
    for (long t = fromMs; t + sliceMs <= toMs; t += sliceMs) {
      long in = count(admitted, at(t), at(t + sliceMs));
      long offered = in + count(denied, at(t), at(t + sliceMs));
      if (offered >= perSlice) {
        covered += sliceMs;
        admittedThen += in;
        offeredThen += offered;
      }
    }
    return new Overloaded(covered, admittedThen, offeredThen,
        covered == 0 ? 0 : admittedThen / ((double) limit * covered / windowMillis));
  }

  /**
   * Admissions while demand exceeded the limit.
   *
   * @param coveredMs the time of the slices in which at least the limit's rate was offered
   * @param admitted admitted in those slices
   * @param offered admitted plus denied in those slices
   * @param ofRate {@code admitted} over {@code L/W * coveredMs} (above 1 while the bucket's burst is spent)
   */
  record Overloaded(long coveredMs, long admitted, long offered, double ofRate) {
    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "%d admitted of %d offered in %d ms of slices offered at least"
          + " the limit: %.1f%% of the rate", admitted, offered, coveredMs, 100 * ofRate);
    }
  }

  /** Admitted in {@code [fromMs, toMs)} over the bound {@code L + floor(t*L/W)} for that interval. */
  double ofBound(long[] admitted, long fromMs, long toMs) {
    return count(admitted, at(fromMs), at(toMs)) / (double) (limit + (toMs - fromMs) * limit / windowMillis);
  }

  /**
   * How long after {@code fromMs} the admissions in {@code admitted} are back to at least {@code share} of the
   * limit's rate: the first {@code d}, in steps of {@code stepMs}, with at least {@code share * L/W * windowMs}
   * admitted in {@code [fromMs + d, fromMs + d + windowMs)}; -1 if that never happens before {@code toMs}.
   */
  long backToShare(long[] admitted, long fromMs, long toMs, long windowMs, long stepMs, double share) {
    double wanted = share * limit * windowMs / windowMillis;
    for (long d = 0; fromMs + d + windowMs <= toMs; d += stepMs) {
      if (count(admitted, at(fromMs + d), at(fromMs + d + windowMs)) >= wanted) {
        return d;
      }
    }
    return -1;
  }

  /** A worker's summary line, or what it printed when it had none. */
  String summary(int i) throws IOException {
    Path summary = dir.resolve("p" + i).resolve("summary.txt");
    if (Files.exists(summary)) {
      return Files.readString(summary);
    }
    return "no summary; output: " + Files.readString(dir.resolve("p" + i).resolve("stdout.txt"));
  }

  /** The store requests a worker reported. */
  long requests(int i) throws IOException {
    String summary = summary(i);
    int at = summary.indexOf("requests=");
    return at < 0 ? -1 : Long.parseLong(summary.substring(at + 9).split(" ")[0]);
  }

  /** The emission interval {@code T = ceil(W / L)}, nanoseconds. */
  long intervalNanos() {
    long window = windowMillis * 1_000_000L;
    return (window + limit - 1) / limit;
  }

  /**
   * The largest excess over the bound {@code L + floor(t / T)} over every interval {@code [g_i, g_j]} of the sorted
   * admissions (negative or zero: within the bound). One pass: the condition for a pair is
   * {@code g_i - i*T <= g_j - (j + 1 - L)*T}.
   */
  long worstExcess(long[] sorted) {
    return worstExcess(sorted, limit, intervalNanos());
  }

  /** {@link #worstExcess(long[])} for a bucket of {@code limit} with emission interval {@code interval}. */
  static long worstExcess(long[] sorted, long limit, long interval) {
    long worst = Long.MIN_VALUE;
    long maxLeft = Long.MIN_VALUE;
    int maxLeftIndex = 0;
    for (int j = 0; j < sorted.length; j++) {
      long left = sorted[j] - (long) j * interval;
      if (left > maxLeft) {
        maxLeft = left;
        maxLeftIndex = j;
      }
      // admissions in [g_i, g_j] minus the bound for that interval, for the best i
      long count = j - maxLeftIndex + 1;
      long bound = limit + (sorted[j] - sorted[maxLeftIndex]) / interval;
      worst = Math.max(worst, count - bound);
    }
    return sorted.length == 0 ? -limit : worst;
  }

  /** Admissions with {@code from <= g < to} (epoch nanoseconds). */
  static long count(long[] sorted, long from, long to) {
    return lowerBound(sorted, to) - lowerBound(sorted, from);
  }

  private static int lowerBound(long[] sorted, long value) {
    int index = java.util.Arrays.binarySearch(sorted, value);
    if (index < 0) {
      return -index - 1;
    }
    while (index > 0 && sorted[index - 1] == value) {
      index--;
    }
    return index;
  }

  /** Epoch nanoseconds of an offset from the common start. */
  long at(long offsetMillis) {
    return (startMillis + offsetMillis) * 1_000_000L;
  }

  /** Admitted in {@code [fromMs, toMs)} over what the rate {@code L/W} allows in that time. */
  double utilisation(long[] sorted, long fromMs, long toMs) {
    return count(sorted, at(fromMs), at(toMs)) / ((double) limit * (toMs - fromMs) / windowMillis);
  }

  @Override
  public void close() {
    processes.forEach(Process::destroyForcibly);
  }
}
