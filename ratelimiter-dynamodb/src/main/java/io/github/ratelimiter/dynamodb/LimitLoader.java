package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.Sleeper;
import io.github.ratelimiter.dynamodb.SyncPlan.Action;
import io.github.ratelimiter.dynamodb.SyncPlan.Change;
import io.github.ratelimiter.dynamodb.SyncPlan.Conflict;
import io.github.ratelimiter.dynamodb.internal.Batches;
import io.github.ratelimiter.dynamodb.internal.Errors;
import io.github.ratelimiter.dynamodb.internal.LimitItems;
import io.github.ratelimiter.dynamodb.internal.LimitItems.Stored;
import io.github.ratelimiter.dynamodb.internal.Schema;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Makes the limit table hold exactly one service's limits, as listed in its limits file ({@link ServiceLimits}).
 *
 * <pre>{@code
 * LimitLoader loader = LimitLoader.create(dynamoDb, TableNames.fromEnvironment());
 * SyncPlan plan = loader.sync(ServiceLimits.read("orders", Path.of("limits.yaml")), false);
 * System.out.println(plan.summary());
 * }</pre>
 *
 * <p><b>How a sync works.</b>
 * <ol>
 *   <li>The service's current rows are read through the limit table's {@code serviceName} index, every page (of
 *       250 rows).
 *   <li>They are diffed against the file, keyed by {@link LimitKey} (resource and account as separate parts, so
 *       {@code ("a","bc")} and {@code ("ab","c")} never collide). Equal rows are left untouched.
 *   <li>Every key about to be written or deleted is read again consistently (BatchGetItem; the index is eventually
 *       consistent): a listed key held by another service, or by no service, is a {@link Conflict} and left alone
 *       unless {@code force}; a row the index showed but that now belongs to someone else is not deleted.
 *   <li>The writes go out as BatchWriteItem requests of 25, what DynamoDB leaves unprocessed retried with jittered
 *       exponential backoff (at most 10 attempts per batch by default).
 * </ol>
 * An empty list deletes every row of the service. A dry run ({@link #plan}) does steps 1 to 3 and writes nothing.
 * Re-syncing an unchanged file sends only the index queries.
 *
 * <p><b>Consistency.</b> A sync is not atomic: readers may see a mix of old and new rows while it runs (limiters
 * cache rows for their limit cache time anyway). Between the consistent read of step 3 and the write, another
 * service's sync could take a key; two services should not list the same keys. A failed sync can simply be run
 * again. Costs: one Query per 250 rows of the service, one BatchGetItem per 100 changed keys, one
 * BatchWriteItem per 25.
 *
 * <p>Thread-safe.
 */
public final class LimitLoader {

  /**
   * Rows per index page. DynamoDB bills a query by the size read, not by pages, so small pages cost the same read
   * capacity and a few more requests; in exchange every sync of more than 250 rows walks several pages, the path the
   * Python loader got wrong (it read only the first page).
   */
  static final int PAGE_ROWS = 250;

  private final DynamoDbClient client;
  private final TableNames tableNames;
  private final Sleeper sleeper;
  private final int maxAttempts;
  private final Duration baseDelay;
  private final Duration maxDelay;

  private LimitLoader(Builder builder) {
    this.client = builder.client;
    this.tableNames = builder.tableNames;
    this.sleeper = builder.sleeper;
    this.maxAttempts = builder.maxAttempts;
    this.baseDelay = builder.baseDelay;
    this.maxDelay = builder.maxDelay;
  }

  /** A loader with the default retry policy. */
  public static LimitLoader create(DynamoDbClient client, TableNames tableNames) {
    return builder().client(client).tableNames(tableNames).build();
  }

  /** A builder; a client and table names are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Computes what {@link #sync} would write, and writes nothing: a dry run.
   *
   * @param force whether rows of other owners would be taken over rather than reported as conflicts
   * @throws io.github.ratelimiter.RateLimiterException if DynamoDB fails (e.g. a missing table or index)
   */
  public SyncPlan plan(ServiceLimits desired, boolean force) {
    Objects.requireNonNull(desired, "desired");
    String table = tableNames.requireLimitTable();
    Batches batches = batches(table);
    String service = desired.serviceName();

    Map<LimitKey, Stored> current = readService(table, service);
    Map<LimitKey, LimitRecord> wanted = new LinkedHashMap<>();
    desired.limits().forEach(row -> wanted.put(LimitItems.keyOf(row), row));

    int unchanged = 0;
    List<LimitKey> toCheck = new ArrayList<>();
    for (Map.Entry<LimitKey, LimitRecord> entry : wanted.entrySet()) {
      Stored stored = current.get(entry.getKey());
      if (stored != null && stored.sameAs(entry.getValue())) {
        unchanged++;
      } else {
        toCheck.add(entry.getKey());
      }
    }
    current.keySet().stream().filter(key -> !wanted.containsKey(key)).forEach(toCheck::add);

    Map<LimitKey, Map<String, AttributeValue>> actual = batches.getAll(toCheck);
    List<Change> changes = new ArrayList<>();
    List<Conflict> conflicts = new ArrayList<>();
    for (LimitKey key : toCheck) {
      LimitRecord want = wanted.get(key);
      Map<String, AttributeValue> item = actual.get(key);
      Stored now = item == null ? null : LimitItems.stored(item);
      LimitRecord before = now == null ? null : now.record().orElse(null);
      boolean ours = now != null && service.equals(now.serviceName());
      if (want == null) {
        if (ours) {
          changes.add(new Change(Action.DELETE, key, before, null));
        }
        // else: already gone, or since taken by another owner: not ours to delete
      } else if (now == null) {
        changes.add(new Change(Action.CREATE, key, null, want));
      } else if (ours) {
        if (now.sameAs(want)) {
          unchanged++;
        } else {
          changes.add(new Change(Action.UPDATE, key, before, want));
        }
      } else if (force) {
        changes.add(new Change(Action.TAKE_OVER, key, before, want));
      } else {
        conflicts.add(new Conflict(key, now.serviceName(), before, want));
      }
    }
    changes.sort(Comparator.comparing(Change::action).thenComparing(Change::key));
    conflicts.sort(Comparator.comparing(Conflict::key));
    return new SyncPlan(service, changes, conflicts, unchanged, false);
  }

  /**
   * Makes the table hold the service's limits: deletes rows no longer listed, writes new and changed rows, leaves
   * equal rows and (unless {@code force}) other owners' rows untouched.
   *
   * @param force whether to take over listed rows that another service (or no service) owns
   * @return what was written
   * @throws io.github.ratelimiter.RateLimiterException if DynamoDB fails or keeps items unprocessed; writes sent
   *     before the failure stay, and running the sync again completes it
   */
  public SyncPlan sync(ServiceLimits desired, boolean force) {
    SyncPlan plan = plan(desired, force);
    List<WriteRequest> writes = new ArrayList<>(plan.changes().size());
    for (Change change : plan.changes()) {
      writes.add(change.action() == Action.DELETE
          ? WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(LimitItems.key(change.key())).build())
              .build()
          : WriteRequest.builder().putRequest(PutRequest.builder().item(LimitItems.item(change.after())).build())
              .build());
    }
    batches(tableNames.requireLimitTable()).writeAll(writes);
    return new SyncPlan(plan.serviceName(), plan.changes(), plan.conflicts(), plan.unchanged(), true);
  }

  /** The service's rows according to its index, every page. */
  private Map<LimitKey, Stored> readService(String table, String service) {
    Map<LimitKey, Stored> rows = new HashMap<>();
    try {
      client.queryPaginator(b -> b.tableName(table)
              .indexName(tableNames.requireLimitServiceIndex())
              .limit(PAGE_ROWS)
              // #service = :service
              .keyConditionExpression("#service = :service")
              .expressionAttributeNames(Map.of("#service", Schema.SERVICE_NAME))
              .expressionAttributeValues(Map.of(":service", AttributeValue.fromS(service))))
          .items()
          .forEach(item -> {
            Stored stored = LimitItems.stored(item);
            rows.put(stored.key(), stored);
          });
    } catch (SdkException e) {
      throw Errors.map(e, "Query", table + "/" + tableNames.requireLimitServiceIndex());
    }
    return rows;
  }

  private Batches batches(String table) {
    return new Batches(client, table, sleeper, maxAttempts, baseDelay, maxDelay);
  }

  /** Configures a {@link LimitLoader}. Not thread-safe. */
  public static final class Builder {
    private DynamoDbClient client;
    private TableNames tableNames;
    private Sleeper sleeper = Sleeper.SYSTEM;
    private int maxAttempts = 10;
    private Duration baseDelay = Duration.ofMillis(50);
    private Duration maxDelay = Duration.ofSeconds(5);

    private Builder() {}

    /** The client (required). */
    public Builder client(DynamoDbClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** The table names (required); the limit table and its service index are used. */
    public Builder tableNames(TableNames tableNames) {
      this.tableNames = Objects.requireNonNull(tableNames, "tableNames");
      return this;
    }

    /** How backoff waits; default {@link Sleeper#SYSTEM}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * The retry policy for unprocessed batch items: at most {@code maxAttempts} attempts per batch (default 10),
     * attempt {@code n} waiting a random time up to {@code min(maxDelay, baseDelay * 2^(n-1))} (defaults 50 ms and
     * 5 s).
     */
    public Builder retries(int maxAttempts, Duration baseDelay, Duration maxDelay) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
      }
      Objects.requireNonNull(baseDelay, "baseDelay");
      Objects.requireNonNull(maxDelay, "maxDelay");
      if (baseDelay.isNegative() || maxDelay.isNegative()) {
        throw new IllegalArgumentException("delays must not be negative: " + baseDelay + ", " + maxDelay);
      }
      this.maxAttempts = maxAttempts;
      this.baseDelay = baseDelay;
      this.maxDelay = maxDelay;
      return this;
    }

    /**
     * Builds the loader. Sends nothing.
     *
     * @throws IllegalStateException if the client or table names are missing
     */
    public LimitLoader build() {
      if (client == null) {
        throw new IllegalStateException("client is required");
      }
      if (tableNames == null) {
        throw new IllegalStateException("tableNames is required, e.g. TableNames.fromEnvironment()");
      }
      return new LimitLoader(this);
    }
  }

}
