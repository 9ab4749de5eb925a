package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.dynamodb.internal.Environment;
import java.util.Map;

/**
 * Zero-configuration limiters on DynamoDB: table names from environment variables (see {@link TableNames}), the
 * client from {@link DynamoDbClients#fromEnvironment()} (region from
 * {@code AWS_REGION} or the SDK's chain, {@code DYNAMODB_ENDPOINT} for a local server, credentials from the SDK's
 * default chain, and the request-path timeouts: 200 ms per attempt, 1 s per call).
 *
 * <p>Build one per application and keep it in a field; close it at shutdown:
 * <pre>{@code
 * RateLimiters limiters = DynamoDbRateLimiters.fromEnvironment();
 * ...
 * limiters.fungible("my-resource", Limit.of(1, Duration.ofSeconds(10))).acquire("account-1234");
 * }</pre>
 *
 * <p>Their non-blocking views ({@code limiter.async()}) never block a thread: the store sends their requests through
 * an asynchronous client it builds from the same environment on first asynchronous use
 * ({@link DynamoDbClients.Builder#buildAsync()}) and closes with the limiters.
 */
public final class DynamoDbRateLimiters {

  private DynamoDbRateLimiters() {}

  /**
   * Limiters with the defaults of {@link RateLimiters#builder()} over {@link DynamoDbStore#fromEnvironment()}.
   * Closing them closes the client.
   *
   * @throws IllegalStateException if no table name is configured, naming the variables
   * @throws RateLimiterException if no region is configured, naming {@code AWS_REGION} and {@code DYNAMODB_ENDPOINT}
   * @throws IllegalArgumentException if a variable holds a bad value, naming it
   */
  public static RateLimiters fromEnvironment() {
    return fromEnvironment(Environment.variables());
  }

  /** As {@link #fromEnvironment()}, from the given variables. */
  static RateLimiters fromEnvironment(Map<String, String> variables) {
    return RateLimiters.builder().store(DynamoDbStore.fromEnvironment(variables)).build();
  }
}
