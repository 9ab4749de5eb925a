package io.github.ratelimiter.testing;

import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A JUnit 5 extension that gives tests a real DynamoDB API: a {@link LocalDynamoDbServer} started once per test
 * JVM and shared by every test class, or, when the environment variable {@code DYNAMODB_ENDPOINT} is set, that
 * endpoint (so the same suite runs against real DynamoDB).
 *
 * <pre>{@code
 * @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();
 *
 * @Test void works() {
 *   try (DynamoDbClient client = DYNAMO.newClient()) { ... }
 * }
 * }</pre>
 *
 * <p>Tests isolate themselves with {@link #uniqueName(String)} table names. Thread-safe.
 */
public final class LocalDynamoDb implements BeforeAllCallback {

  private static volatile URI sharedEndpoint;

  @Override
  public void beforeAll(ExtensionContext context) {
    endpoint();
  }

  /** The endpoint, starting the shared server on first use. */
  public URI endpoint() {
    URI endpoint = sharedEndpoint;
    if (endpoint == null) {
      synchronized (LocalDynamoDb.class) {
        endpoint = sharedEndpoint;
        if (endpoint == null) {
          String configured = System.getenv("DYNAMODB_ENDPOINT");
          endpoint = configured == null || configured.isBlank()
              ? LocalDynamoDbServer.start().endpoint()
              : URI.create(configured);
          sharedEndpoint = endpoint;
        }
      }
    }
    return endpoint;
  }

  /** A new client with its own connection pool; close it after use. */
  public DynamoDbClient newClient(ExecutionInterceptor... interceptors) {
    return LocalDynamoDbServer.client(endpoint(), interceptors);
  }

  /** {@code prefix} plus a random suffix: a table name no other test uses. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
