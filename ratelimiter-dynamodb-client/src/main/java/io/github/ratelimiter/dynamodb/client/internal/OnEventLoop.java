package io.github.ratelimiter.dynamodb.client.internal;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.Executor;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;

/**
 * The asynchronous client's future completion executor: a completion asked for on a Netty event-loop thread runs on
 * that same thread, as a task of its own queued after the one running (so after the SDK has finished with the
 * response and released its connection to the pool); asked for on any other thread (a timeout firing on the SDK's
 * scheduler, a client with another HTTP client), it runs in place. Either way it takes no thread of its own.
 *
 * <p>Running completions in place on the event loop ({@code Runnable::run}) was measured to be wrong with the Netty
 * client: a continuation that sends the next request then runs before the connection of the answer it continues is
 * back in the pool, and on dynalite the client kept opening connections (1,519 in one 12-second run with 32 requests
 * in flight, against 48 so) and some requests failed after every attempt with "the connection was closed during the
 * request"; queued after the current task, connections are reused (see {@code docs/async-client.md}). Thread-safe;
 * stateless.
 */
public final class OnEventLoop implements Executor {

  /** The one instance. */
  public static final Executor INSTANCE = new OnEventLoop();

  private OnEventLoop() {}

  /**
   * The event loops every asynchronous client of {@code DynamoDbClients} shares: the SDK's default size (twice the
   * processors), daemon threads, created on first use and never shut down. Shared, a process with several clients
   * (two limiter instances, a test suite) has one set of event-loop threads, and closing a client does not wait for
   * its own loops' graceful shutdown (two seconds each).
   */
  public static SdkEventLoopGroup sharedGroup() {
    return Shared.GROUP;
  }

  /** The holder of {@link #sharedGroup()}, initialized on first use. */
  private static final class Shared {
    static final SdkEventLoopGroup GROUP = SdkEventLoopGroup.builder().build();
  }

  @Override
  public void execute(Runnable command) {
    EventExecutor loop = ThreadExecutorMap.currentExecutor();
    if (loop != null && loop.inEventLoop()) {
      loop.execute(command);
    } else {
      command.run();
    }
  }
}
