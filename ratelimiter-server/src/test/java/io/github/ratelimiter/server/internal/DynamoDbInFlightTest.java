package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.testing.dynamodb.Fault;
import io.github.ratelimiter.testing.dynamodb.FaultProxy;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The same on DynamoDB (dynalite behind a proxy that delays every answer by a second): requests in flight wait for
 * the store's asynchronous client, not on the server's threads, so 200 requests sent at once are all answered in a
 * few seconds by a server of a few threads, where one thread per waiting decision would take 100 s on two.
 */
class DynamoDbInFlightTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  @TempDir Path dir;

  @Test
  void twoHundredRequestsWaitingASecondEachForDynamoDbHoldNoServerThread() throws Exception {
    int requests = 200;
    Path config = Files.writeString(dir.resolve("d.yaml"), """
        domain: d
        descriptors:
          - key: user
            rate_limit: {unit: hour, requests_per_unit: 1}
        """);
    TableNames names = TableNames.of(LocalDynamoDb.uniqueName("rls-inflight"));
    try (DynamoDbClient direct = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(direct, names);
    }
    try (FaultProxy proxy = FaultProxy.start(DYNAMO.endpoint())) {
      DynamoDbStore store = DynamoDbStore.builder().client(LocalDynamoDb.client(proxy.endpoint())).ownsClient(true)
          .tableNames(names).build();
      try (RateLimitServer server = RateLimitServer.builder().store(store).config(config).grpcPort(0).httpPort(0)
          .requestTimeout(Duration.ofSeconds(20)).start()) {
        DefaultRateLimitServer internals = (DefaultRateLimitServer) server;
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext()
            .build();
        try {
          RateLimitServiceGrpc.RateLimitServiceFutureStub rls = RateLimitServiceGrpc.newFutureStub(channel);
          // warm up: the asynchronous client is built on first use
          assertThat(rls.withDeadlineAfter(60, TimeUnit.SECONDS).shouldRateLimit(request("warm")).get()
              .getOverallCode()).isEqualTo(Code.OK);
          proxy.inject(Fault.latency(Duration.ofSeconds(1)));

          long start = System.nanoTime();
          List<ListenableFuture<RateLimitResponse>> answers = new ArrayList<>();
          for (int i = 0; i < requests; i++) {
            answers.add(rls.withDeadlineAfter(60, TimeUnit.SECONDS).shouldRateLimit(request("u" + i)));
          }
          int mostInFlight = 0;
          long mostServerThreads = 0;
          while (!answers.stream().allMatch(Future::isDone)) {
            mostInFlight = Math.max(mostInFlight, internals.inFlight());
            mostServerThreads = Math.max(mostServerThreads, Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("rls-")).count());
            Thread.sleep(5);
          }
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          System.out.printf("%d requests, each store call delayed 1 s: all answered in %d ms, at most %d in flight"
              + " at once, the server's own threads at most %d%n", requests, millis, mostInFlight,
              mostServerThreads);
          for (Future<RateLimitResponse> answer : answers) {
            assertThat(answer.get().getOverallCode()).isEqualTo(Code.OK);
          }
          assertThat(mostInFlight).as("requests waiting for DynamoDB at once").isGreaterThan(requests / 2);
          assertThat(mostServerThreads).isLessThanOrEqualTo(
              3L * Math.max(2, Runtime.getRuntime().availableProcessors()) + 1);
          assertThat(millis).as("no thread per waiting decision (2 threads x 1 s each would take %d s)",
              requests / 2).isLessThan(TimeUnit.SECONDS.toMillis(30));
        } finally {
          channel.shutdownNow();
        }
      }
    }
  }

  private static RateLimitRequest request(String user) {
    return RateLimitRequest.newBuilder().setDomain("d").addDescriptors(RateLimitDescriptor.newBuilder()
        .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("user").setValue(user))).build();
  }
}
