package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.spring.RateLimiterProperties;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.core.env.Environment;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Builds the starter's DynamoDB clients, blocking and asynchronous, with the library's {@link DynamoDbClients}: the
 * variables it reads ({@code DYNAMODB_ENDPOINT}, {@code AWS_REGION}, the timeouts), taken from Spring's environment,
 * then {@code ratelimiter.dynamodb.*} over them; the two clients from the same settings.
 */
public final class DynamoDbClientFactory {

  private static final List<String> VARIABLES = List.of(DynamoDbClients.DYNAMODB_ENDPOINT, DynamoDbClients.AWS_REGION,
      DynamoDbClients.ATTEMPT_TIMEOUT_VARIABLE, DynamoDbClients.CALL_TIMEOUT_VARIABLE,
      DynamoDbClients.MAX_ATTEMPTS_VARIABLE);

  private DynamoDbClientFactory() {}

  /** A new client; the caller closes it. */
  public static DynamoDbClient create(RateLimiterProperties.DynamoDb properties, Environment environment) {
    return builder(properties, environment).build();
  }

  /**
   * A new asynchronous client from the same settings as {@link #create} (endpoint, region, timeouts, attempts), for
   * the limiters' non-blocking views; the caller closes it.
   */
  public static DynamoDbAsyncClient createAsync(RateLimiterProperties.DynamoDb properties, Environment environment) {
    return builder(properties, environment).buildAsync();
  }

  private static DynamoDbClients.Builder builder(RateLimiterProperties.DynamoDb properties, Environment environment) {
    Map<String, String> variables = new HashMap<>();
    for (String variable : VARIABLES) {
      String value = environment.getProperty(variable);
      if (value != null) {
        variables.put(variable, value);
      }
    }
    DynamoDbClients.Builder builder = DynamoDbClients.builder().environment(variables);
    if (properties.getEndpoint() != null && !properties.getEndpoint().isBlank()) {
      builder.endpoint(URI.create(properties.getEndpoint().trim()));
    }
    if (properties.getRegion() != null && !properties.getRegion().isBlank()) {
      builder.region(properties.getRegion().trim());
    }
    if (properties.getAttemptTimeout() != null) {
      builder.attemptTimeout(properties.getAttemptTimeout());
    }
    if (properties.getCallTimeout() != null) {
      builder.callTimeout(properties.getCallTimeout());
    }
    if (properties.getMaxAttempts() != null) {
      builder.maxAttempts(properties.getMaxAttempts());
    }
    return builder;
  }
}
