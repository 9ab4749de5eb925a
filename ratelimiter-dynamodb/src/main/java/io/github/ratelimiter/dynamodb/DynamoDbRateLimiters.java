package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.internal.Environment;
import java.net.URI;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Zero-configuration limiters on DynamoDB, in the style of the Python library: table names from environment
 * variables (see {@link TableNames}), region and credentials from the AWS SDK's default chains.
 *
 * <pre>{@code
 * try (RateLimiters limiters = DynamoDbRateLimiters.fromEnvironment()) {
 *   limiters.fungible("my-resource", Limit.of(1, Duration.ofSeconds(10))).acquire("account-1234");
 * }
 * }</pre>
 */
public final class DynamoDbRateLimiters {

  /** The environment variable that points the client at another endpoint, e.g. a local server. */
  public static final String DYNAMODB_ENDPOINT = "DYNAMODB_ENDPOINT";

  private DynamoDbRateLimiters() {}

  /**
   * Limiters with the defaults of {@link RateLimiters#builder()} over {@link DynamoDbStore#fromEnvironment()}.
   * Closing them closes the client.
   *
   * @throws IllegalStateException if no table name is configured, naming the variables
   */
  public static RateLimiters fromEnvironment() {
    return RateLimiters.builder().store(DynamoDbStore.fromEnvironment()).build();
  }

  @SuppressWarnings("deprecation") // ApacheHttpClient (Apache 4): deprecated for Apache5HttpClient in SDK 2.3x+
  static DynamoDbClient defaultClient() {
    DynamoDbClientBuilder builder = DynamoDbClient.builder().httpClientBuilder(ApacheHttpClient.builder());
    String endpoint = Environment.variables().get(DYNAMODB_ENDPOINT);
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint.trim()));
    }
    return builder.build();
  }
}
