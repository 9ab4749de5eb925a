package io.github.ratelimiter.dynamodb.internal;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiterListener.StoreOutcome;
import io.github.ratelimiter.store.Deadline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Reports each request the store sends to a {@link RateLimiterListener}: one event per HTTP attempt, as DynamoDB
 * bills them, with the attempt's outcome and latency.
 *
 * <p>The client may be the application's own, built without anything of ours, so nothing can be registered on it.
 * Instead each request carries, in its {@code overrideConfiguration}, one {@link MetricPublisher} built once per
 * store: the SDK hands it the request's metrics (synchronously, before the call returns or throws), from which the
 * attempts that were retried (throttled, 5xx, I/O errors) are reported with their error type and duration. The last
 * attempt is reported by the caller, who knows exactly how it ended (a failed condition is an answer, not an
 * error), with the time of the whole call: what the decision waited for the store, the SDK's retries and backoff
 * included. A request-level publisher replaces the client's own, so the client's publishers are added to it.
 *
 * <p>Unobserved ({@link RateLimiterListener#NONE}), requests carry nothing and no clock is read.
 *
 * <p>It is also where a decision's {@link Deadline} reaches the SDK: a request sent within a bounded deadline carries
 * an {@code apiCallTimeout} of the time left (or the client's own call timeout, if that is shorter), which bounds
 * all its attempts and backoff; after the deadline nothing is sent.
 *
 * <p><b>Blocking and asynchronous.</b> One instance serves one client, blocking or asynchronous, whose requests go
 * out through {@link #calls()} ({@link DynamoDbCalls}: the only code that differs between the two). Every store call
 * is written once, as a composition of futures over {@link #call}: through a blocking client those futures are
 * complete when returned, the continuations run in place on the caller's thread, and {@link #answer} takes the value
 * out (or throws the failure) without waiting; through an asynchronous client they complete on the client's thread
 * and nothing waits. Requests, conditions, response handling, reporting and error mapping are the same code.
 */
public final class StoreRequests {

  private static final String ATTEMPT = "ApiCallAttempt";
  private static final String THROTTLING = "Throttling";

  /** Significant bits of a call timeout's milliseconds kept by {@link #withCallTimeout}: 64 values per doubling. */
  private static final int TIMEOUT_BITS = 7;

  private final RateLimiterListener listener;
  private final DynamoDbCalls calls;
  /** Overrides by rounded call timeout in milliseconds: at most 64 per doubling of the decision timeout. */
  private final ConcurrentHashMap<Long, AwsRequestOverrideConfiguration> byTimeout = new ConcurrentHashMap<>();
  private final AwsRequestOverrideConfiguration override;
  /** The client's own call timeout, or {@code null} when it has none. */
  private final Duration clientCallTimeout;

  private StoreRequests(RateLimiterListener listener, DynamoDbCalls calls, AwsRequestOverrideConfiguration override,
      Duration clientCallTimeout) {
    this.listener = listener;
    this.calls = calls;
    this.override = override;
    this.clientCallTimeout = clientCallTimeout;
  }

  /** Requests sent through the blocking {@code client}, reported to no one. */
  public static StoreRequests unobserved(DynamoDbClient client) {
    return of(RateLimiterListener.NONE, client);
  }

  /** Reports the requests sent through the blocking {@code client} to {@code listener}. */
  public static StoreRequests of(RateLimiterListener listener, DynamoDbClient client) {
    return of(listener, DynamoDbCalls.blocking(client), client);
  }

  /** Reports the requests sent through the asynchronous {@code client} to {@code listener}. */
  public static StoreRequests of(RateLimiterListener listener, DynamoDbAsyncClient client) {
    return of(listener, DynamoDbCalls.async(client), client);
  }

  private static StoreRequests of(RateLimiterListener listener, DynamoDbCalls calls, SdkClient client) {
    Duration clientCallTimeout = callTimeout(client).orElse(null);
    if (listener == RateLimiterListener.NONE) {
      return new StoreRequests(listener, calls, null, clientCallTimeout);
    }
    List<MetricPublisher> publishers = new ArrayList<>();
    publishers.add(new RetriedAttempts(listener));
    publishers.addAll(clientPublishers(client));
    return new StoreRequests(listener, calls,
        AwsRequestOverrideConfiguration.builder().metricPublishers(publishers).build(), clientCallTimeout);
  }

  /** How requests go out: through the blocking client, or the asynchronous one. */
  public DynamoDbCalls calls() {
    return calls;
  }

  /** The client's own call timeout ({@code apiCallTimeout}), when it has one. */
  public static Optional<Duration> callTimeout(SdkClient client) {
    try {
      return client.serviceClientConfiguration().overrideConfiguration().apiCallTimeout();
    } catch (RuntimeException e) {
      return Optional.empty(); // a client that does not say (a test double)
    }
  }

  private static List<MetricPublisher> clientPublishers(SdkClient client) {
    try {
      return client.serviceClientConfiguration().overrideConfiguration().metricPublishers();
    } catch (RuntimeException e) {
      return List.of(); // a client that does not say (a test double)
    }
  }

  /** Whether requests are reported. */
  public boolean observed() {
    return override != null;
  }

  /** {@code request} with this store's publisher of retried attempts, when observed. */
  public <B extends AwsRequest.Builder> B observe(B request) {
    if (override != null) {
      request.overrideConfiguration(override);
    }
    return request;
  }

  /**
   * {@code request} with this store's publisher of retried attempts, when observed, and, within a bounded
   * {@code deadline}, a call timeout of the time left (or the client's, if shorter).
   *
   * @throws io.github.ratelimiter.RateLimiterException if the deadline has passed: nothing is to be sent
   */
  public <B extends AwsRequest.Builder> B observe(B request, Deadline deadline, String operation) {
    if (!deadline.isBounded()) {
      return observe(request);
    }
    Duration timeout = deadline.nextCallTimeout(clientCallTimeout, operation);
    if (timeout == clientCallTimeout) {
      return observe(request); // the client's own call timeout is the shorter: it applies as it is
    }
    request.overrideConfiguration(withCallTimeout(timeout));
    return request;
  }

  /**
   * The override that carries a call timeout of {@code timeout} rounded down to {@link #TIMEOUT_BITS} significant
   * bits of milliseconds (at most 1/64 shorter, never longer), built once per rounded value: a new override per
   * request costs the SDK about 3 KB of copies per call (measured: 65.2 KB against 62.2 KB per UpdateItem on
   * dynalite), which is the client CPU that made contended buckets slower. Under 1 ms it is built as it is.
   */
  private AwsRequestOverrideConfiguration withCallTimeout(Duration timeout) {
    long millis = timeout.toMillis();
    if (millis == 0) {
      return build(timeout);
    }
    int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(millis) - TIMEOUT_BITS);
    long rounded = (millis >>> shift) << shift;
    return byTimeout.computeIfAbsent(rounded, ms -> build(Duration.ofMillis(ms)));
  }

  private AwsRequestOverrideConfiguration build(Duration timeout) {
    AwsRequestOverrideConfiguration.Builder config =
        override == null ? AwsRequestOverrideConfiguration.builder() : override.toBuilder();
    return config.apiCallTimeout(timeout).build();
  }

  /**
   * Sends one request, {@code call}, that has no condition: reports how its last attempt ended, with the time of the
   * whole call (OK, or THROTTLED or ERROR), and fails as the library's exception ({@link Errors#map}, naming
   * {@code operation} and {@code table}, the SDK's exception its cause). The store's requests go through this or
   * {@link #call(String, String, Supplier, Function)}, the one place that sequence is written.
   *
   * @param call builds the request and sends it through {@link #calls()}, its answer mapped as the caller needs
   * @return what {@code call} answered, or a future failed with a {@link RateLimiterException} (or, from
   *     {@link #observe(AwsRequest.Builder, Deadline, String) observe} in {@code call}, the deadline's failure: nothing
   *     was sent), never with an SDK exception; as any stage's failure, possibly inside a {@link CompletionException},
   *     which {@link #answer} and {@link RequestPaths#async} take off
   */
  public <T> CompletableFuture<T> call(String operation, String table, Supplier<CompletableFuture<T>> call) {
    return sent(operation, table, call, null);
  }

  /**
   * As {@link #call(String, String, Supplier)}, for a conditional write: a failed condition is an answer, not an
   * error, reported as CONDITION_FAILED and answered by {@code conditionFailed} (from the exception, which carries the
   * item when the request asked for it).
   */
  public <T> CompletableFuture<T> call(String operation, String table, Supplier<CompletableFuture<T>> call,
      Function<ConditionalCheckFailedException, T> conditionFailed) {
    return sent(operation, table, call, Objects.requireNonNull(conditionFailed, "conditionFailed"));
  }

  /**
   * A request outside the store's SPI (the limit sync's batches) sent through the blocking client {@code call}
   * calls, reported and mapped as {@link #call(String, String, Supplier)}.
   *
   * @throws RateLimiterException if the request failed
   */
  public <T> T send(String operation, String table, Supplier<T> call) {
    return answer(sent(operation, table, () -> DynamoDbCalls.now(call), null));
  }

  /** The one implementation: a failed condition without {@code conditionFailed} is a failure like any other. */
  private <T> CompletableFuture<T> sent(String operation, String table, Supplier<CompletableFuture<T>> call,
      Function<ConditionalCheckFailedException, T> conditionFailed) {
    long start = start();
    CompletableFuture<T> sent;
    try {
      sent = call.get();
    } catch (RuntimeException e) { // the deadline had passed, or the SDK refused the request before sending it
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((answer, failure) -> {
      if (failure == null) {
        ended(operation, StoreOutcome.OK, start);
        return answer;
      }
      Throwable cause = unwrapped(failure);
      if (cause instanceof ConditionalCheckFailedException refused && conditionFailed != null) {
        ended(operation, StoreOutcome.CONDITION_FAILED, start);
        return conditionFailed.apply(refused);
      }
      if (cause instanceof SdkException e) {
        failed(operation, e, start);
        throw Errors.map(e, operation, table);
      }
      throw rethrown(cause);
    });
  }

  /**
   * The answer of a future that the blocking path completed before returning it: its value, or its failure thrown as
   * it is (a {@link RateLimiterException}, say), never wrapped in a {@link CompletionException}. Never waits.
   *
   * @throws IllegalStateException if the future is not complete: a request went out through an asynchronous client
   *     on the blocking path, which would be a bug
   */
  public static <T> T answer(CompletableFuture<T> future) {
    if (!future.isDone()) {
      throw new IllegalStateException("a blocking store call left its answer pending");
    }
    try {
      return future.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      throw rethrown(unwrapped(e));
    }
  }

  /** The failure inside the {@link CompletionException}s that {@link CompletableFuture} wraps around it. */
  public static Throwable unwrapped(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** {@code failure} as an unchecked exception to throw: itself if it is one (or an error), else wrapped. */
  private static RuntimeException rethrown(Throwable failure) {
    if (failure instanceof RuntimeException e) {
      return e;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    return new RateLimiterException("DynamoDB call failed: " + failure, failure);
  }

  /** The time a call starts, to pass to {@link #ended}; 0 (no clock read) when unobserved. */
  private long start() {
    return override == null ? 0 : System.nanoTime();
  }

  /** Reports the last attempt of a call that started at {@code startNanos}. */
  private void ended(String operation, StoreOutcome outcome, long startNanos) {
    if (override != null) {
      listener.onStoreRequest(operation, outcome, System.nanoTime() - startNanos);
    }
  }

  /** Reports the last attempt of a call that failed with {@code e}. */
  private void failed(String operation, SdkException e, long startNanos) {
    if (override != null) {
      ended(operation, Errors.isThrottling(e) ? StoreOutcome.THROTTLED : StoreOutcome.ERROR, startNanos);
    }
  }

  /** Reports every attempt of a call but the last, which the caller reports. */
  private static final class RetriedAttempts implements MetricPublisher {
    private final RateLimiterListener listener;

    RetriedAttempts(RateLimiterListener listener) {
      this.listener = listener;
    }

    @Override
    public void publish(MetricCollection call) {
      List<MetricCollection> attempts = new ArrayList<>();
      call.children().forEach(child -> {
        if (ATTEMPT.equals(child.name())) {
          attempts.add(child);
        }
      });
      if (attempts.size() < 2) {
        return;
      }
      List<String> operations = call.metricValues(CoreMetric.OPERATION_NAME);
      String operation = operations.isEmpty() ? "unknown" : operations.get(0);
      for (MetricCollection attempt : attempts.subList(0, attempts.size() - 1)) {
        List<String> errorTypes = attempt.metricValues(CoreMetric.ERROR_TYPE);
        StoreOutcome outcome = errorTypes.contains(THROTTLING) ? StoreOutcome.THROTTLED : StoreOutcome.ERROR;
        List<Duration> durations = attempt.metricValues(CoreMetric.SERVICE_CALL_DURATION);
        listener.onStoreRequest(operation, outcome, durations.isEmpty() ? 0 : durations.get(0).toNanos());
      }
    }

    @Override
    public void close() {}
  }
}
