package io.github.ratelimiter.dynamodb.internal;

import io.github.ratelimiter.store.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/** Paginated queries: every page, each item parsed, unreadable items skipped by the parser. */
final class Queries {

  private Queries() {}

  /** Every page, each within the decision's {@code deadline} ({@link Deadline#none()} outside a decision). */
  static <T> List<T> all(DynamoDbClient client, StoreRequests requests, String tableName,
      QueryRequest.Builder request, Function<Map<String, AttributeValue>, Optional<T>> parser, Deadline deadline) {
    List<T> rows = new ArrayList<>();
    request.tableName(tableName);
    Map<String, AttributeValue> startKey = null;
    do {
      if (startKey != null) {
        request.exclusiveStartKey(startKey);
      }
      requests.observe(request, deadline, "Query");
      QueryResponse page = page(client, requests, tableName, request.build());
      page.items().forEach(item -> parser.apply(item).ifPresent(rows::add));
      startKey = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
    } while (startKey != null);
    return rows;
  }

  /** One page: one Query request, reported to {@code requests}. */
  static QueryResponse page(DynamoDbClient client, StoreRequests requests, String tableName, QueryRequest request) {
    return requests.send("Query", tableName, () -> client.query(request));
  }
}
