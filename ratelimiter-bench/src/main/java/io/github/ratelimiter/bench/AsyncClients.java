package io.github.ratelimiter.bench;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbServiceClientConfiguration;

/**
 * The asynchronous clients of the {@code async-*} scenarios: each the twin of a contender's blocking client (the
 * test client of {@code LocalDynamoDb}), with the same endpoint, region, credentials, attempt and call timeouts and
 * attempts per call, read from that client, and the retry back-offs {@code DynamoDbClients} gives every client. Built
 * as {@code DynamoDbClients.Builder.buildAsync()} will build them (issue 21's DynamoDB branch): the SDK's Netty client,
 * connect timeout the attempt timeout, pool wait the call timeout, futures completed on the event-loop thread that
 * read the answer. The pool holds as many connections as the scenarios keep decisions in flight, so the client's pool
 * does not cap them (the blocking clients' pool of 64 is more than their 16 threads use).
 *
 * <p>Once {@code buildAsync()} is on main, {@link #twinOf} is
 * {@code LocalDynamoDb.testClientBuilder(endpoint, interceptors).maxConnections(maxConnections).buildAsync()}.
 */
final class AsyncClients {

  private AsyncClients() {}

  /** An asynchronous client with {@code blocking}'s settings, counting its requests with {@code interceptors}. */
  static DynamoDbAsyncClient twinOf(DynamoDbClient blocking, int maxConnections,
      ExecutionInterceptor... interceptors) {
    DynamoDbServiceClientConfiguration config = blocking.serviceClientConfiguration();
    ClientOverrideConfiguration override = config.overrideConfiguration();
    Duration attempt = override.apiCallAttemptTimeout().orElseThrow();
    Duration call = override.apiCallTimeout().orElseThrow();
    int attempts = override.retryStrategy().map(RetryStrategy::maxAttempts).orElseThrow();
    // As DynamoDbClients: back-offs sized so that every attempt fits the call.
    Duration maxBackoff = call.dividedBy(4);
    DynamoDbAsyncClientBuilder builder = DynamoDbAsyncClient.builder()
        .region(config.region())
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .connectionTimeout(attempt)
            .connectionAcquisitionTimeout(call)
            .maxConcurrency(maxConnections))
        .asyncConfiguration(c -> c.advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR,
            Runnable::run))
        .overrideConfiguration(c -> {
          c.apiCallAttemptTimeout(attempt).apiCallTimeout(call)
              .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                  .maxAttempts(attempts)
                  .backoffStrategy(BackoffStrategy.exponentialDelay(min(Duration.ofMillis(10), maxBackoff), maxBackoff))
                  .throttlingBackoffStrategy(
                      BackoffStrategy.exponentialDelay(min(Duration.ofMillis(25), maxBackoff), maxBackoff))
                  .build());
          for (ExecutionInterceptor interceptor : interceptors) {
            c.addExecutionInterceptor(interceptor);
          }
        });
    config.endpointOverride().ifPresent(builder::endpointOverride);
    if (config.credentialsProvider() instanceof AwsCredentialsProvider credentials) {
      builder.credentialsProvider(credentials);
    }
    return builder.build();
  }

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

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
