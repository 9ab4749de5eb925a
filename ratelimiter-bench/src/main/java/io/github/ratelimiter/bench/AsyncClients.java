package io.github.ratelimiter.bench;

import java.time.Duration;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The asynchronous clients of the {@code async-*} scenarios (built by {@code DynamoDbClients.buildAsync()}, as the
 * library builds them, with a pool as large as the decisions the scenarios keep in flight): a check that each has its
 * contender's blocking client's timeouts and attempts, so that the two paths are compared at the same settings.
 */
final class AsyncClients {

  private AsyncClients() {}

  /**
   * Fails unless {@code async} has {@code blocking}'s attempt and call timeouts and attempts per call: the async
   * scenarios compare the two paths at the same settings.
   */
  static void checkSameTimeouts(DynamoDbClient blocking, DynamoDbAsyncClient async) {
    ClientOverrideConfiguration b = blocking.serviceClientConfiguration().overrideConfiguration();
    ClientOverrideConfiguration a = async.serviceClientConfiguration().overrideConfiguration();
    String blockingSettings = settings(b);
    String asyncSettings = settings(a);
    if (!blockingSettings.equals(asyncSettings)) {
      throw new IllegalStateException("the asynchronous client's timeouts differ from the blocking client's: "
          + asyncSettings + " vs " + blockingSettings);
    }
  }

  private static String settings(ClientOverrideConfiguration c) {
    return "attempt " + c.apiCallAttemptTimeout().map(Duration::toString).orElse("none") + ", call "
        + c.apiCallTimeout().map(Duration::toString).orElse("none") + ", attempts "
        + c.retryStrategy().map(RetryStrategy::maxAttempts).map(String::valueOf).orElse("none");
  }
}
