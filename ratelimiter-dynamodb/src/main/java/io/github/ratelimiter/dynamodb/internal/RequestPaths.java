package io.github.ratelimiter.dynamodb.internal;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The two ways a store call goes out: through the blocking client, or through the asynchronous one (created on first
 * use when the store owns it). A store call is written once, as a function from {@link StoreRequests} to a future;
 * {@link #blocking(Function)} runs it through the blocking client and returns its answer, {@link #async(Function)}
 * through the asynchronous client and returns its future. Thread-safe.
 */
public final class RequestPaths {

  private final StoreRequests blocking;
  private final Supplier<StoreRequests> async;

  /**
   * @param blocking the blocking client's requests
   * @param async the asynchronous client's requests, asked on each asynchronous call (memoize it: it may build the
   *     client); it may throw, for example when no client can be configured, which fails that call's future
   */
  public RequestPaths(StoreRequests blocking, Supplier<StoreRequests> async) {
    this.blocking = Objects.requireNonNull(blocking, "blocking");
    this.async = Objects.requireNonNull(async, "async");
  }

  /**
   * {@code call} through the blocking client: its answer, or its failure thrown as it is.
   *
   * @throws io.github.ratelimiter.RateLimiterException if the call failed
   */
  public <T> T blocking(Function<StoreRequests, CompletableFuture<T>> call) {
    return StoreRequests.answer(call.apply(blocking));
  }

  /**
   * {@code call} through the asynchronous client: a future that completes with its answer, or exceptionally with its
   * failure itself (not wrapped in a {@link java.util.concurrent.CompletionException}), on the client's thread or, if
   * it failed before sending, at once. Never throws.
   */
  public <T> CompletableFuture<T> async(Function<StoreRequests, CompletableFuture<T>> call) {
    CompletableFuture<T> answer;
    try {
      answer = call.apply(async.get());
    } catch (RuntimeException e) { // no table name, no client: before anything was sent
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> bare = new CompletableFuture<>();
    answer.whenComplete((value, failure) -> {
      if (failure == null) {
        bare.complete(value);
      } else {
        bare.completeExceptionally(StoreRequests.unwrapped(failure));
      }
    });
    return bare;
  }
}
