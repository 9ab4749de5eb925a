package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.dynamodb.DynamoDbRateLimiters;
import io.github.ratelimiter.spring.RateLimiterProperties;
import java.net.URI;
import org.springframework.core.env.Environment;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Builds the starter's DynamoDB client from {@code ratelimiter.dynamodb.*}: the endpoint (else
 * {@code DYNAMODB_ENDPOINT}), the region (else the SDK's region chain); a loopback endpoint (a local server) gets
 * dummy credentials and {@code us-east-1} unless a region is set.
 */
public final class DynamoDbClientFactory {

  private DynamoDbClientFactory() {}

  /** A new client; the caller closes it. */
  public static DynamoDbClient create(RateLimiterProperties.DynamoDb properties, Environment environment) {
    String endpoint = properties.getEndpoint();
    if (endpoint == null || endpoint.isBlank()) {
      endpoint = environment.getProperty(DynamoDbRateLimiters.DYNAMODB_ENDPOINT);
    }
    DynamoDbClientBuilder builder = DynamoDbClient.builder();
    String region = properties.getRegion();
    if (endpoint != null && !endpoint.isBlank()) {
      URI uri = URI.create(endpoint.trim());
      builder.endpointOverride(uri);
      if (isLoopback(uri)) {
        builder.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")));
        if (region == null || region.isBlank()) {
          region = "us-east-1";
        }
      }
    }
    if (region != null && !region.isBlank()) {
      builder.region(Region.of(region.trim()));
    }
    return builder.build();
  }

  private static boolean isLoopback(URI uri) {
    String host = uri.getHost();
    return "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host) || "::1".equals(host);
  }
}
