package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.github.ratelimiter.testing.NonFungibleLimiterContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbNonFungibleContractTest extends NonFungibleLimiterContract {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private DynamoDbTestTables tables;
  private DynamoDbClient raw;
  private PythonRows python;

  @BeforeEach
  void createTables() {
    tables = new DynamoDbTestTables(DYNAMO);
    raw = DYNAMO.newClient();
    python = new PythonRows(raw, tables.names);
  }

  @AfterEach
  void closeRawClient() {
    raw.close();
  }

  @Override
  protected RateLimitStore openStore() {
    return tables.openStore();
  }

  /** With the raw API, as the Python library writes: a PutItem, then for a token its create_token UpdateItem. */
  @Override
  protected void plantPythonRow(String resourceName, String accountId, String reservationId, String resourceId,
      long expirationTime) {
    python.reservation(resourceName, accountId, reservationId, expirationTime);
    if (!resourceId.equals(reservationId)) {
      python.createToken(resourceName, accountId, reservationId, resourceId, expirationTime);
    }
  }
}
