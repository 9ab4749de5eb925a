package io.github.ratelimiter.dynamodb.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class DynamoDbClientsTest {

  private static LocalDynamoDbServer server;

  @BeforeAll
  static void startServer() {
    server = LocalDynamoDbServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void noRegionAndNoEndpointIsALibraryExceptionNamingBothVariables() {
    // surefire points the SDK's profile files nowhere and disables the instance metadata lookup
    assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null
        && System.getProperty("aws.region") == null, "a region is configured on this machine");
    assertThatThrownBy(() -> DynamoDbClients.builder().environment(Map.of()).build())
        .isInstanceOf(RateLimiterException.class)
        .hasMessageContaining("AWS_REGION")
        .hasMessageContaining("DYNAMODB_ENDPOINT")
        .hasCauseInstanceOf(SdkClientException.class);
  }

  @Test
  void aLoopbackEndpointNeedsNoRegionNorCredentials() {
    try (DynamoDbClient client = DynamoDbClients.builder()
        .environment(Map.of("DYNAMODB_ENDPOINT", server.endpoint().toString()))
        .callTimeout(Duration.ofSeconds(30)).attemptTimeout(Duration.ofSeconds(10))
        .build()) {
      assertThat(client.listTables().tableNames()).isNotNull();
      assertThat(client.serviceClientConfiguration().region().id()).isEqualTo("us-east-1");
      assertThat(client.serviceClientConfiguration().endpointOverride()).contains(server.endpoint());
    }
  }

  @Test
  void theDefaultsAreThoseOfARequestPath() {
    try (DynamoDbClient client = DynamoDbClients.builder().endpoint(server.endpoint()).build()) {
      var config = client.serviceClientConfiguration().overrideConfiguration();
      assertThat(config.apiCallAttemptTimeout()).contains(Duration.ofMillis(200));
      assertThat(config.apiCallTimeout()).contains(Duration.ofSeconds(1));
      assertThat(config.retryStrategy().orElseThrow().maxAttempts()).isEqualTo(3);
    }
  }

  @Test
  void theEnvironmentSetsTimeoutsAndAttempts() {
    try (DynamoDbClient client = DynamoDbClients.builder()
        .environment(Map.of("DYNAMODB_ENDPOINT", server.endpoint().toString(),
            "RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT", "150ms", "RATELIMITER_DYNAMODB_CALL_TIMEOUT", "PT2.5S",
            "RATELIMITER_DYNAMODB_MAX_ATTEMPTS", "5"))
        .build()) {
      var config = client.serviceClientConfiguration().overrideConfiguration();
      assertThat(config.apiCallAttemptTimeout()).contains(Duration.ofMillis(150));
      assertThat(config.apiCallTimeout()).contains(Duration.ofMillis(2500));
      assertThat(config.retryStrategy().orElseThrow().maxAttempts()).isEqualTo(5);
    }
  }

  @Test
  void theAsyncClientHasTheSameSettingsAnswersAndClosesAtOnce() throws Exception {
    RequestCounter counter = new RequestCounter();
    DynamoDbAsyncClient client = DynamoDbClients.builder()
        .environment(Map.of("DYNAMODB_ENDPOINT", server.endpoint().toString(),
            "RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT", "5s", "RATELIMITER_DYNAMODB_CALL_TIMEOUT", "PT20S",
            "RATELIMITER_DYNAMODB_MAX_ATTEMPTS", "4"))
        .addInterceptor(counter)
        .buildAsync();
    try {
      var config = client.serviceClientConfiguration().overrideConfiguration();
      assertThat(config.apiCallAttemptTimeout()).contains(Duration.ofSeconds(5));
      assertThat(config.apiCallTimeout()).contains(Duration.ofSeconds(20));
      assertThat(config.retryStrategy().orElseThrow().maxAttempts()).isEqualTo(4);
      assertThat(client.serviceClientConfiguration().region().id()).isEqualTo("us-east-1");
      assertThat(client.listTables().get(30, TimeUnit.SECONDS).tableNames()).isNotNull();
      assertThat(counter.snapshot()).isEqualTo(Map.of("ListTables", 1L));
    } finally {
      long start = System.nanoTime();
      client.close();
      // the CRT's event loops are shared by its clients, not shut down with one
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }
  }

  @Test
  void badSettingsAreNamedWithTheirValue() {
    assertThatThrownBy(() -> DynamoDbClients.builder().environment(Map.of("RATELIMITER_DYNAMODB_CALL_TIMEOUT", "soon")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RATELIMITER_DYNAMODB_CALL_TIMEOUT").hasMessageContaining("'soon'");
    assertThatThrownBy(() -> DynamoDbClients.builder().environment(Map.of("RATELIMITER_DYNAMODB_MAX_ATTEMPTS", "0")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RATELIMITER_DYNAMODB_MAX_ATTEMPTS");
    assertThatThrownBy(() -> DynamoDbClients.builder().environment(Map.of("DYNAMODB_ENDPOINT", "notaurl")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DYNAMODB_ENDPOINT")
        .hasMessageContaining("'notaurl'");
    assertThatThrownBy(() -> DynamoDbClients.builder().attemptTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attemptTimeout");
    assertThatThrownBy(() -> DynamoDbClients.builder().endpoint(server.endpoint())
        .attemptTimeout(Duration.ofSeconds(2)).callTimeout(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attemptTimeout (PT2S)")
        .hasMessageContaining("callTimeout (PT1S)");
    assertThatThrownBy(() -> DynamoDbClients.builder().maxAttempts(11))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts must be from 1 to 10: 11");
  }

  @Test
  void theCallTimeoutBoundsACallToAServerThatNeverAnswers() throws IOException {
    try (ServerSocket blackhole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            accepted.add(blackhole.accept()); // read nothing, answer nothing
          }
        } catch (IOException closed) {
          // done
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (DynamoDbClient client = DynamoDbClients.builder()
          .endpoint(URI.create("http://127.0.0.1:" + blackhole.getLocalPort()))
          .attemptTimeout(Duration.ofMillis(300)).callTimeout(Duration.ofMillis(400)).build()) {
        long start = System.nanoTime();
        assertThatThrownBy(client::listTables).isInstanceOf(ApiCallTimeoutException.class);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        // a second attempt starts and is cut by the call timeout; the bound is 400 ms, the margin is for a loaded build machine, not a claim about latency
        assertThat(elapsedMillis).isLessThan(5_000);
      }
    }
  }

  /** The one reading of durations in text: the variables above and the command line's flags. */
  @Test
  void parseDurationReadsWhatTheVariablesAndTheCommandLineAccept() {
    assertThat(DynamoDbClients.parseDuration("--window", "1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(DynamoDbClients.parseDuration("--window", "90")).isEqualTo(Duration.ofSeconds(90));
    assertThatThrownBy(() -> DynamoDbClients.parseDuration("--window", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--window must not be null");
    assertThatThrownBy(() -> DynamoDbClients.parseDuration("--window", "0"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--window must be positive: '0'");
  }
}
