package io.github.ratelimiter.server;

import static io.github.ratelimiter.server.Harness.descriptor;
import static io.github.ratelimiter.server.Harness.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Two server processes on one dynalite, 16 client threads (8 per process) asking for one descriptor, released at
 * once: every interval's admissions stay within the exact GCRA bound, no request of the first full bucket is denied,
 * and the store requests per admitted descriptor are counted from both processes' meters. With
 * {@code -Pmultiprocess} (system property {@code ratelimiter.multiprocess}): 100 per second for 10 s, as issue 22
 * asks; in the default build 10 per second for 2 s, a limit that binds even when a loaded machine answers far fewer
 * than 100 requests a second. Nothing here asserts a speed.
 */
class TwoProcessExactnessTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  static final int THREADS = 16;

  @TempDir Path dir;

  /** One admitted request: sent at, answered at (System.nanoTime). */
  record Admission(long sent, long received) {}

  @Test
  void twoProcessesAdmitWithinTheExactBoundOverEveryInterval() throws Exception {
    boolean full = Boolean.getBoolean("ratelimiter.multiprocess");
    long seconds = full ? 10 : 2;
    int limit = full ? 100 : 10;
    long interval = 1_000_000_000L / limit;
    String base = LocalDynamoDb.uniqueName("rls2");
    try (DynamoDbClient client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, TableNames.of(base));
    }
    Path config = Files.writeString(dir.resolve("api.yaml"),
        "domain: api\ndescriptors:\n  - key: route\n    rate_limit: {unit: second, requests_per_unit: " + limit
            + "}\n");
    List<Process> processes = new ArrayList<>();
    List<int[]> ports = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int p = 0; p < 2; p++) {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m", "-cp", System.getProperty("java.class.path"), RlsProcess.class.getName(),
            DYNAMO.endpoint().toString(), base, config.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(process);
      }
      for (Process process : processes) {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("PORTS ")) {
          // the server's own output before it serves
        }
        assertThat(line).as("the server process started").isNotNull();
        String[] parts = line.split(" ");
        ports.add(new int[] {Integer.parseInt(parts[1]), Integer.parseInt(parts[2])});
        channels.add(NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(parts[1])).usePlaintext()
            .build());
      }
      RateLimitRequest request = request("api", descriptor("route", "/orders"));
      // warm both processes (class loading, JIT, connections) on other descriptors
      for (ManagedChannel channel : channels) {
        for (int i = 0; i < 50; i++) {
          RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
              .shouldRateLimit(request("api", descriptor("route", "/warm-up-" + i)));
        }
      }
      long requestsBefore = storeRequests(ports);

      CountDownLatch gate = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      List<Future<List<Admission>>> results = new ArrayList<>();
      long[] asked = new long[THREADS];
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        RateLimitServiceGrpc.RateLimitServiceBlockingStub stub =
            RateLimitServiceGrpc.newBlockingStub(channels.get(t % 2));
        results.add(pool.submit(() -> {
          List<Admission> admitted = new ArrayList<>();
          gate.await();
          long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
          while (System.nanoTime() < end) {
            long sent = System.nanoTime();
            Code code = stub.withDeadlineAfter(60, TimeUnit.SECONDS).shouldRateLimit(request).getOverallCode();
            long received = System.nanoTime();
            asked[thread]++;
            if (code == Code.OK) {
              admitted.add(new Admission(sent, received));
            }
          }
          return admitted;
        }));
      }
      gate.countDown();
      List<Admission> admitted = new ArrayList<>();
      for (Future<List<Admission>> result : results) {
        admitted.addAll(result.get(5, TimeUnit.MINUTES));
      }
      pool.shutdown();
      long storeRequests = storeRequests(ports) - requestsBefore;

      Admission[] bySent = admitted.toArray(new Admission[0]);
      Arrays.sort(bySent, (x, y) -> Long.compare(x.sent(), y.sent()));
      long worstExcess = Long.MIN_VALUE;
      for (int i = 0; i < bySent.length; i++) {
        long start = bySent[i].sent();
        long[] received = new long[bySent.length - i];
        for (int k = i; k < bySent.length; k++) {
          received[k - i] = bySent[k].received();
        }
        Arrays.sort(received);
        for (int m = 0; m < received.length; m++) {
          // the m+1 admissions sent at or after `start` and answered by received[m] were decided within that span
          long bound = limit + (received[m] - start) / interval;
          worstExcess = Math.max(worstExcess, (m + 1) - bound);
        }
      }
      long totalAsked = Arrays.stream(asked).sum();
      long span = bySent.length == 0 ? 0
          : admitted.stream().mapToLong(Admission::received).max().getAsLong() - bySent[0].sent();
      double perAdmitted = (double) storeRequests / admitted.size();
      System.out.printf("two processes, %d threads, %d per second for %d s: %d asked, %d admitted (bound %d over the"
          + " %.2f s from the first admitted request sent to the last answered), %d store requests, %.3f per admitted"
          + " decision, %.3f per decision, worst interval %d under its bound%n", THREADS, limit, seconds, totalAsked,
          admitted.size(), limit + span / interval, span / 1e9, storeRequests, perAdmitted,
          (double) storeRequests / totalAsked, -worstExcess);
      assertThat(worstExcess).as("admissions beyond the bound in the worst interval").isLessThanOrEqualTo(0);
      assertThat(admitted.size()).as("the first full bucket is granted").isGreaterThanOrEqualTo(
          (int) Math.min(totalAsked, limit));
      // Measured, not a target met: 1.00 needs one write per decision, which two processes contending for one bucket
      // on dynalite do not get (a failed condition returns no item there, so the other update is tried, and a denial
      // the process cannot rule out locally costs up to two writes and a read). See docs/rate-limit-service.md.
      assertThat(storeRequests).as("store requests").isLessThanOrEqualTo(3 * totalAsked);
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      for (Process process : processes) {
        process.getOutputStream().close();
      }
      for (Process process : processes) {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  /** The store requests both processes' limiters sent, from their /metrics. */
  private static long storeRequests(List<int[]> ports) throws Exception {
    long total = 0;
    HttpClient http = HttpClient.newHttpClient();
    for (int[] port : ports) {
      String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port[1] + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofString()).body();
      for (String line : metrics.split("\n")) {
        if (line.startsWith("ratelimiter_store_requests_total{")) {
          total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return total;
  }
}
