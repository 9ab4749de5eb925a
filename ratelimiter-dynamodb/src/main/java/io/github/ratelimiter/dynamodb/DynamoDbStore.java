package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.dynamodb.internal.DynamoDbBuckets;
import io.github.ratelimiter.dynamodb.internal.DynamoDbLimits;
import io.github.ratelimiter.dynamodb.internal.DynamoDbSlots;
import io.github.ratelimiter.dynamodb.internal.Environment;
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
 * <p>Thread-safe. Closing the store closes the client only if the store created it.
 */
public final class DynamoDbStore implements RateLimitStore {

  private final DynamoDbClient client;
  private final boolean ownsClient;
  private final TableNames tableNames;
  private final DynamoDbLimits limits;
  private final DynamoDbBuckets buckets;
  private final DynamoDbSlots slots;

  private DynamoDbStore(Builder builder) {
    this(builder.client, builder.ownsClient, builder.tableNames, StoreRequests.unobserved(builder.client));
  }

  private DynamoDbStore(DynamoDbClient client, boolean ownsClient, TableNames tableNames, StoreRequests requests) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.tableNames = tableNames;
    this.limits =
        new DynamoDbLimits(client, tableNames::requireLimitTable, tableNames::requireLimitServiceIndex, requests);
    this.buckets = new DynamoDbBuckets(client, tableNames::requireFungibleTable, requests);
    this.slots =
        new DynamoDbSlots(client, tableNames::requireNonFungibleTable, tableNames::requireResourceIndex, requests);
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
    return builder().client(client).ownsClient(true).tableNames(tableNames).build();
  }

  /** The table names. */
  public TableNames tableNames() {
    return tableNames;
  }

  /** The client. */
  public DynamoDbClient client() {
    return client;
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
   * client's publishers. Closing the view closes nothing: the store it came from owns the client.
   */
  @Override
  public RateLimitStore withListener(RateLimiterListener listener) {
    Objects.requireNonNull(listener, "listener");
    return new DynamoDbStore(client, false, tableNames, StoreRequests.of(listener, client));
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

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  /** Configures a {@link DynamoDbStore}. Not thread-safe. */
  public static final class Builder {
    private DynamoDbClient client;
    private boolean ownsClient;
    private TableNames tableNames;

    private Builder() {}

    /**
     * The client (required). {@link DynamoDbClients#builder()} builds one with the request-path timeouts and
     * bounded retries; a client of your own should set an attempt timeout and a call timeout too.
     */
    public Builder client(DynamoDbClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** Whether closing the store closes the client; default false. */
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
