package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reload, failure policy and graceful shutdown, on the in-memory store behind a store that fails or waits. */
class ServerOperationsTest {

  @TempDir Path dir;

  /** The in-memory store, whose bucket steps fail while {@code failing}, or wait for {@code release}. */
  static final class ControlledStore implements RateLimitStore {
    final InMemoryStore memory = InMemoryStore.create();
    final AtomicBoolean failing = new AtomicBoolean();
    volatile CountDownLatch entered;
    volatile CountDownLatch release;

    @Override
    public LimitStore limits() {
      return memory.limits();
    }

    @Override
    public BucketStore buckets() {
      return request -> {
        if (failing.get()) {
          throw new RateLimiterException("store down (test)");
        }
        CountDownLatch waitFor = release;
        if (waitFor != null) {
          entered.countDown();
          try {
            waitFor.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return memory.buckets().consume(request);
      };
    }

    @Override
    public SlotStore slots() {
      return memory.slots();
    }
  }

  private static final String CONFIG = """
      domain: d
      descriptors:
        - key: user
          rate_limit: {unit: hour, requests_per_unit: 2}
      """;

  private RateLimitServer start(RateLimitStore store, FailureMode mode) throws IOException {
    Path config = Files.writeString(dir.resolve("d.yaml"), CONFIG);
    return RateLimitServer.builder().store(store).config(config).grpcPort(0).httpPort(0).failureMode(mode)
        .shutdownGrace(Duration.ofSeconds(60)).start();
  }

  private static RateLimitRequest request(String user) {
    return RateLimitRequest.newBuilder().setDomain("d").addDescriptors(RateLimitDescriptor.newBuilder()
        .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("user").setValue(user))).build();
  }

  private static Code ask(ManagedChannel channel, String user) {
    return RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .shouldRateLimit(request(user)).getOverallCode();
  }

