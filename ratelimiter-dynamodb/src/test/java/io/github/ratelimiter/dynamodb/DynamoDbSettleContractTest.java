package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.testing.SettleContract;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

class DynamoDbSettleContractTest extends SettleContract {
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
}
