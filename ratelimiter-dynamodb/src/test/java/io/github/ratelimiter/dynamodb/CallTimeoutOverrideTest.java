package io.github.ratelimiter.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.dynamodb.internal.StoreRequests;
import io.github.ratelimiter.store.Deadline;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The call timeout a decision's deadline gives each request: never longer than the time left, at most 1/64 shorter,
 * and carried by an override built once per rounded value rather than once per request.
 */
class CallTimeoutOverrideTest {

  private static DynamoDbClient client(Duration callTimeout) {
    return DynamoDbClients.builder().endpoint(URI.create("http://127.0.0.1:1")).callTimeout(callTimeout).build();
  }

  private static AwsRequestOverrideConfiguration sent(StoreRequests requests, Deadline deadline) {
    return requests.observe(UpdateItemRequest.builder(), deadline, "UpdateItem").build().overrideConfiguration()
        .orElse(null);
  }

  @Test
  void theTimeoutIsTheTimeLeftRoundedDownAndTheOverrideIsShared() {
    try (DynamoDbClient client = client(Duration.ofSeconds(30))) {
      StoreRequests requests = StoreRequests.unobserved(client);
      Deadline deadline = Deadline.after(Duration.ofSeconds(1));
      AwsRequestOverrideConfiguration first = sent(requests, deadline);
      long left = deadline.remainingNanos();
      Duration timeout = first.apiCallTimeout().orElseThrow();
      assertThat(timeout.toNanos()).isLessThanOrEqualTo(Duration.ofSeconds(1).toNanos())
          .isGreaterThanOrEqualTo(left - left / 64 - Duration.ofMillis(5).toNanos());
      // a second request within the same rounded millisecond range reuses the override
      assertThat(sent(requests, Deadline.after(Duration.ofSeconds(1)))).isSameAs(first);
    }
  }

  @Test
  void aShortTimeLeftIsNeverRoundedUp() {
    try (DynamoDbClient client = client(Duration.ofSeconds(30))) {
      StoreRequests requests = StoreRequests.unobserved(client);
      for (long millis : new long[] {1, 3, 17, 127, 129, 333, 4_999}) {
        Deadline deadline = Deadline.after(Duration.ofMillis(millis));
        Duration timeout = sent(requests, deadline).apiCallTimeout().orElseThrow();
        assertThat(timeout).isLessThanOrEqualTo(Duration.ofMillis(millis));
        assertThat(timeout.toNanos()).isGreaterThanOrEqualTo(
            Duration.ofMillis(millis).toNanos() * 63 / 64 - Duration.ofMillis(5).toNanos());
      }
    }
  }

  @Test
  void theClientsOwnShorterCallTimeoutNeedsNoOverride() {
    try (DynamoDbClient client = client(Duration.ofMillis(200))) {
      assertThat(sent(StoreRequests.unobserved(client), Deadline.after(Duration.ofSeconds(5)))).isNull();
      StoreRequests observed = StoreRequests.of(new RateLimiterListener() {}, client);
      AwsRequestOverrideConfiguration override = sent(observed, Deadline.after(Duration.ofSeconds(5)));
      assertThat(override.apiCallTimeout()).isEmpty();
      assertThat(override.metricPublishers()).isNotEmpty();
    }
  }
}
