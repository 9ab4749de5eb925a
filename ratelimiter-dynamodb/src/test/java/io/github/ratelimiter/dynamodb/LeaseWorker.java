package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import java.io.IOException;
import java.net.URI;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * One process of the multi-process lease tests (started by {@link LeaseProcesses} as its own JVM): threads that ask
 * one key of a fungible limiter for permits at a paced, scheduled rate, and log the time every admitted decision
 * used (the clock reading of that decision, caught by a per-thread recording clock).
 *
 * <pre>
 *   LeaseWorker endpoint table-prefix resource account limit window-ms threads start-file leasing(true|false)
 *               refresh-ms hot-threshold schedule out-dir
 *   schedule: offset-ms:permits-per-second,...  (the process's demand from each offset on; 0 = none)
 * </pre>
 *
 * <p>Each thread logs its admissions' epoch nanoseconds as big-endian longs into a memory-mapped file of its own
 * ({@code out-dir/thread-N.bin}, zero after the last), so that the log survives a SIGKILL; likewise the clock
 * readings of its denials ({@code denied-N.bin}: with the admissions, what was offered) and of the admissions that
 * were decided by a store write of their own, the direct path ({@code direct-N.bin}: the others came from a lease).
 * A process that ends normally also writes {@code out-dir/summary.txt}
 * ({@code admitted=.. denied=.. errors=.. requests=..}).
 */
public final class LeaseWorker {

  private LeaseWorker() {}

  /** A clock that remembers, per thread, the last instant it gave: the decision's own {@code now}. */
  static final class RecordingClock extends Clock {
    private final ThreadLocal<long[]> last = ThreadLocal.withInitial(() -> new long[1]);

    @Override
    public Instant instant() {
      Instant now = Instant.now();
      last.get()[0] = now.getEpochSecond() * 1_000_000_000L + now.getNano();
      return now;
    }

    long lastNanos() {
      return last.get()[0];
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }

  public static void main(String[] args) throws Exception {
    URI endpoint = URI.create(args[0]);
    TableNames tables = TableNames.of(args[1]);
    String resource = args[2];
    String account = args[3];
    Limit limit = Limit.of(Long.parseLong(args[4]), Duration.ofMillis(Long.parseLong(args[5])));
    int threads = Integer.parseInt(args[6]);
    Path startFile = Path.of(args[7]);
    boolean leasing = Boolean.parseBoolean(args[8]);
    Duration refresh = Duration.ofMillis(Long.parseLong(args[9]));
    long hotThreshold = Long.parseLong(args[10]);
    long[][] schedule = parseSchedule(args[11]);
    Path out = Path.of(args[12]);
    long endOffset = schedule[schedule.length - 1][0];

    long t0 = System.currentTimeMillis();
    RecordingClock clock = new RecordingClock();
    RequestCounter counter = new RequestCounter();
    DynamoDbClient client = LocalDynamoDb.client(endpoint, counter);
    ThreadLocal<boolean[]> storeAsked = ThreadLocal.withInitial(() -> new boolean[1]);
    RateLimiters limiters = RateLimiters.builder()
        .store(DynamoDbStore.builder().client(client).tableNames(tables).build())
        .clock(clock)
        .listener(new RateLimiterListener() {
          @Override
          public void onDecision(String resourceName, String accountId, LimiterKind kind, DecisionOutcome outcome,
              long permits, boolean asked) {
            storeAsked.get()[0] = asked; // heard on the deciding thread, before tryAcquire returns
          }
        })
        .build();
    LimiterOptions.Builder options = LimiterOptions.builder();
    if (leasing) {
      options.leasing(Leasing.builder().refreshInterval(refresh).hotThreshold(hotThreshold).build());
    }
    FungibleLimiter limiter = limiters.fungible(resource, limit, options.build());
    System.out.println("client and limiter " + (System.currentTimeMillis() - t0) + " ms");
    // Warm the code paths on another account, so the JIT does not eat the first seconds of the run.
    for (int i = 0; i < 20; i++) {
      limiter.tryAcquire(account + "-warmup");
      if (i == 0) {
        System.out.println("first decision " + (System.currentTimeMillis() - t0) + " ms");
      }
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("ready"), "ready");
    System.out.println("ready after " + (System.currentTimeMillis() - t0) + " ms");
    while (!Files.exists(startFile)) {
      Thread.sleep(20);
    }
    Thread.sleep(50);
    long startMillis = Long.parseLong(Files.readString(startFile).strip());
    List<Thread> workers = new ArrayList<>();
    long[] denied = new long[threads];
    long[] errors = new long[threads];
    long[] admitted = new long[threads];
    long startNanos = startMillis * 1_000_000L;
    for (int t = 0; t < threads; t++) {
      int thread = t;
      // Admissions go to a memory-mapped file: pages written survive a SIGKILL of this process.
      MappedByteBuffer log = mapped(out.resolve("thread-" + t + ".bin"));
      MappedByteBuffer deniedLog = mapped(out.resolve("denied-" + t + ".bin"));
      MappedByteBuffer directLog = mapped(out.resolve("direct-" + t + ".bin"));
      Thread worker = new Thread(() -> {
        long next = startNanos + thread * 37_000L;
        long paced = -1;
        while (true) {
          long wall = wallNanos();
          long offsetMs = (wall - startNanos) / 1_000_000L;
          if (offsetMs >= endOffset) {
            break;
          }
          long rate = offsetMs < 0 ? 0 : rateAt(schedule, offsetMs);
          if (rate == 0) {
            LockSupport.parkNanos(Math.min(1_000_000L, Math.max(1, startNanos - wall)));
            next = wallNanos();
            continue;
          }
          long gap = threads * 1_000_000_000L / rate;
          if (rate != paced) {
            // a new rate: the threads' asks spread evenly over the process's gap, not all at once (at 4/s, 8 threads
            // asking within a millisecond every 2 s would look like a hot key to a 100 ms demand measurement)
            next = wall + thread * (gap / threads);
            paced = rate;
          }
          if (next > wall) {
            LockSupport.parkNanos(Math.min(next - wall, 10_000_000L)); // at most 10 ms: a new rate applies at once
            continue;
          }
          if (wall - next > 20_000_000L) {
            next = wall; // fell behind by more than 20 ms (a pause): no catching up in a burst
          }
          next += gap;
          try {
            if (limiter.tryAcquire(account).allowed()) {
              log.putLong(clock.lastNanos());
              if (storeAsked.get()[0]) {
                directLog.putLong(clock.lastNanos());
              }
              admitted[thread]++;
            } else {
              deniedLog.putLong(clock.lastNanos());
              denied[thread]++;
            }
          } catch (RuntimeException e) {
            errors[thread]++;
          }
        }
      }, "worker-" + t);
      workers.add(worker);
      worker.start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    String summary = "admitted=" + Arrays.stream(admitted).sum() + " denied=" + Arrays.stream(denied).sum()
        + " errors=" + Arrays.stream(errors).sum() + " requests=" + counter.total() + " " + counter.snapshot();
    Files.writeString(out.resolve("summary.txt"), summary);
    System.out.println(summary);
    limiters.close();
    client.close();
    System.exit(0);
  }

  /** Room for 2M decisions per thread and log (sparse on disk). */
  static final int LOG_BYTES = 16 << 20;

  private static MappedByteBuffer mapped(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      return channel.map(FileChannel.MapMode.READ_WRITE, 0, LOG_BYTES);
    }
  }

  /** Every admission time logged under {@code dir} by any process, sorted. */
  static long[] readAll(Path dir) throws IOException {
    return readAll(dir, "thread-");
  }

  /**
   * Every time logged under {@code dir} in the logs whose names start with {@code prefix} ({@code thread-}: the
   * admissions, {@code denied-}: the denials, {@code direct-}: the admissions decided by their own store write),
   * sorted.
   */
  static long[] readAll(Path dir, String prefix) throws IOException {
    List<Path> files;
    try (var paths = Files.walk(dir)) {
      files = paths.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
    }
    long[] all = new long[1 << 20];
    int n = 0;
    for (Path file : files) {
      java.nio.ByteBuffer bytes;
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()); // read up to the first zero only
      }
      while (bytes.remaining() >= 8) {
        long time = bytes.getLong();
        if (time == 0) {
          break;
        }
        if (n == all.length) {
          all = Arrays.copyOf(all, n * 2);
        }
        all[n++] = time;
      }
    }
    long[] sorted = Arrays.copyOf(all, n);
    Arrays.sort(sorted);
    return sorted;
  }

  private static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  static long[][] parseSchedule(String text) {
    String[] parts = text.split(",");
    long[][] schedule = new long[parts.length][2];
    for (int i = 0; i < parts.length; i++) {
      String[] pair = parts[i].split(":");
      schedule[i][0] = Long.parseLong(pair[0]);
      schedule[i][1] = Long.parseLong(pair[1]);
    }
    return schedule;
  }

  static long rateAt(long[][] schedule, long offsetMs) {
    long rate = 0;
    for (long[] step : schedule) {
      if (step[0] <= offsetMs) {
        rate = step[1];
      }
    }
    return rate;
  }

}
