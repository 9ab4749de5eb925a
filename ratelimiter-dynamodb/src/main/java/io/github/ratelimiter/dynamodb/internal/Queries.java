package io.github.ratelimiter.dynamodb.internal;

import io.github.ratelimiter.store.Deadline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Paginated queries: every page, each item parsed, unreadable items skipped by the parser. A page is asked for once
 * the one before it has answered; pages that are complete when returned (the blocking client) are read in a loop,
 * not by nesting continuations, so that any number of pages takes no stack.
 */
final class Queries {

  private Queries() {}

  /** Every page, each within the decision's {@code deadline} ({@link Deadline#none()} outside a decision). */
  static <T> CompletableFuture<List<T>> all(StoreRequests requests, String tableName, QueryRequest.Builder request,
      Function<Map<String, AttributeValue>, Optional<T>> parser, Deadline deadline) {
    request.tableName(tableName);
    Pages<T> pages = new Pages<>(requests, tableName, request, parser, deadline);
    pages.from(null);
    return pages.rows;
  }

  /**
   * One page: one Query request within {@code deadline}, reported to {@code requests}; a future failed with the
   * deadline's failure, and nothing sent, once it has passed.
   */
  static CompletableFuture<QueryResponse> page(StoreRequests requests, String tableName, QueryRequest.Builder request,
      Deadline deadline) {
    return requests.call("Query", tableName,
        () -> requests.calls().query(requests.observe(request, deadline, "Query").build()));
  }

  /** The pages of one query, read one after the other into {@link #rows}. */
  private static final class Pages<T> {
    private final StoreRequests requests;
    private final String tableName;
    private final QueryRequest.Builder request;
    private final Function<Map<String, AttributeValue>, Optional<T>> parser;
    private final Deadline deadline;
    private final List<T> found = new ArrayList<>();
    final CompletableFuture<List<T>> rows = new CompletableFuture<>();

    Pages(StoreRequests requests, String tableName, QueryRequest.Builder request,
        Function<Map<String, AttributeValue>, Optional<T>> parser, Deadline deadline) {
      this.requests = requests;
      this.tableName = tableName;
      this.request = request;
      this.parser = parser;
      this.deadline = deadline;
    }

    /** Asks for the page from {@code startKey} (null: the first), and those after it, until the last. */
    void from(Map<String, AttributeValue> startKey) {
      while (true) {
        if (startKey != null) {
          request.exclusiveStartKey(startKey);
        }
        CompletableFuture<QueryResponse> page = page(requests, tableName, request, deadline);
        if (!page.isDone()) {
          page.whenComplete((answer, failure) -> {
            if (failure != null) {
              rows.completeExceptionally(StoreRequests.unwrapped(failure));
            } else {
              Map<String, AttributeValue> next = read(answer);
              if (next == null) {
                rows.complete(found);
              } else {
                from(next);
              }
            }
          });
          return;
        }
        if (page.isCompletedExceptionally()) {
          page.whenComplete((answer, failure) -> rows.completeExceptionally(StoreRequests.unwrapped(failure)));
          return;
        }
        startKey = read(page.join());
        if (startKey == null) {
          rows.complete(found);
          return;
        }
      }
    }

    /** Adds the page's rows; the key to go on from, or null after the last page. */
    private Map<String, AttributeValue> read(QueryResponse page) {
      page.items().forEach(item -> parser.apply(item).ifPresent(found::add));
      return page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
    }
  }
}
