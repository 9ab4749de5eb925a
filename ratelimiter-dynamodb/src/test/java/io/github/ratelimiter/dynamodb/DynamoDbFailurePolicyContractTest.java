package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.testing.FailurePolicyContract;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

class DynamoDbFailurePolicyContractTest extends FailurePolicyContract {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private DynamoDbTestTables tables;

  @BeforeEach
  void createTables() {
    tables = new DynamoDbTestTables(DYNAMO);
  }

  @Override
  protected RateLimitStore openStore() {
    return tables.openStore();
  }

  /** The same tables through a client pointed at a port nothing listens on: connection refused on every attempt. */
  @Override
  protected RateLimitStore openUnreachableStore() {
    return tables.openUnreachableStore(1);
  }
}
