package io.github.ratelimiter.bench;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The rate-limit service (ratelimiter-server) started in this process on the same store, asked over gRPC on
 * loopback: one {@code ShouldRateLimit} of one descriptor {@code ("key", <key>)} per decision, through a grpc-java
 * client (one channel, HTTP/2 multiplexed). Its configuration is written for the limit of the first resource it is
 * asked for: domain {@code bench}, key {@code key}, {@code requests_per_unit} per second. Id {@code rls-grpc}.
 */
final class RlsService implements Contender {

  private final URI endpoint;
  private final TableNames tables;
  private final RequestCounter counter = new RequestCounter();
  private RateLimitServer server;
  private ManagedChannel channel;
  private Limit configured;

  RlsService(URI endpoint, TableNames tables) {
    this.endpoint = endpoint;
    this.tables = tables;
  }

  @Override
  public String id() {
    return "rls-grpc";
  }

  @Override
  public boolean claimsExactness() {
    return true;
  }

  @Override
  public synchronized Decider fungible(String resource, Limit limit) {
    if (server == null) {
      start(limit);
    } else if (!limit.equals(configured)) {
      throw new IllegalArgumentException("the service is configured for " + configured + ", not " + limit);
    }
    RateLimitServiceGrpc.RateLimitServiceBlockingStub stub = RateLimitServiceGrpc.newBlockingStub(channel);
    String prefix = resource + "/";
    return key -> {
      RateLimitResponse response = stub.withDeadlineAfter(30, TimeUnit.SECONDS).shouldRateLimit(RateLimitRequest
          .newBuilder().setDomain("bench").addDescriptors(RateLimitDescriptor.newBuilder().addEntries(
              RateLimitDescriptor.Entry.newBuilder().setKey("key").setValue(prefix + key))).build());
      return response.getOverallCode() == RateLimitResponse.Code.OK;
    };
  }

  private void start(Limit limit) {
    if (limit.window().compareTo(Duration.ofSeconds(1)) != 0) {
      throw new IllegalArgumentException("the service's scenario needs a per-second limit: " + limit);
    }
    try {
      Path config = Files.createTempDirectory("rls-bench").resolve("bench.yaml");
      Files.writeString(config, "domain: bench\ndescriptors:\n  - key: key\n    rate_limit: {unit: second,"
          + " requests_per_unit: " + limit.limit() + "}\n");
      DynamoDbStore store = DynamoDbStore.builder().client(LocalDynamoDb.client(endpoint, counter)).ownsClient(true)
          .tableNames(tables).build();
      server = RateLimitServer.builder().store(store).config(config).grpcPort(0).httpPort(0)
          .requestTimeout(Duration.ofSeconds(10)).start();
      channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      configured = limit;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Map<String, Long> requests() {
    return counter.snapshot();
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }
}
