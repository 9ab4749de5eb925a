package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.ratelimiter.AsyncFungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.exception.SdkException;

class DynamoDbRateLimitersTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  @Test
  void withoutARegionNorAnEndpointTheErrorNamesBothVariablesAndIsNoSdkException() {
    // surefire points the SDK's profile files nowhere and disables the instance metadata lookup
    assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null
        && System.getProperty("aws.region") == null, "a region is configured on this machine");
    assertThatThrownBy(() -> DynamoDbRateLimiters.fromEnvironment(Map.of("LIMITER_TABLES_BASE_NAME", "app")))
        .isInstanceOf(RateLimiterException.class)
        .isNotInstanceOf(SdkException.class)
        .hasMessageContaining("AWS_REGION")
        .hasMessageContaining("DYNAMODB_ENDPOINT");
  }

  @Test
  void aLocalEndpointFromTheEnvironmentIsEnough() throws Exception {
    String base = LocalDynamoDb.uniqueName("env");
    TableNames names = TableNames.of(base);
    try (var client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, names);
    }
    try (RateLimiters limiters = DynamoDbRateLimiters.fromEnvironment(Map.of(
        "LIMITER_TABLES_BASE_NAME", base, "DYNAMODB_ENDPOINT", DYNAMO.endpoint().toString(),
        "RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT", "10s", "RATELIMITER_DYNAMODB_CALL_TIMEOUT", "30s"))) {
      assertThat(limiters.fungible("env", Limit.of(1, Duration.ofMinutes(1))).tryAcquire("a").allowed()).isTrue();
      assertThat(limiters.fungible("env", Limit.of(1, Duration.ofMinutes(1))).tryAcquire("a").allowed()).isFalse();
      // the non-blocking view: an asynchronous client built from the same environment, on first use
      AsyncFungibleLimiter async = limiters.fungible("env", Limit.of(1, Duration.ofMinutes(1))).async();
      assertThat(async.tryAcquire("b").get(30, TimeUnit.SECONDS).allowed()).isTrue();
      assertThat(async.tryAcquire("a").get(30, TimeUnit.SECONDS).allowed()).isFalse();
    }
  }
}
