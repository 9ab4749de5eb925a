package io.github.ratelimiter.store;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The asynchronous SPI methods' defaults, for a store that answers in process: the blocking method, run on the
 * calling thread, its answer (or failure) as a completed future.
 */
final class InProcess {

  private InProcess() {}

  static <T> CompletableFuture<T> call(Supplier<T> call) {
    try {
      return CompletableFuture.completedFuture(call.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
