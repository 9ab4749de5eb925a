package io.github.ratelimiter.dynamodb.internal;

import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbServiceClientConfiguration;

/** The asynchronous client a store builds for itself when it was given none. */
public final class AsyncClients {

  private AsyncClients() {}

  /**
   * An asynchronous client with the settings of {@code client}, as far as it tells them (endpoint, region,
   * credentials, attempt and call timeouts, attempts per call, interceptors), and otherwise those the
   * {@code environment} gives {@link DynamoDbClients} (for a store from the environment, the same settings the
   * blocking client was built with). Built by {@link DynamoDbClients.Builder#buildAsync()}; sends nothing.
   */
  public static DynamoDbAsyncClient twinOf(DynamoDbClient client, Map<String, String> environment) {
    DynamoDbClients.Builder builder = DynamoDbClients.builder().environment(environment);
    DynamoDbServiceClientConfiguration config;
    try {
      config = client.serviceClientConfiguration();
    } catch (RuntimeException e) {
      return builder.buildAsync(); // a client that does not say (a test double)
    }
    config.endpointOverride().ifPresent(builder::endpoint);
    if (config.region() != null) {
      builder.region(config.region());
    }
    if (config.credentialsProvider() instanceof AwsCredentialsProvider credentials) {
      builder.credentialsProvider(credentials);
    }
    ClientOverrideConfiguration override = config.overrideConfiguration();
    if (override != null) {
      override.apiCallTimeout().ifPresent(builder::callTimeout);
      override.apiCallAttemptTimeout().ifPresent(builder::attemptTimeout);
      override.retryStrategy().ifPresent(retries -> builder.maxAttempts(Math.max(1, Math.min(10,
          retries.maxAttempts()))));
      override.executionInterceptors().forEach(builder::addInterceptor);
    }
    return builder.buildAsync();
  }
}