  private static ManagedChannel channel(RateLimitServer server) {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  private static HttpResponse<String> get(RateLimitServer server, String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.httpPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> json(RateLimitServer server, String user) {
    return send(server, user);
  }

  private static HttpResponse<String> send(RateLimitServer server, String user) {
    try {
      return sendChecked(server, user);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpResponse<String> sendChecked(RateLimitServer server, String user) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.httpPort() + "/json")).POST(HttpRequest.BodyPublishers.ofString(
            "{\"domain\":\"d\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"" + user + "\"}]}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aChangedFileAppliesAndABadOneIsRefusedKeepingTheLastGoodConfiguration() throws Exception {
    try (RateLimitServer server = start(InMemoryStore.create(), FailureMode.FAIL_CLOSED)) {
      DefaultRateLimitServer internals = (DefaultRateLimitServer) server;
      ManagedChannel channel = channel(server);
      assertThat(internals.pollConfiguration()).isFalse();
      assertThat(ask(channel, "a")).isEqualTo(Code.OK);

      Path file = dir.resolve("d.yaml");
      Files.writeString(file, CONFIG.replace("requests_per_unit: 2", "requests_per_unit: 1"));
      assertThat(internals.pollConfiguration()).isTrue();
      // the bucket keeps what it spent: one of one is gone
      assertThat(ask(channel, "a")).isEqualTo(Code.OVER_LIMIT);
      assertThat(ask(channel, "b")).isEqualTo(Code.OK);
      assertThat(ask(channel, "b")).isEqualTo(Code.OVER_LIMIT);

      Files.writeString(file, CONFIG.replace("unit: hour", "unit: fortnight"));
      assertThat(internals.pollConfiguration()).isFalse();
      assertThatThrownBy(server::reloadConfiguration).isInstanceOf(IllegalArgumentException.class)
          .hasMessage(file + ":4: descriptors[0].rate_limit.unit: invalid rate limit unit 'fortnight' (second,"
              + " minute, hour, day, week, month or year)");
      // still the last good configuration: one per hour
      assertThat(ask(channel, "c")).isEqualTo(Code.OK);
      assertThat(ask(channel, "c")).isEqualTo(Code.OVER_LIMIT);
      assertThat(internals.pollConfiguration()).as("a refused file is not retried until it changes").isFalse();
      assertThat(get(server, "/metrics").body())
          .contains("ratelimit_service_config_load_total{outcome=\"error\"} 2.0")
          .contains("ratelimit_service_config_load_total{outcome=\"success\"} 2.0");
      channel.shutdownNow();
    }
  }

  @Test
  void limitTableRowsApplyToADescriptorValueOnlyWhenEnabled() throws Exception {
    Path config = Files.writeString(dir.resolve("d.yaml"), CONFIG);
    for (boolean enabled : new boolean[] {false, true}) {
      InMemoryStore store = InMemoryStore.create();
      // the row of (the rule's full key, the descriptor's values): 4 per hour instead of the configured 2
      store.limits().put(new io.github.ratelimiter.store.LimitRecord("d.user", "user_vip", 4, Duration.ofHours(1),
          "ops"));
      try (RateLimitServer server = RateLimitServer.builder().store(store).config(config).grpcPort(0).httpPort(0)
          .accountLimits(enabled).start()) {
        ManagedChannel channel = channel(server);
        List<Code> vip = java.util.stream.IntStream.range(0, 5).mapToObj(i -> ask(channel, "vip")).toList();
        List<Code> other = java.util.stream.IntStream.range(0, 3).mapToObj(i -> ask(channel, "other")).toList();
        assertThat(vip).as("account limits " + enabled).containsExactlyElementsOf(enabled
            ? List.of(Code.OK, Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT)
            : List.of(Code.OK, Code.OK, Code.OVER_LIMIT, Code.OVER_LIMIT, Code.OVER_LIMIT));
        assertThat(other).containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aBadFileAtStartIsRefusedWithEveryProblem() throws IOException {
    Path config = Files.writeString(dir.resolve("bad.yaml"), "domain: d\ndescriptors:\n  - value: x\n  - key: y\n"
        + "    rate_limit: {unit: day}\n    colour: 1\n");
    assertThatThrownBy(() -> RateLimitServer.builder().store(InMemoryStore.create()).config(config).grpcPort(0)
        .httpPort(0).start()).isInstanceOf(IllegalArgumentException.class).hasMessage(
            config + ":3: descriptors[0].key: descriptor has empty key\n"
                + config + ":6: descriptors[1].colour: unknown key 'colour' (expected one of [descriptors,"
                + " detailed_metric, key, metadata, quota_mode, rate_limit, rate_limits, shadow_mode,"
                + " share_threshold, value, value_to_metric])");
  }

  @Test
  void failOpenAnswersOkAndCountsItDegraded() throws Exception {
    ControlledStore store = new ControlledStore();
    try (RateLimitServer server = start(store, FailureMode.FAIL_OPEN)) {
      ManagedChannel channel = channel(server);
      store.failing.set(true);
      assertThat(ask(channel, "a")).isEqualTo(Code.OK);
      assertThat(ask(channel, "a")).isEqualTo(Code.OK);
      assertThat(ask(channel, "a")).isEqualTo(Code.OK);
      assertThat(json(server, "a").statusCode()).isEqualTo(200);
      assertThat(get(server, "/metrics").body())
          .contains("ratelimit_service_rate_limit_degraded_total{key=\"d.user\"} 4.0");
      store.failing.set(false);
      assertThat(ask(channel, "a")).isEqualTo(Code.OK);
      assertThat(ask(channel, "a")).isEqualTo(Code.OK);
      assertThat(ask(channel, "a")).isEqualTo(Code.OVER_LIMIT);
      channel.shutdownNow();
    }
  }

  @Test
  void failClosedAnswersUnavailableSoThatEnvoysFailureModeDenyDecides() throws Exception {
    ControlledStore store = new ControlledStore();
    try (RateLimitServer server = start(store, FailureMode.FAIL_CLOSED)) {
      ManagedChannel channel = channel(server);
      store.failing.set(true);
      assertThatThrownBy(() -> ask(channel, "a")).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      HttpResponse<String> http = json(server, "a");
      assertThat(http.statusCode()).isEqualTo(503);
      assertThat(http.body()).startsWith("the store failed (fail-closed): ");
      assertThat(get(server, "/metrics").body())
          .contains("ratelimit_service_should_rate_limit_errors_total{reason=\"store\"} 2.0");
      channel.shutdownNow();
    }
  }

  @Test
  void aRequestWhoseDeadlinePassedWhileQueuedIsNotDecided() throws Exception {
    ControlledStore store = new ControlledStore();
    Path config = Files.writeString(dir.resolve("d.yaml"), CONFIG);
    io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
            io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    RateLimitServer server = RateLimitServer.builder().store(store).config(config).grpcPort(0).httpPort(0)
        .maxInFlight(1).meterRegistry(registry).start();
    ManagedChannel channel = channel(server);
    store.entered = new CountDownLatch(1);
    store.release = new CountDownLatch(1);
    CompletableFuture<Code> first = CompletableFuture.supplyAsync(() -> ask(channel, "a"));
    assertThat(store.entered.await(30, TimeUnit.SECONDS)).isTrue();
    // the only slot is held by the first request: the second waits for admission past its deadline
    assertThatThrownBy(() -> RateLimitServiceGrpc.newBlockingStub(channel).withDeadlineAfter(200,
        TimeUnit.MILLISECONDS).shouldRateLimit(request("b"))).isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    store.release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(Code.OK);
    server.close();
    channel.shutdownNow();
    // gRPC drops a call cancelled before its handler ran; one cancelled later is counted as reason=deadline
    assertThat(registry.find("ratelimit.service.rate_limit.total_hits").tag("key", "d.user").counter().count())
        .as("only the first request was decided").isEqualTo(1.0);
    assertThat(store.memory.buckets().consume(new BucketStore.BucketRequest("d.user", "user_b", 0, 0, 1,
        BucketStore.UNKNOWN, io.github.ratelimiter.store.Deadline.none())).tat()).as("user b's bucket was never written").isZero();
  }

  @Test
  void anHttpRequestThatWaitedLongerThanTheRequestTimeoutForAdmissionIsNotDecided() throws Exception {
    ControlledStore store = new ControlledStore();
    Path config = Files.writeString(dir.resolve("d.yaml"), CONFIG);
    java.util.concurrent.atomic.AtomicLong ticker = new java.util.concurrent.atomic.AtomicLong();
    DefaultRateLimitServer server = DefaultRateLimitServer.start(new DefaultRateLimitServer.Settings(store, config,
        java.net.InetAddress.getLoopbackAddress(), 0, 0, null, FailureMode.FAIL_CLOSED, Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(60), false, io.github.ratelimiter.server.RequestBounds.DEFAULTS, 1,
        java.time.Clock.systemUTC(), null, List.of()), ticker::get);
    try {
      store.entered = new CountDownLatch(1);
      store.release = new CountDownLatch(1);
      CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> json(server, "a"));
      assertThat(store.entered.await(30, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> json(server, "b"));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (server.httpWaiting() == 0 && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      assertThat(server.httpWaiting()).as("the second request waits for the only slot").isEqualTo(1);
      ticker.addAndGet(Duration.ofMillis(1001).toNanos());
      store.release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      HttpResponse<String> late = second.get(30, TimeUnit.SECONDS);
      assertThat(late.statusCode()).isEqualTo(503);
      assertThat(late.body()).isEqualTo("the request waited longer than the request timeout to be decided: this"
          + " listener's requests in flight were at their bound (max in flight 1)\n");
      assertThat(get(server, "/metrics").body())
          .contains("ratelimit_service_should_rate_limit_errors_total{reason=\"deadline\"} 1.0")
          .contains("ratelimit_service_rate_limit_total_hits_total{key=\"d.user\"} 1.0");
    } finally {
      server.close();
    }
  }

  @Test
  void closingFinishesTheRequestsInFlight() throws Exception {
    ControlledStore store = new ControlledStore();
    RateLimitServer server = start(store, FailureMode.FAIL_CLOSED);
    ManagedChannel channel = channel(server);
    store.entered = new CountDownLatch(2);
    store.release = new CountDownLatch(1);
    CompletableFuture<Code> grpc = CompletableFuture.supplyAsync(() -> ask(channel, "a"));
    CompletableFuture<Integer> http = CompletableFuture.supplyAsync(() -> json(server, "b").statusCode());
    assertThat(store.entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closed = CompletableFuture.runAsync(server::close);
    assertThat(closed).isNotDone();
    store.release.countDown();
    assertThat(grpc.get(30, TimeUnit.SECONDS)).isEqualTo(Code.OK);
    assertThat(http.get(30, TimeUnit.SECONDS)).isEqualTo(200);
    closed.get(30, TimeUnit.SECONDS);
    server.awaitTermination();
    assertThatThrownBy(() -> ask(channel, "c")).isInstanceOf(StatusRuntimeException.class);
    channel.shutdownNow();
  }
}
