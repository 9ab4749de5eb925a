package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.util.concurrent.ListenableFuture;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.server.RequestBounds;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests in flight hold no thread: against a store whose answers are held (as a store with an asynchronous client
 * answers later, on its own thread), hundreds of gRPC and HTTP requests are in flight at once on a server of a few
 * threads, and all are answered correctly once the store answers; past the bound on requests in flight, a request
 * waits without a thread and is answered the overload error once it has waited the request timeout.
 */
class RequestsInFlightTest {

  private static final String CONFIG = """
      domain: d
      descriptors:
        - key: user
          rate_limit: {unit: hour, requests_per_unit: 1}
        - key: org
          rate_limit: {unit: day, requests_per_unit: 1000}
      """;

  /** The in-memory store, whose bucket answers are held until released; its blocking methods must not be called. */
  static final class HeldStore implements RateLimitStore {
    final InMemoryStore memory = InMemoryStore.create();
    final ExecutorService storeThread = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "held-store-io");
      thread.setDaemon(true);
      return thread;
    });
    final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean hold = true;

    private <T> CompletableFuture<T> later(java.util.function.Supplier<T> answer) {
      calls.incrementAndGet();
      CompletableFuture<T> future = new CompletableFuture<>();
      Runnable reply = () -> storeThread.execute(() -> {
        try {
          future.complete(answer.get());
        } catch (RuntimeException e) {
          future.completeExceptionally(e);
        }
      });
      if (hold) {
        held.add(reply);
      } else {
        reply.run();
      }
      return future;
    }

    @Override
    public LimitStore limits() {
      return memory.limits();
    }

    @Override
    public BucketStore buckets() {
      BucketStore buckets = memory.buckets();
      return new BucketStore() {
        @Override
        public BucketResult consume(BucketRequest request) {
          throw new AssertionError("the server called the blocking store method");
        }

        @Override
        public QuotaResult consume(QuotaRequest request) {
          throw new AssertionError("the server called the blocking store method");
        }

        @Override
        public boolean refund(RefundRequest request) {
          throw new AssertionError("the server called the blocking store method");
        }

        @Override
        public CompletableFuture<BucketResult> consumeAsync(BucketRequest request) {
          return later(() -> buckets.consume(request));
        }

        @Override
        public CompletableFuture<QuotaResult> consumeAsync(QuotaRequest request) {
          return later(() -> buckets.consume(request));
        }

        @Override
        public CompletableFuture<Boolean> refundAsync(RefundRequest request) {
          return later(() -> buckets.refund(request));
        }
      };
    }

    @Override
    public SlotStore slots() {
      return memory.slots();
    }

    /** Sends every answer held so far; returns how many. */
    int release() {
      int n = 0;
      for (Runnable reply = held.poll(); reply != null; reply = held.poll()) {
        reply.run();
        n++;
      }
      return n;
    }

    @Override
    public void close() {
      storeThread.shutdownNow();
    }
  }

  @TempDir Path dir;

  private final HeldStore store = new HeldStore();
  private final AtomicLong ticker = new AtomicLong();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private DefaultRateLimitServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    store.hold = false;
    store.release();
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
    store.close();
  }

  /** A server whose admission reads {@link #ticker}; decisions use real time, with a timeout long enough. */
  private void start(int maxInFlight) throws Exception {
    Path config = Files.writeString(dir.resolve("d.yaml"), CONFIG);
    server = DefaultRateLimitServer.start(new DefaultRateLimitServer.Settings(store, config,
        InetAddress.getLoopbackAddress(), 0, 0, null, FailureMode.FAIL_CLOSED, Duration.ofSeconds(60),
        Duration.ofSeconds(2), Duration.ofSeconds(30), false, RequestBounds.DEFAULTS, maxInFlight,
        Clock.systemUTC(), registry, List.of()), ticker::get);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  private static RateLimitRequest request(String user, String org) {
    RateLimitRequest.Builder request = RateLimitRequest.newBuilder().setDomain("d").addDescriptors(descriptor("user",
        user));
    if (org != null) {
      request.addDescriptors(descriptor("org", org));
    }
    return request.build();
  }

  private static RateLimitDescriptor descriptor(String key, String value) {
    return RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(key)
        .setValue(value)).build();
  }

  private ListenableFuture<RateLimitResponse> grpc(String user, String org) {
    return RateLimitServiceGrpc.newFutureStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .shouldRateLimit(request(user, org));
  }

  private CompletableFuture<HttpResponse<String>> json(String user, String org) {
    String body = "{\"domain\":\"d\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"" + user + "\"}]}"
        + (org == null ? "" : ",{\"entries\":[{\"key\":\"org\",\"value\":\"" + org + "\"}]}") + "]}";
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/json"))
        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - until).as("waiting until " + what).isNegative();
      Thread.sleep(10);
    }
  }

  /** The server's own threads: its pools and the configuration poller (gRPC's and the JDK's are counted apart). */
  private static long serverThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("rls-")).count();
  }

  /**
   * The live threads but the test's clients' own: the JDK HTTP client's workers (it runs a thread for each of a
   * burst of new connections, here 250) and gRPC's default executor (the client channel's; the server has its own).
   */
  private static long notTheTestsClients() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(name -> !name.startsWith("HttpClient-") && !name.startsWith("grpc-default-executor")).count();
  }

  /** The live threads, counted by name without its trailing number. */
  private static java.util.Map<String, Long> threadNames() {
    return Thread.getAllStackTraces().keySet().stream().collect(java.util.stream.Collectors.groupingBy(
        t -> t.getName().replaceAll("[-0-9]+$", ""), java.util.TreeMap::new, java.util.stream.Collectors.counting()));
  }

  private static Code code(HttpResponse<String> response) {
    return switch (response.statusCode()) {
      case 200 -> Code.OK;
      case 429 -> Code.OVER_LIMIT;
      default -> throw new AssertionError(response.statusCode() + " " + response.body());
    };
  }

  @Test
  void fiveHundredRequestsInFlightHoldNoThreadAndAreAllAnsweredOnceTheStoreAnswers() throws Exception {
    int perListener = 250;
    start(1_000);
    // warm up both listeners and both clients (connections, the first TLS-free handshakes, class loading)
    store.hold = false;
    assertThat(grpc("warm", null).get(60, TimeUnit.SECONDS).getOverallCode()).isEqualTo(Code.OK);
    assertThat(code(json("warm", null).get(60, TimeUnit.SECONDS))).isEqualTo(Code.OVER_LIMIT);
    store.hold = true;
    store.calls.set(0);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int before = threads.getThreadCount();
    long serverBefore = serverThreads();
    long notClientsBefore = notTheTestsClients();
    System.out.println("threads by name before: " + threadNames());
    threads.resetPeakThreadCount();

    // every even request decides one descriptor (one key's own decision), every odd one two (tryAcquireAllAsync)
    List<Future<RateLimitResponse>> grpcAnswers = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> httpAnswers = new ArrayList<>();
    for (int i = 0; i < perListener; i++) {
      grpcAnswers.add(grpc("g" + i, i % 2 == 0 ? null : "org-g" + i));
      httpAnswers.add(json("h" + i, i % 2 == 0 ? null : "org-h" + i));
    }
    // each request's first store call is held: all of them are in flight, waiting for the store
    long sent = System.nanoTime();
    await("every request has asked the store", () -> store.held.size() == 2 * perListener);
    System.out.printf("all %d in flight %d ms after sending%n", 2 * perListener,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
    assertThat(server.inFlight()).isEqualTo(2 * perListener);
    assertThat(server.grpcWaiting() + server.httpWaiting()).isZero();
    int during = threads.getThreadCount();
    long serverDuring = serverThreads();
    long notClientsDuring = notTheTestsClients();
    int peak = threads.getPeakThreadCount();
    System.out.printf("%d requests in flight: %d live threads in the JVM (%d before sending, peak %d); without the"
        + " test's HTTP and gRPC clients' own threads %d (%d before); the server's own rls-* %d (%d before)%n",
        2 * perListener, during, before, peak, notClientsDuring, notClientsBefore, serverDuring, serverBefore);
    assertThat(grpcAnswers).noneMatch(Future::isDone);
    assertThat(httpAnswers).noneMatch(Future::isDone);
    System.out.println("threads by name: " + threadNames());
    // its fixed pools (one thread per processor, at least two, for gRPC, HTTP and decided futures) and the poller
    assertThat(serverDuring).as("the server's threads do not grow with the requests in flight")
        .isLessThanOrEqualTo(3L * Math.max(2, Runtime.getRuntime().availableProcessors()) + 1);
    assertThat(notClientsDuring - notClientsBefore).as("threads started while %d requests went in flight, but by the"
        + " test's clients", 2 * perListener).isLessThan(10);
    assertThat(peak - before).as("threads started while %d requests went in flight", 2 * perListener)
        .isLessThan(50);

    // the store answers (a joint decision's second key is asked once its first has answered)
    long released = System.nanoTime();
    await("every request answered", () -> {
      store.release();
      return grpcAnswers.stream().allMatch(Future::isDone) && httpAnswers.stream().allMatch(Future::isDone);
    });
    System.out.printf("all answered %d ms after the store was released%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - released));
    for (int i = 0; i < perListener; i++) {
      RateLimitResponse grpcAnswer = grpcAnswers.get(i).get();
      assertThat(grpcAnswer.getOverallCode()).as("gRPC request %d", i).isEqualTo(Code.OK);
      assertThat(grpcAnswer.getStatusesCount()).isEqualTo(i % 2 == 0 ? 1 : 2);
      assertThat(grpcAnswer.getStatuses(0).getLimitRemaining()).isZero();
      assertThat(code(httpAnswers.get(i).get())).as("HTTP request %d", i).isEqualTo(Code.OK);
    }
    assertThat(server.inFlight()).isZero();
    System.out.printf("store calls for the %d requests: %d; live threads after: %d, peak %d%n", 2 * perListener,
        store.calls.get(), threads.getThreadCount(), threads.getPeakThreadCount());

    // again: each user's one per hour is spent, so every request is over (and a joint one charges its org nothing)
    store.hold = false;
    for (int i = 0; i < perListener; i++) {
      RateLimitResponse again = grpc("g" + i, i % 2 == 0 ? null : "org-g" + i).get(60, TimeUnit.SECONDS);
      assertThat(again.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
      if (i % 2 == 1) {
        // hits_addend 0 reads the bucket: the second round's charge on the org was refunded
        RateLimitRequest look = RateLimitRequest.newBuilder().setDomain("d").addDescriptors(descriptor("org",
            "org-g" + i).toBuilder().setHitsAddend(com.google.protobuf.UInt64Value.of(0))).build();
        assertThat(RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
            .shouldRateLimit(look).getStatuses(0).getLimitRemaining()).as("org-g%d was charged once", i)
            .isEqualTo(999);
      }
      assertThat(code(json("h" + i, i % 2 == 0 ? null : "org-h" + i).get(60, TimeUnit.SECONDS)))
          .isEqualTo(Code.OVER_LIMIT);
    }
    // and the warm-up's two requests, one admitted, one over
    assertThat(registry.find("ratelimit.service.rate_limit.within_limit").tag("key", "d.user").counter().count())
        .isEqualTo(2 * perListener + 1);
    assertThat(registry.find("ratelimit.service.rate_limit.over_limit").tag("key", "d.user").counter().count())
        .isEqualTo(2 * perListener + 1);
  }

  @Test
  void pastTheBoundARequestWaitsWithoutAThreadAndIsAnsweredTheOverloadErrorAfterTheRequestTimeout()
      throws Exception {
    start(2);
    // two requests in flight on each listener, held by the store
    List<Future<RateLimitResponse>> grpcHeld = List.of(grpc("a", null), grpc("b", null));
    List<CompletableFuture<HttpResponse<String>>> httpHeld = List.of(json("c", null), json("d", null));
    await("four requests ask the store", () -> store.held.size() == 4);
    assertThat(server.inFlight()).isEqualTo(4);

    // a third on each listener waits for admission: no thread, nothing sent to the store
    ListenableFuture<RateLimitResponse> grpcOver = grpc("e", null);
    CompletableFuture<HttpResponse<String>> httpOver = json("f", null);
    await("one request waits on each listener", () -> server.grpcWaiting() == 1 && server.httpWaiting() == 1);
    assertThat(store.calls.get()).isEqualTo(4);

    // the request timeout (60 s) passes for them: answered the overload error without deciding
    ticker.addAndGet(Duration.ofSeconds(61).toNanos());
    server.expireWaiting();
    assertThatThrownBy(() -> grpcOver.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.getStatus().getDescription()).isEqualTo("the request waited longer than the request timeout"
              + " to be decided: this listener's requests in flight were at their bound (max in flight 2)");
        });
    HttpResponse<String> httpAnswer = httpOver.get(60, TimeUnit.SECONDS);
    assertThat(httpAnswer.statusCode()).isEqualTo(503);
    assertThat(httpAnswer.body()).isEqualTo("the request waited longer than the request timeout to be decided: this"
        + " listener's requests in flight were at their bound (max in flight 2)\n");
    assertThat(grpcHeld).noneMatch(Future::isDone);
    assertThat(httpHeld).noneMatch(Future::isDone);

    // one more waits, in time: it is decided once a slot frees
    ListenableFuture<RateLimitResponse> grpcWaits = grpc("g", null);
    await("it waits", () -> server.grpcWaiting() == 1);
    store.hold = false;
    assertThat(store.release()).isEqualTo(4);
    for (Future<RateLimitResponse> answer : grpcHeld) {
      assertThat(answer.get(60, TimeUnit.SECONDS).getOverallCode()).isEqualTo(Code.OK);
    }
    for (CompletableFuture<HttpResponse<String>> answer : httpHeld) {
      assertThat(code(answer.get(60, TimeUnit.SECONDS))).isEqualTo(Code.OK);
    }
    assertThat(grpcWaits.get(60, TimeUnit.SECONDS).getOverallCode()).isEqualTo(Code.OK);
    await("every slot given back", () -> server.inFlight() == 0);
    assertThat(registry.find("ratelimit.service.should_rate_limit.errors").tag("reason", "deadline").counter()
        .count()).isEqualTo(2.0);
    assertThat(registry.find("ratelimit.service.rate_limit.total_hits").tag("key", "d.user").counter().count())
        .as("the two answered the overload error were never decided").isEqualTo(5.0);
    for (String user : List.of("e", "f")) {
      assertThat(store.memory.buckets().consume(new BucketStore.BucketRequest("d.user", "user_" + user, 0, 0, 1,
          BucketStore.UNKNOWN, Deadline.none())).tat()).as("user %s's bucket was never written", user).isZero();
    }
  }

  @Test
  void closingWaitsForTheRequestsWhoseAnswersTheStoreStillHolds() throws Exception {
    start(1_000);
    ListenableFuture<RateLimitResponse> grpcHeld = grpc("a", "o");
    CompletableFuture<HttpResponse<String>> httpHeld = json("b", null);
    await("both ask the store", () -> store.held.size() == 2);
    DefaultRateLimitServer closing = server;
    CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close);
    Thread.sleep(200);
    assertThat(closed).as("closing waits for the answers the store holds").isNotDone();
    store.hold = false;
    store.release();
    assertThat(grpcHeld.get(60, TimeUnit.SECONDS).getOverallCode()).isEqualTo(Code.OK);
    assertThat(code(httpHeld.get(60, TimeUnit.SECONDS))).isEqualTo(Code.OK);
    closed.get(60, TimeUnit.SECONDS);
    server = null;
  }
}
