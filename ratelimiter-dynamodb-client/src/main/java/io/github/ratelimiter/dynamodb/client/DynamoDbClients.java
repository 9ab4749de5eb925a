package io.github.ratelimiter.dynamodb.client;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.dynamodb.client.internal.DurationText;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;

/**
 * Builds the {@link DynamoDbClient}s and {@link DynamoDbAsyncClient}s of this library: the one place that turns
 * configuration (endpoint, region, credentials, HTTP client, timeouts, retries) into a client. {@code DynamoDbRateLimiters.fromEnvironment()}, the
 * CLI, the Lambda function and the test support all build theirs here; build yours here too, or pass any client
 * you configured yourself to {@code DynamoDbStore.builder().client(...)}.
 *
 * <pre>{@code
 * DynamoDbClient client = DynamoDbClients.builder()
 *     .region("eu-west-1")
 *     .attemptTimeout(Duration.ofMillis(100))
 *     .callTimeout(Duration.ofMillis(500))
 *     .build();
 * }</pre>
 *
 * <p><b>Time.</b> A rate limiter sits on a request path, so its client gives up early rather than late: each HTTP
 * attempt may take {@link #DEFAULT_ATTEMPT_TIMEOUT} (200 ms), the whole call, retries and back-off included,
 * {@link #DEFAULT_CALL_TIMEOUT} (1 s), and a call makes at most {@link #DEFAULT_MAX_ATTEMPTS} (3) attempts. Retries
 * use the SDK's standard strategy (throttling, 5xx and I/O errors; a retry quota that stops retrying when most calls
 * fail) with short jittered back-offs sized to fit the call timeout, so a throttled call is retried within the
 * deadline and then surfaces. The call timeout is the bound: a call never takes longer, whatever the store does.
 *
 * <p><b>Environment.</b> {@link Builder#environment(Map)} (and {@link #fromEnvironment()}) read
 * <ul>
 *   <li>{@value #DYNAMODB_ENDPOINT}: another endpoint, e.g. {@code http://127.0.0.1:8000} for a local server;</li>
 *   <li>{@value #AWS_REGION}: the region (required unless the endpoint is on loopback or the SDK's region chain,
 *       a profile for instance, finds one);</li>
 *   <li>{@value #ATTEMPT_TIMEOUT_VARIABLE} and {@value #CALL_TIMEOUT_VARIABLE}: the timeouts, as
 *       {@link #parseDuration(String, String)} reads them: {@code 200ms}, {@code 1s}, {@code 1.5s} or ISO-8601
 *       ({@code PT0.2S});</li>
 *   <li>{@value #MAX_ATTEMPTS_VARIABLE}: attempts per call, 1 for no retry.</li>
 * </ul>
 *
 * <p><b>Asynchronous client.</b> {@link Builder#buildAsync()} builds a {@link DynamoDbAsyncClient} from the same
 * settings (the same endpoint, region, credentials, timeouts, retries and interceptors), for the limiters'
 * non-blocking {@code async()} views. Its HTTP client is the AWS CRT client ({@code aws-crt-client}: non-blocking
 * I/O in native code on the CRT's event-loop threads, one per processor, shared by every CRT client of the process);
 * {@code docs/async-client.md} has the measurements against the SDK's Netty client that chose it. Its futures complete
 * on the event-loop thread that read the answer: the SDK's {@code FUTURE_COMPLETION_EXECUTOR}, by default a pool of
 * up to 50 threads per client, is set to run completions in place ({@code Runnable::run}), so an answer costs no
 * thread of its own and no hand-off. That is safe because the only code that runs there is the store's own short,
 * non-blocking continuations; the limiters move user callbacks to the executor of
 * {@code RateLimiters.Builder.asyncExecutor} themselves. Whoever uses such a client directly must not block in a
 * callback, or call {@link Builder#asyncCustomizer} to set another executor.
 *
 * <p><b>Local endpoints.</b> An endpoint on loopback ({@code 127.0.0.1}, {@code localhost}, {@code ::1}) gets
 * dummy credentials and {@code us-east-1} unless told otherwise; any other endpoint, and AWS itself, the SDK's
 * default credentials chain.
 *
 * <p>Thread-safe: the methods of this class are; a {@link Builder} is not.
 */
public final class DynamoDbClients {

