package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.testing.LocalDynamoDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
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
   * The same tables through a client of a loopback port nothing listens on, making {@code attempts} attempts per
   * call (the SDK's default for DynamoDB is 9, with backoff); closed with the store.
   */
  DynamoDbStore openUnreachableStore(int attempts) {
    DynamoDbClient client = DynamoDbClient.builder()
        .endpointOverride(closedPort())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
        .httpClientBuilder(ApacheHttpClient.builder())
        .overrideConfiguration(c -> c.retryStrategy(
            AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(attempts).build()))
        .build();
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

  /** A store with a new client of its own, closed with the store. */
  DynamoDbStore openStore(ExecutionInterceptor... interceptors) {
    return DynamoDbStore.builder().client(dynamo.newClient(interceptors)).ownsClient(true).tableNames(names).build();
  }
}
