package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.dynamodb.internal.AsyncClients;
import io.github.ratelimiter.dynamodb.internal.DynamoDbBuckets;
import io.github.ratelimiter.dynamodb.internal.DynamoDbLimits;
import io.github.ratelimiter.dynamodb.internal.DynamoDbSlots;
import io.github.ratelimiter.dynamodb.internal.Environment;
import io.github.ratelimiter.dynamodb.internal.Lazy;
import io.github.ratelimiter.dynamodb.internal.RequestPaths;
import io.github.ratelimiter.dynamodb.internal.StoreRequests;
import io.github.ratelimiter.dynamodb.internal.TableChecks;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The store that keeps every limiter's state in Amazon DynamoDB, so that any number of processes, containers and
 * Lambdas share one budget. Table schemas are the Python library's (see {@link DynamoDbTables}).
 *
 * <pre>{@code
 * RateLimiters limiters = RateLimiters.builder()
 *     .store(DynamoDbStore.builder().client(DynamoDbClient.create()).tableNames(TableNames.of("prod")).build())
 *     .build();
 * }</pre>
 *
 * <p>Costs per decision: a fungible admission is one conditional UpdateItem; a non-fungible reservation is one
 * consistent Query and one conditional PutItem. Limits are read once per resource and cache period, as one
 * consistent Query of the resource's rows (up to 1,000; beyond that, one consistent GetItem per account and period).
 * Every SDK exception is mapped to a {@link io.github.ratelimiter.RateLimiterException} (throttling to
 * {@link io.github.ratelimiter.ThrottlingException}), keeping the cause.
 *
 * <p><b>Non-blocking.</b> Every call of the store SPI that a decision makes has an {@code Async} twin
 * ({@code consumeAsync}, {@code findAsync}, {@code claimAsync}...), which the limiters' {@code async()} views use. This
 * store sends those through a {@link DynamoDbAsyncClient} ({@link Builder#asyncClient}, or one it builds on first
 * asynchronous use with {@link DynamoDbClients}): the same requests, conditions, reporting, deadlines and error
 * mapping as the blocking calls, which are the same code with only the send differing, and no thread waits for an
 * answer: no {@code join()}, no blocking client, pages and the follow-up of a failed condition asked for from the
 * previous answer's continuation. Their futures complete on the client's threads (with a client from
 * {@link DynamoDbClients.Builder#buildAsync()}, the event-loop thread that read the answer), exceptionally with the
 * {@link io.github.ratelimiter.RateLimiterException} the blocking call would throw, itself, not wrapped; the limiters
 * move user callbacks off those threads. A client the store builds is built once, on the thread of the first
 * asynchronous call, which then also pays the SDK's one-time set-up (for an {@code https} endpoint, reading the JDK's
 * trust store); build it beforehand ({@link #asyncClient()}) where even that must not happen on a request path. A
 * credentials provider that fetches (instance metadata, SSO) may block the first request that needs credentials, as
 * in any use of the SDK's asynchronous clients.
 *
 * <p>Thread-safe. Closing the store closes the clients it owns: the blocking client when told so
 * ({@link Builder#ownsClient}), the asynchronous client when it built it (or when told so).
 */
public final class DynamoDbStore implements RateLimitStore {

  private final DynamoDbClient client;
  private final boolean ownsClient;
  /** The asynchronous client: given, or built on first use. */
  private final Lazy<DynamoDbAsyncClient> asyncClient;
  /** Whether closing this store closes the asynchronous client (when it was built, or given with ownsClient). */
  private final boolean ownsAsyncClient;
  private final TableNames tableNames;
  private final DynamoDbLimits limits;
  private final DynamoDbBuckets buckets;
  private final DynamoDbSlots slots;

  private DynamoDbStore(Builder builder) {
    this(builder.client, builder.ownsClient, asyncClientOf(builder), builder.asyncClient == null || builder.ownsClient,
        builder.tableNames, RateLimiterListener.NONE);
  }

  private DynamoDbStore(DynamoDbClient client, boolean ownsClient, Lazy<DynamoDbAsyncClient> asyncClient,
      boolean ownsAsyncClient, TableNames tableNames, RateLimiterListener listener) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.asyncClient = asyncClient;
    this.ownsAsyncClient = ownsAsyncClient;
    this.tableNames = tableNames;
    RequestPaths paths = new RequestPaths(StoreRequests.of(listener, client),
        new Lazy<>(() -> StoreRequests.of(listener, asyncClient.get())));
    this.limits = new DynamoDbLimits(tableNames::requireLimitTable, tableNames::requireLimitServiceIndex, paths);
    this.buckets = new DynamoDbBuckets(tableNames::requireFungibleTable, paths);
    this.slots = new DynamoDbSlots(tableNames::requireNonFungibleTable, tableNames::requireResourceIndex, paths);
  }

  private static Lazy<DynamoDbAsyncClient> asyncClientOf(Builder builder) {
    DynamoDbAsyncClient given = builder.asyncClient;
    if (given != null) {
      return new Lazy<>(() -> given);
    }
    DynamoDbClient client = builder.client;
    Map<String, String> environment = builder.environment;
    return new Lazy<>(() -> AsyncClients.twinOf(client, environment));
  }

  /** A builder; a client and table names are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A store with table names from the environment and a client from {@link DynamoDbClients#fromEnvironment()}
   * (region and credentials chains, {@code DYNAMODB_ENDPOINT} when set, request-path timeouts); closing it closes
   * the client.
   *
   * @throws IllegalStateException if no table name is configured, naming the variables
   * @throws io.github.ratelimiter.RateLimiterException if no region is configured, naming {@code AWS_REGION}
   */
  public static DynamoDbStore fromEnvironment() {
    return fromEnvironment(Environment.variables());
  }

  /** As {@link #fromEnvironment()}, from the given variables. */
  static DynamoDbStore fromEnvironment(Map<String, String> variables) {
    TableNames tableNames = TableNames.fromEnvironment(variables);
    DynamoDbClient client = DynamoDbClients.builder().environment(variables).build();
    Builder builder = builder().client(client).ownsClient(true).tableNames(tableNames);
    builder.environment = variables;
    return builder.build();
  }

  /** The table names. */
  public TableNames tableNames() {
    return tableNames;
  }

  /** The client. */
  public DynamoDbClient client() {
    return client;
  }

  /**
   * The asynchronous client of the {@code Async} calls: the one given to {@link Builder#asyncClient}, or the one this
   * store builds (on first asynchronous use, or now).
   *
   * @throws IllegalStateException if the store is closed and had built none
   * @throws io.github.ratelimiter.RateLimiterException if none was given and none can be configured (no region)
   */
  public DynamoDbAsyncClient asyncClient() {
    return asyncClient.get();
  }

  @Override
  public LimitStore limits() {
    return limits;
  }

  @Override
  public BucketStore buckets() {
    return buckets;
  }

  @Override
  public SlotStore slots() {
    return slots;
  }

  /**
   * This store over the same client and tables, reporting each request (each HTTP attempt, retries included) to
   * {@code listener} with its operation, outcome and latency. Works with any client, the application's own
   * included: nothing is registered on the client; each request carries a metric publisher of its own, next to the
   * client's publishers. The same holds for the asynchronous calls, over the same asynchronous client. Closing the
   * view closes nothing: the store it came from owns the clients.
   */
  @Override
  public RateLimitStore withListener(RateLimiterListener listener) {
    Objects.requireNonNull(listener, "listener");
    return new DynamoDbStore(client, false, asyncClient, false, tableNames, listener);
  }

  /**
   * The client's call timeout ({@code apiCallTimeout}), or {@link DynamoDbClients#DEFAULT_CALL_TIMEOUT} (1 s) when
   * the client has none: a decision then ends within one call timeout however many requests it makes or waits for,
   * and a client without a call timeout of its own still never makes a decision hang.
   */
  @Override
  public Optional<Duration> decisionTimeout() {
    return Optional.of(StoreRequests.callTimeout(client).orElse(DynamoDbClients.DEFAULT_CALL_TIMEOUT));
  }

  /**
   * One DescribeTable per configured table: each exists, is active, and has the library's key schema and index.
   * Never throws for a store failure (unreachable, access denied): that is a failed check naming it.
   */
  @Override
  public StoreHealth check() {
    return StoreHealth.of(TableChecks.expected(tableNames.fungibleTable(), tableNames.limitTable(),
            tableNames.limitServiceIndex(), tableNames.nonFungibleTable(), tableNames.resourceIndex()).stream()
        .map(table -> TableChecks.check(TableChecks.describe(client, table)))
        .toList());
  }

  /** Closes the clients this store owns: the blocking client if told so, the asynchronous one if it built it. */
  @Override
  public void close() {
    if (ownsAsyncClient) {
      asyncClient.close(DynamoDbAsyncClient::close);
    }
    if (ownsClient) {
      client.close();
    }
  }

  /** Configures a {@link DynamoDbStore}. Not thread-safe. */
  public static final class Builder {
    private DynamoDbClient client;
    private DynamoDbAsyncClient asyncClient;
    private boolean ownsClient;
    private TableNames tableNames;
    /** What a store builds its asynchronous client from, after the blocking client's own settings. */
    private Map<String, String> environment = Environment.variables();

    private Builder() {}

    /**
     * The client (required). {@link DynamoDbClients#builder()} builds one with the request-path timeouts and
     * bounded retries; a client of your own should set an attempt timeout and a call timeout too.
     */
    public Builder client(DynamoDbClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * The asynchronous client of the {@code Async} calls (the limiters' {@code async()} views). Build it with
     * {@link DynamoDbClients.Builder#buildAsync()}, which sets the request-path timeouts and completes its futures
     * without a thread of their own. Default: the store builds one on first asynchronous use with
     * {@link DynamoDbClients}, from the settings the blocking client tells (endpoint, region, credentials, timeouts,
     * attempts, interceptors) and otherwise from the environment, and closes it when closed.
     */
    public Builder asyncClient(DynamoDbAsyncClient asyncClient) {
      this.asyncClient = Objects.requireNonNull(asyncClient, "asyncClient");
      return this;
    }

    /** Whether closing the store closes the clients given to it (the client and the asynchronous client); default false. */
    public Builder ownsClient(boolean ownsClient) {
      this.ownsClient = ownsClient;
      return this;
    }

    /** The table names (required). */
    public Builder tableNames(TableNames tableNames) {
      this.tableNames = Objects.requireNonNull(tableNames, "tableNames");
      return this;
    }

    /**
     * Builds the store. Sends nothing: a missing table shows on first use, as an error naming it.
     *
     * @throws IllegalStateException if the client or the table names are missing
     */
    public DynamoDbStore build() {
      if (client == null) {
        throw new IllegalStateException("client is required");
      }
      if (tableNames == null) {
        throw new IllegalStateException("tableNames is required, e.g. TableNames.fromEnvironment()");
      }
      return new DynamoDbStore(this);
    }
  }
}
