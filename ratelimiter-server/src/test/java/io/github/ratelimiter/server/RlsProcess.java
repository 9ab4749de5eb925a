package io.github.ratelimiter.server;

import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One server process for the multi-process tests: {@code RlsProcess <dynamodb endpoint> <table base name> <config>}.
 * Prints {@code PORTS <grpc> <http>} once serving, and stops when its standard input closes.
 */
public final class RlsProcess {

  private RlsProcess() {}

  public static void main(String[] args) throws Exception {
    DynamoDbStore store = DynamoDbStore.builder().client(LocalDynamoDb.client(URI.create(args[0]))).ownsClient(true)
        .tableNames(TableNames.of(args[1])).build();
    RateLimitServer server = RateLimitServer.builder().store(store).config(Path.of(args[2])).grpcPort(0)
        .httpPort(0).requestTimeout(Duration.ofSeconds(10)).start();
    System.out.println("PORTS " + server.grpcPort() + " " + server.httpPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our standard input (or dies)
    }
    server.close();
  }
}
