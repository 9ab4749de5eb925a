package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.SERVICE_NAME;

import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.LimitStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * The limit table: {@code resourceName} HASH, {@code accountId} RANGE, attributes {@code limit},
 * {@code windowSec} (whole seconds, 0 for a row without a window) and {@code serviceName} (with a GSI); items are
 * written and read by {@link LimitItems}, the one codec of a limit row. Lookups are consistent reads by key;
 * listings are paginated queries. A row that cannot be read as a limit (a negative limit, say) is logged and
 * ignored, so the caller's default applies.
 */
public final class DynamoDbLimits implements LimitStore {

  private static final Logger log = LoggerFactory.getLogger(DynamoDbLimits.class);

  private final DynamoDbClient client;
  private final Supplier<String> table;
  private final Supplier<String> serviceIndex;
  private final StoreRequests requests;

  /** Limits in the table that {@code table} names when first used. */
  public DynamoDbLimits(DynamoDbClient client, Supplier<String> table, Supplier<String> serviceIndex) {
    this(client, table, serviceIndex, StoreRequests.unobserved(client));
  }

  /** Limits in the table that {@code table} names when first used, each request reported to {@code requests}. */
  public DynamoDbLimits(DynamoDbClient client, Supplier<String> table, Supplier<String> serviceIndex,
      StoreRequests requests) {
    this.client = client;
    this.table = table;
    this.serviceIndex = serviceIndex;
    this.requests = requests;
  }

  @Override
  public Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
    String tableName = table.get();
    GetItemResponse response = requests.send("GetItem", tableName, () -> client.getItem(b -> requests
        .observe(b, deadline, "GetItem").tableName(tableName).key(key(resourceName, accountId)).consistentRead(true)));
    return response.hasItem() && !response.item().isEmpty() ? parse(response.item()) : Optional.empty();
  }

  @Override
  public void put(LimitRecord record) {
    String tableName = table.get();
    Map<String, AttributeValue> item = LimitItems.item(record);
    requests.send("PutItem", tableName, () -> client.putItem(b -> requests.observe(b).tableName(tableName).item(item)));
  }

  @Override
  public boolean delete(String resourceName, String accountId) {
    String tableName = table.get();
    return requests.send("DeleteItem", tableName, () -> client.deleteItem(b -> requests.observe(b).tableName(tableName)
        .key(key(resourceName, accountId)).returnValues(ReturnValue.ALL_OLD)).hasAttributes());
  }

  @Override
  public List<LimitRecord> listByService(String serviceName) {
    return query(QueryRequest.builder()
        .indexName(serviceIndex.get())
        .keyConditionExpression("#service = :service")
        .expressionAttributeNames(Map.of("#service", SERVICE_NAME))
        .expressionAttributeValues(Map.of(":service", AttributeValue.fromS(serviceName))));
  }

  @Override
  public List<LimitRecord> listByResource(String resourceName) {
    List<LimitRecord> rows = query(resourceQuery(resourceName));
    return rows.stream().sorted(Comparator.comparing(LimitRecord::accountId)).toList();
  }

  /** One consistent Query of up to {@code atMost + 1} rows: more rows, or a page cut short by size, mean "too many". */
  @Override
  public Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
    String tableName = table.get();
    QueryResponse response = Queries.page(client, requests, tableName,
        requests.observe(resourceQuery(resourceName), deadline, "Query").tableName(tableName).limit(atMost + 1)
            .build());
    if (response.count() > atMost || (response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty())) {
      return Optional.empty();
    }
    List<LimitRecord> rows = new ArrayList<>();
    response.items().forEach(item -> parse(item).ifPresent(rows::add));
    return Optional.of(rows);
  }

  /** A consistent query of every row of the resource (the table's partition key), without the table name. */
  private static QueryRequest.Builder resourceQuery(String resourceName) {
    return QueryRequest.builder()
        .consistentRead(true)
        .keyConditionExpression("#resource = :resource")
        .expressionAttributeNames(Map.of("#resource", RESOURCE_NAME))
        .expressionAttributeValues(Map.of(":resource", AttributeValue.fromS(resourceName)));
  }

  private List<LimitRecord> query(QueryRequest.Builder request) {
    return Queries.all(client, requests, table.get(), request, DynamoDbLimits::parse, Deadline.none());
  }

  private static Optional<LimitRecord> parse(Map<String, AttributeValue> item) {
    LimitItems.Stored stored = LimitItems.stored(item);
    if (stored.record().isEmpty()) {
      log.warn("ignoring the unreadable limit row {}: {}; the default applies", stored.key(), stored.problem());
    }
    return stored.record();
  }

  private static Map<String, AttributeValue> key(String resourceName, String accountId) {
    return LimitItems.key(resourceName, accountId);
  }
}
