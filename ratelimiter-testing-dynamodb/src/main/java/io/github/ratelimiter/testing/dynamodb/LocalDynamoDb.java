package io.github.ratelimiter.testing.dynamodb;

import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.local.LocalDynamoDbServer.Implementation;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A JUnit 5 extension that gives tests a real DynamoDB API: a {@link LocalDynamoDbServer} started once per test
 * JVM and shared by every test class, or, when the environment variable {@code DYNAMODB_ENDPOINT} is set, that
 * endpoint (so the same suite runs against real DynamoDB).
 *
 * <p><b>Which server.</b> The system property {@value #SERVER_PROPERTY} names it: {@code dynalite} (the default) or
 * {@code moto} ({@code ./mvnw verify -Pmoto} sets it for every test JVM). So each test class runs unchanged on
 * either server; a test of behaviour that only one of them has asks {@link #implementation()},
 * {@link #onDynalite()} or {@link #serverReturnsItemOnConditionFailure()}. Tests that start a server of their own
 * start it with {@link #serverBuilder()} to follow the same choice. Where the servers differ: {@code docs/testing.md}.
 *
 * <pre>{@code
 * @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();
 *
 * @Test void works() {
 *   try (DynamoDbClient client = DYNAMO.newClient()) { ... }
 * }
 * }</pre>
 *
 * <p><b>Timeouts.</b> Its clients are built by {@link DynamoDbClients} like every client of the library, but with
 * {@link #TEST_ATTEMPT_TIMEOUT} (10 s) per attempt and {@link #TEST_CALL_TIMEOUT} (30 s) per call instead of the
 * production 200 ms and 1 s. A test asserts behaviour, not latency: on a loaded build machine (two cores shared by
 * several builds) a single-threaded local server can stall for longer than 200 ms, and a timed-out write that was in
 * fact applied would then be retried, turning a correct run into a failing count. Tests of the timeouts themselves build
 * their clients with {@link DynamoDbClients#builder()} and the durations they test.
 *
 * <p>Tests isolate themselves with {@link #uniqueName(String)} table names. Thread-safe.
 */
public final class LocalDynamoDb implements BeforeAllCallback {

  /** The attempt timeout of the test clients: long, so that a loaded machine does not fail a test. */
  public static final Duration TEST_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
  /** The call timeout of the test clients. */
  public static final Duration TEST_CALL_TIMEOUT = Duration.ofSeconds(30);

  /** The system property naming the local server: {@code dynalite} (default) or {@code moto}. */
  public static final String SERVER_PROPERTY = "ratelimiter.dynamodb.server";

  private static volatile URI sharedEndpoint;

  /** The extension; register it with {@code @RegisterExtension} or {@code @ExtendWith}. */
  public LocalDynamoDb() {}

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
          String configured = System.getenv(DynamoDbClients.DYNAMODB_ENDPOINT);
          endpoint = configured == null || configured.isBlank()
              ? serverBuilder().start().endpoint()
              : URI.create(configured.trim());
          sharedEndpoint = endpoint;
        }
      }
    }
    return endpoint;
  }

  /**
   * The local server the tests run on, from {@value #SERVER_PROPERTY}; empty when {@code DYNAMODB_ENDPOINT} points
   * them elsewhere (real DynamoDB, say).
   *
   * @throws IllegalArgumentException if the property names no known server
   */
  public static Optional<Implementation> implementation() {
    String configured = System.getenv(DynamoDbClients.DYNAMODB_ENDPOINT);
    if (configured != null && !configured.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(chosenImplementation());
  }

  /** Whether the tests run on dynalite (see {@link #implementation()}). */
  public static boolean onDynalite() {
    return implementation().orElse(null) == Implementation.DYNALITE;
  }

  /**
   * Whether a failed conditional write that asks {@code ReturnValuesOnConditionCheckFailure=ALL_OLD} gets the stored
   * item back, as on DynamoDB: true on moto and on a configured endpoint (real DynamoDB), false on dynalite, which
   * ignores the parameter. The store settles a failed guess from that item without a second request, so request
   * counts differ by server.
   */
  public static boolean serverReturnsItemOnConditionFailure() {
    return !onDynalite();
  }

  /**
   * A builder of a server of the implementation {@value #SERVER_PROPERTY} names, for a test that needs a server of
   * its own (to kill it, say), so that it too runs on moto under {@code -Pmoto}.
   */
  public static LocalDynamoDbServer.Builder serverBuilder() {
    return LocalDynamoDbServer.builder().implementation(chosenImplementation());
  }

  private static Implementation chosenImplementation() {
    String name = System.getProperty(SERVER_PROPERTY, "");
    return name.isBlank() ? Implementation.DYNALITE : Implementation.named(name);
  }

  /** A new client of {@link #endpoint()} with its own connection pool; close it after use. */
  public DynamoDbClient newClient(ExecutionInterceptor... interceptors) {
    return client(endpoint(), interceptors);
  }

  /**
   * A new asynchronous client of {@link #endpoint()} ({@link DynamoDbClients.Builder#buildAsync()}) with the test
   * timeouts and a pool of 64 connections; close it after use.
   */
  public DynamoDbAsyncClient newAsyncClient(ExecutionInterceptor... interceptors) {
    return testClientBuilder(endpoint(), interceptors).buildAsync();
  }

  /** A new asynchronous client of any endpoint, as {@link #client(URI, ExecutionInterceptor...)}; close it after use. */
  public static DynamoDbAsyncClient asyncClient(URI endpoint, ExecutionInterceptor... interceptors) {
    return testClientBuilder(endpoint, interceptors).buildAsync();
  }

  /**
   * A new client of any endpoint (a {@link LocalDynamoDbServer}, a proxy in front of one) with the test timeouts and
   * a pool of 64 connections; close it after use.
   */
  public static DynamoDbClient client(URI endpoint, ExecutionInterceptor... interceptors) {
    return testClientBuilder(endpoint, interceptors).build();
  }

  /** A {@link DynamoDbClients} builder for {@code endpoint} with the test timeouts, to change before building. */
  public static DynamoDbClients.Builder testClientBuilder(URI endpoint, ExecutionInterceptor... interceptors) {
    DynamoDbClients.Builder builder = DynamoDbClients.builder()
        .endpoint(endpoint)
        .attemptTimeout(TEST_ATTEMPT_TIMEOUT)
        .callTimeout(TEST_CALL_TIMEOUT)
        .maxConnections(64);
    String region = System.getenv(DynamoDbClients.AWS_REGION);
    if (region != null && !region.isBlank()) {
      builder.region(region);
    }
    for (ExecutionInterceptor interceptor : interceptors) {
      builder.addInterceptor(interceptor);
    }
    return builder;
  }

  /** {@code prefix} plus a random suffix: a table name no other test uses. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
