package io.github.ratelimiter.dynamodb.internal;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * The requests a store call sends, and the only code that differs between the blocking and the asynchronous path:
 * {@link #blocking(DynamoDbClient)} sends on the caller's thread and returns a completed future (the SDK's exception,
 * if any, as its failure); {@link #async(DynamoDbAsyncClient)} returns the asynchronous client's future, which
 * completes on the client's thread. Everything else, requests, conditions, the reading of answers, reporting and
 * error mapping, is written once over these futures ({@link StoreRequests}).
 */
public interface DynamoDbCalls {

  /** Sends an UpdateItem. */
  CompletableFuture<UpdateItemResponse> updateItem(UpdateItemRequest request);

  /** Sends a GetItem. */
  CompletableFuture<GetItemResponse> getItem(GetItemRequest request);

  /** Sends a PutItem. */
  CompletableFuture<PutItemResponse> putItem(PutItemRequest request);

  /** Sends a DeleteItem. */
  CompletableFuture<DeleteItemResponse> deleteItem(DeleteItemRequest request);

  /** Sends a Query (one page). */
  CompletableFuture<QueryResponse> query(QueryRequest request);

  /** Requests sent through the blocking {@code client}, each future complete when returned. */
  static DynamoDbCalls blocking(DynamoDbClient client) {
    return new DynamoDbCalls() {
      @Override
      public CompletableFuture<UpdateItemResponse> updateItem(UpdateItemRequest request) {
        return now(client::updateItem, request);
      }

      @Override
      public CompletableFuture<GetItemResponse> getItem(GetItemRequest request) {
        return now(client::getItem, request);
      }

      @Override
      public CompletableFuture<PutItemResponse> putItem(PutItemRequest request) {
        return now(client::putItem, request);
      }

      @Override
      public CompletableFuture<DeleteItemResponse> deleteItem(DeleteItemRequest request) {
        return now(client::deleteItem, request);
      }

      @Override
      public CompletableFuture<QueryResponse> query(QueryRequest request) {
        return now(client::query, request);
      }
    };
  }

  /** Requests sent through the asynchronous {@code client}: nothing waits for an answer. */
  static DynamoDbCalls async(DynamoDbAsyncClient client) {
    return new DynamoDbCalls() {
      @Override
      public CompletableFuture<UpdateItemResponse> updateItem(UpdateItemRequest request) {
        return client.updateItem(request);
      }

      @Override
      public CompletableFuture<GetItemResponse> getItem(GetItemRequest request) {
        return client.getItem(request);
      }

      @Override
      public CompletableFuture<PutItemResponse> putItem(PutItemRequest request) {
        return client.putItem(request);
      }

      @Override
      public CompletableFuture<DeleteItemResponse> deleteItem(DeleteItemRequest request) {
        return client.deleteItem(request);
      }

      @Override
      public CompletableFuture<QueryResponse> query(QueryRequest request) {
        return client.query(request);
      }
    };
  }

  /** {@code call} applied to {@code request} on this thread, as a completed future (failed with what it threw). */
  private static <Q, R> CompletableFuture<R> now(Function<Q, R> call, Q request) {
    return now(() -> call.apply(request));
  }

  /** What {@code call} answers on this thread, as a completed future (failed with what it threw). */
  static <R> CompletableFuture<R> now(Supplier<R> call) {
    try {
      return CompletableFuture.completedFuture(call.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
