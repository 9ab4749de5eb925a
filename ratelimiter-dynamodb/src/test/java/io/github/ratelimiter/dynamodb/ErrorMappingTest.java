package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.ThrottlingException;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/** SDK failures reach callers as the library's exceptions, with the cause kept; never as SDK types. */
class ErrorMappingTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  /** A client whose every call fails with the given exception: a mock for error mapping only. */
  private static DynamoDbClient failingWith(RuntimeException failure) {
    return new DynamoDbClient() {
      @Override
      public GetItemResponse getItem(GetItemRequest request) {
        throw failure;
      }

      @Override
      public GetItemResponse getItem(Consumer<GetItemRequest.Builder> request) {
        throw failure;
      }

      @Override
      public QueryResponse query(QueryRequest request) {
        throw failure;
      }

      @Override
      public QueryResponse query(Consumer<QueryRequest.Builder> request) {
        throw failure;
      }

      @Override
      public UpdateItemResponse updateItem(UpdateItemRequest request) {
        throw failure;
      }

      @Override
      public String serviceName() {
        return "dynamodb";
      }

      @Override
      public void close() {}
    };
  }

  private static RateLimiters limiters(DynamoDbClient client, FailureMode mode) {
    return RateLimiters.builder()
        .store(DynamoDbStore.builder().client(client).tableNames(TableNames.of("mapping")).build())
        .failureMode(mode)
        .build();
  }

  @Test
  void aMissingTableIsNamedWithHowToCreateIt() {
    try (DynamoDbClient client = DYNAMO.newClient();
        RateLimiters limiters = limiters(client, FailureMode.FAIL_CLOSED)) {
      assertThatThrownBy(() -> limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1))).tryAcquire("a"))
          .isExactlyInstanceOf(RateLimiterException.class)
          .hasMessageContaining("'mapping-limits' does not exist")
          .hasMessageContaining("tables create")
          .cause().isInstanceOf(software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException.class);
    }
  }

  @Test
  void throttlingAfterTheSdkRetriesIsAThrottlingException() {
    RuntimeException throttled = ProvisionedThroughputExceededException.builder()
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("ProvisionedThroughputExceededException").build())
        .message("slow down").build();
    try (RateLimiters limiters = limiters(failingWith(throttled), FailureMode.FAIL_CLOSED)) {
      assertThatThrownBy(() -> limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1))).tryAcquire("a"))
          .isInstanceOf(ThrottlingException.class)
          .hasMessageContaining("throttled")
          .hasCause(throttled);
    }
  }

  @Test
  void requestLimitExceededIsAlsoThrottling() {
    RuntimeException throttled = DynamoDbException.builder()
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("RequestLimitExceeded").build()).build();
    try (RateLimiters limiters = limiters(failingWith(throttled), FailureMode.FAIL_CLOSED)) {
      assertThatThrownBy(() -> limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1))).tryAcquire("a"))
          .isInstanceOf(ThrottlingException.class);
    }
  }

  @Test
  void aNetworkFailureIsARateLimiterExceptionWithItsCause() {
    RuntimeException down = SdkClientException.create("Unable to execute HTTP request: Connection refused");
    try (RateLimiters limiters = limiters(failingWith(down), FailureMode.FAIL_CLOSED)) {
      assertThatThrownBy(() -> limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1))).tryAcquire("a"))
          .isExactlyInstanceOf(RateLimiterException.class)
          .hasMessageContaining("Query on table 'mapping-limits' failed")
          .hasCause(down);
    }
  }

  @Test
  void failOpenAdmitsAndSaysSoWhenTheStoreIsDown() {
    RuntimeException down = SdkClientException.create("Connection refused");
    try (RateLimiters limiters = limiters(failingWith(down), FailureMode.FAIL_OPEN)) {
      Decision decision = limiters.fungible("api", Limit.of(1, Duration.ofSeconds(1))).tryAcquire("a");
      assertThat(decision.allowed()).isTrue();
      assertThat(decision.degraded()).isTrue();
    }
  }
}
