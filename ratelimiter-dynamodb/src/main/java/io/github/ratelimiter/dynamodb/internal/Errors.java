package io.github.ratelimiter.dynamodb.internal;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.ThrottlingException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/** Maps AWS SDK exceptions to the library's, at the store boundary, keeping the cause. */
public final class Errors {

  private static final Set<String> THROTTLING_CODES = Set.of("ProvisionedThroughputExceededException",
      "RequestLimitExceeded", "ThrottlingException", "Throttling", "TooManyRequestsException");

  private Errors() {}

  /** Whether DynamoDB refused the request for load (after the client's retries, if it was the last attempt). */
  public static boolean isThrottling(SdkException e) {
    return e instanceof AwsServiceException service && service.awsErrorDetails() != null
        && THROTTLING_CODES.contains(service.awsErrorDetails().errorCode());
  }

  /** The library exception for an SDK failure of {@code operation} on {@code table}. */
  public static RateLimiterException map(SdkException e, String operation, String table) {
    if (e instanceof ResourceNotFoundException) {
      return new RateLimiterException("DynamoDB table '" + table + "' does not exist or is not active (" + operation
          + "): create it with DynamoDbTables.createIfMissing(client, tableNames) or 'ratelimiter tables create'",
          e);
    }
    if (isThrottling(e)) {
      AwsServiceException service = (AwsServiceException) e;
      return new ThrottlingException("DynamoDB throttled " + operation + " on table '" + table
          + "' after the client's retries: " + service.awsErrorDetails().errorCode(), e);
    }
    return new RateLimiterException("DynamoDB " + operation + " on table '" + table + "' failed: " + e.getMessage(),
        e);
  }
}
