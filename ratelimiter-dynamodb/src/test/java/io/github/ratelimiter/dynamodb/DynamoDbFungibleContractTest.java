package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.testing.FungibleLimiterContract;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

class DynamoDbFungibleContractTest extends FungibleLimiterContract {
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
