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
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * The limit table: {@code resourceName} HASH, {@code accountId} RANGE, attributes {@code limit},
 * {@code windowSec} (whole seconds, 0 for a row without a window) and {@code serviceName} (with a GSI); items are
 * written and read by {@link LimitItems}, the one codec of a limit row. Lookups are consistent reads by key;
 * listings are paginated queries. A row that cannot be read as a limit (a negative limit, say) is logged and
 * ignored, so the caller's default applies. The reads a decision makes ({@link #find}, {@link #listByResource(String,
 * int, Deadline)}) have asynchronous twins, written once with them ({@link RequestPaths}); the administrative calls
 * are blocking only.
 */
public final class DynamoDbLimits implements LimitStore {

  private static final Logger log = LoggerFactory.getLogger(DynamoDbLimits.class);

  private final Supplier<String> table;
  private final Supplier<String> serviceIndex;
  private final RequestPaths paths;

  /** Limits in the table that {@code table} names when first used, each request sent through {@code paths}. */
  public DynamoDbLimits(Supplier<String> table, Supplier<String> serviceIndex, RequestPaths paths) {
    this.table = table;
    this.serviceIndex = serviceIndex;
    this.paths = paths;
  }

  @Override
  public Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
    return paths.blocking(requests -> find(requests, resourceName, accountId, deadline));
  }

  @Override
  public CompletableFuture<Optional<LimitRecord>> findAsync(String resourceName, String accountId,
      Deadline deadline) {
    return paths.async(requests -> find(requests, resourceName, accountId, deadline));
  }

  private CompletableFuture<Optional<LimitRecord>> find(StoreRequests requests, String resourceName,
      String accountId, Deadline deadline) {
    String tableName = table.get();
    return requests.call("GetItem", tableName, () -> requests.calls().getItem(
        requests.observe(GetItemRequest.builder(), deadline, "GetItem")
            .tableName(tableName).key(key(resourceName, accountId)).consistentRead(true).build())
        .thenApply(response -> response.hasItem() && !response.item().isEmpty()
            ? parse(response.item()) : Optional.empty()));
  }

  @Override
  public void put(LimitRecord record) {
    Map<String, AttributeValue> item = LimitItems.item(record);
    paths.blocking(requests -> {
      String tableName = table.get();
      return requests.call("PutItem", tableName, () -> requests.calls().putItem(
          requests.observe(PutItemRequest.builder()).tableName(tableName).item(item).build()));
    });
  }

  @Override
  public boolean delete(String resourceName, String accountId) {
    return paths.blocking(requests -> {
      String tableName = table.get();
      return requests.call("DeleteItem", tableName, () -> requests.calls().deleteItem(
          requests.observe(DeleteItemRequest.builder()).tableName(tableName)
              .key(key(resourceName, accountId)).returnValues(ReturnValue.ALL_OLD).build())
          .thenApply(DeleteItemResponse::hasAttributes));
    });
  }

  @Override
  public List<LimitRecord> listByService(String serviceName) {
    return paths.blocking(requests -> query(requests, QueryRequest.builder()
        .indexName(serviceIndex.get())
        .keyConditionExpression("#service = :service")
        .expressionAttributeNames(Map.of("#service", SERVICE_NAME))
        .expressionAttributeValues(Map.of(":service", AttributeValue.fromS(serviceName)))));
  }

  @Override
  public List<LimitRecord> listByResource(String resourceName) {
    List<LimitRecord> rows = paths.blocking(requests -> query(requests, resourceQuery(resourceName)));
    return rows.stream().sorted(Comparator.comparing(LimitRecord::accountId)).toList();
  }

  /** One consistent Query of up to {@code atMost + 1} rows: more rows, or a page cut short by size, mean "too many". */
  @Override
  public Optional<List<LimitRecord>> listByResource(String resourceName, int atMost, Deadline deadline) {
    return paths.blocking(requests -> listByResource(requests, resourceName, atMost, deadline));
  }

  @Override
  public CompletableFuture<Optional<List<LimitRecord>>> listByResourceAsync(String resourceName, int atMost,
      Deadline deadline) {
    return paths.async(requests -> listByResource(requests, resourceName, atMost, deadline));
  }

  private CompletableFuture<Optional<List<LimitRecord>>> listByResource(StoreRequests requests, String resourceName,
      int atMost, Deadline deadline) {
    String tableName = table.get();
    QueryRequest.Builder query = resourceQuery(resourceName).tableName(tableName).limit(atMost + 1);
    return Queries.page(requests, tableName, query, deadline).thenApply(response -> {
      if (response.count() > atMost || (response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty())) {
        return Optional.empty();
      }
      List<LimitRecord> rows = new ArrayList<>();
      response.items().forEach(item -> parse(item).ifPresent(rows::add));
      return Optional.of(rows);
    });
  }

  /** A consistent query of every row of the resource (the table's partition key), without the table name. */
  private static QueryRequest.Builder resourceQuery(String resourceName) {
    return QueryRequest.builder()
        .consistentRead(true)
        .keyConditionExpression("#resource = :resource")
        .expressionAttributeNames(Map.of("#resource", RESOURCE_NAME))
        .expressionAttributeValues(Map.of(":resource", AttributeValue.fromS(resourceName)));
  }

  private CompletableFuture<List<LimitRecord>> query(StoreRequests requests, QueryRequest.Builder request) {
    return Queries.all(requests, table.get(), request, DynamoDbLimits::parse, Deadline.none());
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
