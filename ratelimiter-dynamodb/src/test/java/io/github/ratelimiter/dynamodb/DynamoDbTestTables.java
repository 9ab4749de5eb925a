package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.testing.LocalDynamoDb;
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

  /** A store with a new client of its own, closed with the store. */
  DynamoDbStore openStore(ExecutionInterceptor... interceptors) {
    return DynamoDbStore.builder().client(dynamo.newClient(interceptors)).ownsClient(true).tableNames(names).build();
  }
}
