package io.github.ratelimiter.dynamodb.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/** Paginated queries: every page, each item parsed, unreadable items skipped by the parser. */
final class Queries {

  private Queries() {}

  static <T> List<T> all(DynamoDbClient client, String tableName, QueryRequest.Builder request,
      Function<Map<String, AttributeValue>, Optional<T>> parser) {
    List<T> rows = new ArrayList<>();
    try {
      client.queryPaginator(request.tableName(tableName).build()).items()
          .forEach(item -> parser.apply(item).ifPresent(rows::add));
    } catch (SdkException e) {
      throw Errors.map(e, "Query", tableName);
    }
    return rows;
  }
}
