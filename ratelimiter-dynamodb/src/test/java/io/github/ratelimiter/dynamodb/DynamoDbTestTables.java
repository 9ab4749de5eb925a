package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** Fresh tables per test on the shared local server, and stores over them with their own clients. */
final class DynamoDbTestTables {
  final LocalDynamoDb dynamo;
  final TableNames names;

  DynamoDbTestTables(LocalDynamoDb dynamo) {
    this.dynamo = dynamo;
    this.names = TableNames.of(LocalDynamoDb.uniqueName("test"));
    try (DynamoDbClient client = dynamo.newClient()) {
      DynamoDbTables.createIfMissing(client, names);
    }
  }

  /**
   * The same tables through a client (the library's own, from {@link DynamoDbClients}) of a loopback port nothing
   * listens on, making {@code attempts} attempts per call; closed with the store.
   */
  DynamoDbStore openUnreachableStore(int attempts) {
    DynamoDbClient client = DynamoDbClients.builder().endpoint(closedPort()).maxAttempts(attempts).build();
    return DynamoDbStore.builder().client(client).ownsClient(true).tableNames(names).build();
  }

  /** A loopback endpoint whose port was free a moment ago, so that connecting to it is refused. */
  static URI closedPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A store with a new blocking client and a new asynchronous client of its own, both with {@code interceptors} and
   * closed with the store.
   */
  DynamoDbStore openAsyncStore(ExecutionInterceptor... interceptors) {
    return DynamoDbStore.builder().client(dynamo.newClient(interceptors)).asyncClient(dynamo.newAsyncClient(interceptors))
        .ownsClient(true).tableNames(names).build();
  }

  /** A store with a new client of its own, closed with the store. */
  DynamoDbStore openStore(ExecutionInterceptor... interceptors) {
    return DynamoDbStore.builder().client(dynamo.newClient(interceptors)).ownsClient(true).tableNames(names).build();
  }
}
