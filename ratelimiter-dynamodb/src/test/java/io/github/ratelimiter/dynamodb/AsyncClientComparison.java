package io.github.ratelimiter.dynamodb;

import static io.github.ratelimiter.store.BucketStore.UNKNOWN;

import com.sun.management.OperatingSystemMXBean;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Not a test: the measurement behind {@code docs/async-client.md}, the CRT client against the SDK's Netty client as
 * the asynchronous client of {@link DynamoDbClients.Builder#buildAsync()}, on dynalite. One JVM measures one client
 * (run it once per client, alternating, several times: the machine is shared):
 *
 * <pre>
 * java [-Dexecutor=inline] [-DinFlightPerThread=128] [-Dsync=true] -cp ... \
 *     io.github.ratelimiter.dynamodb.AsyncClientComparison netty|crt [seconds] [endpoint]
 * </pre>
 *
 * ({@code -DwarmUpSeconds=30} sets the warm-up, half the measured seconds by default; {@code -Dexecutor=inline} completes Netty's futures in place, {@code Runnable::run}, as the builder does CRT's;
 * {@code -Dsync=true} drives the blocking client instead, one request in flight per thread, for reference.)
 *
 * It prints the time from building the client to its first answer, then drives the store's {@code consumeAsync}
 * (one conditional UpdateItem per decision, over 1,000 buckets, all admitted) with 256 requests in flight from 2
 * threads (128 each, a new one sent as each answers) for a warm-up and then for the measured seconds, and prints
 * decisions per second, this JVM's CPU time per decision (client and driver threads: dynalite is another process),
 * and the JVM's live threads at the end of the run.
 */
final class AsyncClientComparison {

  private static final int THREADS = 2;
  private static final int IN_FLIGHT_PER_THREAD = Integer.getInteger("inFlightPerThread", 128);
  private static final int BUCKETS = 1_000;

  private static final boolean SYNC = Boolean.getBoolean("sync");

  private AsyncClientComparison() {}

  public static void main(String[] args) throws Exception {
    String kind = args.length > 0 ? args[0] : "netty";
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    LocalDynamoDbServer server = args.length > 2 ? null : LocalDynamoDbServer.start();
    URI endpoint = server != null ? server.endpoint() : URI.create(args[2]);
    TableNames names = TableNames.of(LocalDynamoDb.uniqueName("bench"));
    try (DynamoDbClient admin = LocalDynamoDb.client(endpoint)) {
      DynamoDbTables.createIfMissing(admin, names);
    }
    long buildStart = System.nanoTime();
    DynamoDbClients.Builder builder = DynamoDbClients.builder().endpoint(endpoint)
        .attemptTimeout(Duration.ofSeconds(10)).callTimeout(Duration.ofSeconds(30));
    if (kind.equals("netty")) {
      builder.asyncHttpClientBuilder(NettyNioAsyncHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
          .maxConcurrency(50));
      if (!System.getProperty("executor", "").equals("inline")) {
        // Netty needs its completions queued on its event loop, not run in place (see the doc)
        builder.asyncCustomizer(b -> b.asyncConfiguration(c -> c.advancedOption(
            SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR, AsyncClientComparison::onEventLoop)));
      }
    }
    DynamoDbAsyncClient async = builder.buildAsync();
    try (DynamoDbStore store = DynamoDbStore.builder().client(LocalDynamoDb.client(endpoint)).asyncClient(async)
        .ownsClient(true).tableNames(names).build()) {
      long now = System.currentTimeMillis() * 1_000_000L;
      store.buckets().consumeAsync(request(now, 0)).get();
      double startupMs = (System.nanoTime() - buildStart) / 1e6;
      run(store, now, Integer.getInteger("warmUpSeconds", Math.max(3, seconds / 2))); // JIT and connections
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpuBefore = os.getProcessCpuTime();
      long start = System.nanoTime();
      long[] result = run(store, now, seconds);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long cpu = os.getProcessCpuTime() - cpuBefore;
      System.out.printf("%s: startup %.0f ms, %.0f decisions/s, %.1f us CPU per decision, %d failed, %d live"
              + " threads (peak %d)%n", kind, startupMs, result[0] / elapsed, cpu / 1e3 / result[0], result[1],
          threads.getThreadCount(), threads.getPeakThreadCount());
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  /**
   * A completion on a Netty event-loop thread queued on that loop after the current task (the SDK then releases the
   * answer's connection first); elsewhere in place.
   */
  private static void onEventLoop(Runnable command) {
    EventExecutor loop = ThreadExecutorMap.currentExecutor();
    if (loop != null && loop.inEventLoop()) {
      loop.execute(command);
    } else {
      command.run();
    }
  }

  private static BucketRequest request(long now, int bucket) {
    // 1 ns per permit within a tolerance of an hour: every decision is admitted, each one conditional UpdateItem
    return new BucketRequest("bench", "b" + bucket, now, 1, 3_600_000_000_000L, UNKNOWN, Deadline.none());
  }

  /** Decisions (admitted and failed) in {@code seconds} with 256 in flight from 2 threads. */
  private static long[] run(DynamoDbStore store, long now, int seconds) throws InterruptedException {
    LongAdder done = new LongAdder();
    LongAdder failed = new LongAdder();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong next = new AtomicLong();
    List<Thread> drivers = new ArrayList<>();
    List<Semaphore> slots = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Semaphore inFlight = new Semaphore(IN_FLIGHT_PER_THREAD);
      slots.add(inFlight);
      Thread driver = new Thread(() -> {
        while (running.get()) {
          if (SYNC) { // the blocking client, for reference: one request in flight per thread
            store.buckets().consume(request(now, (int) (next.getAndIncrement() % BUCKETS)));
            done.increment();
            continue;
          }
          inFlight.acquireUninterruptibly();
          store.buckets().consumeAsync(request(now, (int) (next.getAndIncrement() % BUCKETS)))
              .whenComplete((result, failure) -> {
                if (failure == null) {
                  done.increment();
                } else if (failed.sum() == 0) {
                  failed.increment();
                  System.out.println("first failure: " + failure);
                } else {
                  failed.increment();
                }
                inFlight.release();
              });
        }
      }, "bench-driver-" + t);
      driver.start();
      drivers.add(driver);
    }
    Thread.sleep(seconds * 1_000L);
    running.set(false);
    for (Thread driver : drivers) {
      driver.join();
    }
    for (Semaphore inFlight : slots) {
      inFlight.acquireUninterruptibly(IN_FLIGHT_PER_THREAD); // every request answered
    }
    return new long[] {done.sum(), failed.sum()};
  }
}
