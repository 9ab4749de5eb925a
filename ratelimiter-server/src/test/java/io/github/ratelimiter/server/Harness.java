package io.github.ratelimiter.server;

import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** A started server and its clients: a grpc-java stub on the v3 protos and the JDK's HTTP client. */
final class Harness implements AutoCloseable {

  final RateLimitServer server;
  final ManagedChannel channel;
  final RateLimitServiceGrpc.RateLimitServiceBlockingStub rls;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Harness(RateLimitServer server) {
    this.server = server;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    this.rls = RateLimitServiceGrpc.newBlockingStub(channel);
  }

  /** A server on fresh tables of the test's dynalite, ports chosen by the system. */
  static Harness onDynamoDb(LocalDynamoDb dynamo, Path config, UnaryOperator<RateLimitServer.Builder> more) {
    TableNames names = TableNames.of(LocalDynamoDb.uniqueName("rls"));
    DynamoDbClient client = dynamo.newClient();
    DynamoDbTables.createIfMissing(client, names);
    DynamoDbStore store = DynamoDbStore.builder().client(client).ownsClient(true).tableNames(names).build();
    return new Harness(more.apply(RateLimitServer.builder().store(store).config(config).grpcPort(0).httpPort(0)
        .requestTimeout(Duration.ofSeconds(30))).start());
  }

  RateLimitResponse ask(RateLimitRequest request) {
    return rls.withDeadlineAfter(30, TimeUnit.SECONDS).shouldRateLimit(request);
  }

  /** POSTs a JSON body to /json: the status and the body. */
  HttpResponse<String> json(String body) {
    return send(HttpRequest.newBuilder(uri("/json")).POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  private HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static RateLimitRequest request(String domain, RateLimitDescriptor... descriptors) {
    RateLimitRequest.Builder builder = RateLimitRequest.newBuilder().setDomain(domain);
    for (RateLimitDescriptor descriptor : descriptors) {
      builder.addDescriptors(descriptor);
    }
    return builder.build();
  }

  static RateLimitDescriptor descriptor(String... keyValues) {
    RateLimitDescriptor.Builder builder = RateLimitDescriptor.newBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      builder.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(keyValues[i]).setValue(keyValues[i + 1]));
    }
    return builder.build();
  }

  static RateLimitDescriptor withHits(RateLimitDescriptor descriptor, long hits) {
    return descriptor.toBuilder().setHitsAddend(UInt64Value.of(hits)).build();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}