  /** The environment variable of another endpoint, e.g. a local DynamoDB-compatible server. */
  public static final String DYNAMODB_ENDPOINT = "DYNAMODB_ENDPOINT";
  /** The environment variable of the region, as the AWS SDK reads it. */
  public static final String AWS_REGION = "AWS_REGION";
  /** The environment variable of the timeout of one HTTP attempt. */
  public static final String ATTEMPT_TIMEOUT_VARIABLE = "RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT";
  /** The environment variable of the timeout of a whole call, retries included. */
  public static final String CALL_TIMEOUT_VARIABLE = "RATELIMITER_DYNAMODB_CALL_TIMEOUT";
  /** The environment variable of the attempts per call. */
  public static final String MAX_ATTEMPTS_VARIABLE = "RATELIMITER_DYNAMODB_MAX_ATTEMPTS";

  /** The default timeout of one HTTP attempt: 200 ms. */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofMillis(200);
  /** The default timeout of a whole call, retries and back-off included: 1 s. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(1);
  /** The default attempts per call: 3 (the first and two retries). */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  private DynamoDbClients() {}

  /**
   * A positive duration written as text, as the library reads its timeout variables and the command-line tool its
   * flags: a decimal number with a unit ({@code 250ms}, {@code 1.5s}, {@code 2m}, {@code 1h}, {@code 1d}), a bare
   * number of seconds ({@code 90}, as the limit table's {@code windowSec} counts), or ISO-8601 ({@code PT0.2S}).
   *
   * @param name what the text configures, for the error: a variable's or a flag's name
   * @throws IllegalArgumentException if {@code text} is not a positive duration, naming {@code name} and the text
   */
  public static Duration parseDuration(String name, String text) {
    if (text == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return DurationText.parse(name, text);
  }

  /** A builder with the defaults above. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A client configured from the process environment (see the class description).
   *
   * @throws RateLimiterException if no region can be found, naming {@value #AWS_REGION} and
   *     {@value #DYNAMODB_ENDPOINT}
   * @throws IllegalArgumentException if a variable holds a bad value, naming it
   */
  public static DynamoDbClient fromEnvironment() {
    return builder().environment(System.getenv()).build();
  }

  /**
   * An asynchronous client configured from the process environment, as {@link #fromEnvironment()}.
   *
   * @throws RateLimiterException if no region can be found, naming {@value #AWS_REGION} and
   *     {@value #DYNAMODB_ENDPOINT}
   * @throws IllegalArgumentException if a variable holds a bad value, naming it
   */
  public static DynamoDbAsyncClient asyncFromEnvironment() {
    return builder().environment(System.getenv()).buildAsync();
  }

  /** Whether {@code endpoint} is on this machine's loopback interface. */
  static boolean isLoopback(URI endpoint) {
    String host = endpoint.getHost();
    if (host == null) {
      return false;
    }
    host = host.toLowerCase(Locale.ROOT);
    return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
  }

  /** Configures a client. Setters validate their argument and name it when it is bad. Not thread-safe. */
  public static final class Builder {
    private URI endpoint;
    private Region region;
    private AwsCredentialsProvider credentialsProvider;
    private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Integer maxConnections;
    private SdkHttpClient.Builder<?> httpClientBuilder;
    private SdkAsyncHttpClient.Builder<?> asyncHttpClientBuilder;
    private final List<ExecutionInterceptor> interceptors = new ArrayList<>();
    private final List<Consumer<DynamoDbClientBuilder>> customizers = new ArrayList<>();
    private final List<Consumer<DynamoDbAsyncClientBuilder>> asyncCustomizers = new ArrayList<>();

    private Builder() {}

    /**
     * Reads the variables of the class description from {@code variables}, when present and not blank, over what
     * is set so far; later setters override them.
     *
     * @throws IllegalArgumentException if one holds a bad value, naming the variable
     */
    public Builder environment(Map<String, String> variables) {
      Objects.requireNonNull(variables, "variables");
      String value = trimmed(variables.get(DYNAMODB_ENDPOINT));
      if (value != null) {
        endpoint(parseEndpoint(DYNAMODB_ENDPOINT, value));
      }
      value = trimmed(variables.get(AWS_REGION));
      if (value != null) {
        region(value);
      }
      value = trimmed(variables.get(ATTEMPT_TIMEOUT_VARIABLE));
      if (value != null) {
        attemptTimeout(DurationText.parse(ATTEMPT_TIMEOUT_VARIABLE, value));
      }
      value = trimmed(variables.get(CALL_TIMEOUT_VARIABLE));
      if (value != null) {
        callTimeout(DurationText.parse(CALL_TIMEOUT_VARIABLE, value));
      }
      value = trimmed(variables.get(MAX_ATTEMPTS_VARIABLE));
      if (value != null) {
        try {
          maxAttempts(Integer.parseInt(value));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(MAX_ATTEMPTS_VARIABLE + " must be a whole number from 1: '" + value
              + "'", e);
        }
      }
      return this;
    }

    /** The endpoint, e.g. {@code http://127.0.0.1:8000}; default: the region's DynamoDB endpoint. */
    public Builder endpoint(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      if (endpoint.getScheme() == null || endpoint.getHost() == null
          || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
        throw new IllegalArgumentException("endpoint must be an http or https URL with a host: '" + endpoint + "'");
      }
      this.endpoint = endpoint;
      return this;
    }

    /** The region, e.g. {@code eu-west-1}; default: {@code us-east-1} on loopback, else the SDK's region chain. */
    public Builder region(String region) {
      Objects.requireNonNull(region, "region");
      if (region.isBlank()) {
        throw new IllegalArgumentException("region must not be blank");
      }
      this.region = Region.of(region.trim());
      return this;
    }

    /** The region. */
    public Builder region(Region region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /** The credentials; default: dummy ones on loopback, else the SDK's default chain. */
    public Builder credentialsProvider(AwsCredentialsProvider credentialsProvider) {
      this.credentialsProvider = Objects.requireNonNull(credentialsProvider, "credentialsProvider");
      return this;
    }

    /** The timeout of one HTTP attempt, positive; default {@link #DEFAULT_ATTEMPT_TIMEOUT}. */
    public Builder attemptTimeout(Duration attemptTimeout) {
      this.attemptTimeout = positive("attemptTimeout", attemptTimeout);
      return this;
    }

    /**
     * The timeout of a whole call, retries and back-off included, positive and at least the attempt timeout;
     * default {@link #DEFAULT_CALL_TIMEOUT}.
     */
    public Builder callTimeout(Duration callTimeout) {
      this.callTimeout = positive("callTimeout", callTimeout);
      return this;
    }

    /** Attempts per call, from 1 (no retry) to 10; default {@link #DEFAULT_MAX_ATTEMPTS}. */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 10) {
        throw new IllegalArgumentException("maxAttempts must be from 1 to 10: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Connections in the HTTP client's pool, from 1; default the SDK's (50). Ignored with {@link #httpClientBuilder}
     * (for {@link #build()}) and {@link #asyncHttpClientBuilder} (for {@link #buildAsync()}).
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Another HTTP client (for example the CRT client), configured by the caller; default the Apache client, its
     * connect timeout set to the attempt timeout and its pool wait to the call timeout.
     */
    public Builder httpClientBuilder(SdkHttpClient.Builder<?> httpClientBuilder) {
      this.httpClientBuilder = Objects.requireNonNull(httpClientBuilder, "httpClientBuilder");
      return this;
    }

    /**
     * Another asynchronous HTTP client for {@link #buildAsync()} (for example the SDK's Netty client, with a
     * completion executor of your own through {@link #asyncCustomizer}: see {@code docs/async-client.md}), configured
     * by the caller; default the CRT client, its connect timeout set to the attempt timeout and its pool wait to the
     * call timeout.
     */
    public Builder asyncHttpClientBuilder(SdkAsyncHttpClient.Builder<?> asyncHttpClientBuilder) {
      this.asyncHttpClientBuilder = Objects.requireNonNull(asyncHttpClientBuilder, "asyncHttpClientBuilder");
      return this;
    }

    /** Adds an SDK interceptor, e.g. a request counter or a fault injector; called in the order added. */
    public Builder addInterceptor(ExecutionInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Adds a last say over the SDK builder of {@link #build()} (metrics publishers, proxies...), applied after
     * everything above.
     */
    public Builder customizer(Consumer<DynamoDbClientBuilder> customizer) {
      customizers.add(Objects.requireNonNull(customizer, "customizer"));
      return this;
    }

    /**
     * Adds a last say over the SDK builder of {@link #buildAsync()} (metrics publishers, another future completion
     * executor...), applied after everything above.
     */
    public Builder asyncCustomizer(Consumer<DynamoDbAsyncClientBuilder> customizer) {
      asyncCustomizers.add(Objects.requireNonNull(customizer, "customizer"));
      return this;
    }

    /**
     * Builds the client. Sends nothing.
     *
     * @throws IllegalArgumentException if the attempt timeout exceeds the call timeout
     * @throws RateLimiterException if no region is set and none can be found, naming {@value #AWS_REGION} (and
     *     {@value #DYNAMODB_ENDPOINT} for a local server); never an SDK exception
     */
    @SuppressWarnings("deprecation") // ApacheHttpClient (Apache 4): the fastest synchronous client against dynalite
    public DynamoDbClient build() {
      DynamoDbClientBuilder builder = configure(DynamoDbClient.builder());
      if (httpClientBuilder != null) {
        builder.httpClientBuilder(httpClientBuilder);
      } else {
        ApacheHttpClient.Builder apache = ApacheHttpClient.builder()
            .connectionTimeout(attemptTimeout)
            .connectionAcquisitionTimeout(callTimeout);
        if (maxConnections != null) {
          apache.maxConnections(maxConnections);
        }
        builder.httpClientBuilder(apache);
      }
      customizers.forEach(customizer -> customizer.accept(builder));
      try {
        return builder.build();
      } catch (SdkClientException e) {
        throw noRegion(e);
      }
    }

    /**
     * Builds an asynchronous client with the same settings as {@link #build()}: endpoint, region, credentials,
     * timeouts, retries and interceptors (see "Asynchronous client" in the class description for its HTTP client and
     * the thread its futures complete on). Sends nothing.
     *
     * @throws IllegalArgumentException if the attempt timeout exceeds the call timeout
     * @throws RateLimiterException if no region is set and none can be found, as {@link #build()}
     */
    public DynamoDbAsyncClient buildAsync() {
      DynamoDbAsyncClientBuilder builder = configure(DynamoDbAsyncClient.builder());
      if (asyncHttpClientBuilder != null) {
        builder.httpClientBuilder(asyncHttpClientBuilder);
      } else {
        AwsCrtAsyncHttpClient.Builder crt = AwsCrtAsyncHttpClient.builder()
            .connectionTimeout(attemptTimeout)
            .connectionAcquisitionTimeout(callTimeout);
        if (maxConnections != null) {
          crt.maxConcurrency(maxConnections);
        }
        builder.httpClientBuilder(crt);
      }
      // Completions run in place, on the CRT event-loop thread that read the answer (see the class description).
      builder.asyncConfiguration(c -> c.advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR,
          Runnable::run));
      asyncCustomizers.forEach(customizer -> customizer.accept(builder));
      try {
        return builder.build();
      } catch (SdkClientException e) {
        throw noRegion(e);
      }
    }

    /**
     * The settings both clients share, on either SDK builder: endpoint, region, credentials, the timeouts, the
     * retry strategy and the interceptors.
     */
    private <B extends AwsClientBuilder<B, ?>> B configure(B builder) {
      if (attemptTimeout.compareTo(callTimeout) > 0) {
        throw new IllegalArgumentException("attemptTimeout (" + attemptTimeout + ") must not exceed callTimeout ("
            + callTimeout + ")");
      }
      boolean local = endpoint != null && isLoopback(endpoint);
      if (endpoint != null) {
        builder.endpointOverride(endpoint);
      }
      builder.region(region != null ? region : local ? Region.US_EAST_1 : regionFromChain());
      if (credentialsProvider != null) {
        builder.credentialsProvider(credentialsProvider);
      } else if (local) {
        builder.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")));
      }
      // Back-offs sized so that every attempt fits the call: at most a quarter of it between two attempts.
      Duration maxBackoff = callTimeout.dividedBy(4);
      builder.overrideConfiguration(c -> {
        c.apiCallAttemptTimeout(attemptTimeout).apiCallTimeout(callTimeout)
            .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(maxAttempts)
                .backoffStrategy(BackoffStrategy.exponentialDelay(min(Duration.ofMillis(10), maxBackoff), maxBackoff))
                .throttlingBackoffStrategy(
                    BackoffStrategy.exponentialDelay(min(Duration.ofMillis(25), maxBackoff), maxBackoff))
                .build());
        interceptors.forEach(c::addExecutionInterceptor);
      });
      return builder;
    }

    private static Region regionFromChain() {
      try {
        return new DefaultAwsRegionProviderChain().getRegion();
      } catch (SdkClientException e) {
        throw noRegion(e);
      }
    }

    private static RateLimiterException noRegion(SdkClientException e) {
      return new RateLimiterException("cannot configure the DynamoDB client: no AWS region; set " + AWS_REGION
          + " (e.g. eu-west-1), or " + DYNAMODB_ENDPOINT + " (e.g. http://127.0.0.1:8000) for a local server ("
          + e.getMessage() + ")", e);
    }

    private static Duration min(Duration a, Duration b) {
      return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private static URI parseEndpoint(String variable, String value) {
      try {
        URI uri = URI.create(value);
        if (uri.getScheme() == null || uri.getHost() == null) {
          throw new IllegalArgumentException("no scheme or host");
        }
        return uri;
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(variable + " must be an http or https URL such as http://127.0.0.1:8000: '"
            + value + "'", e);
      }
    }

    private static String trimmed(String value) {
      return value == null || value.isBlank() ? null : value.trim();
    }
  }
}
