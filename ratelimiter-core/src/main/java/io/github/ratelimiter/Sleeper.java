package io.github.ratelimiter;

import java.time.Duration;

/**
 * How a blocking call waits. The default is {@link Thread#sleep(long)}; tests hand in one that advances a manual
 * clock, so that no test sleeps to make time pass.
 */
@FunctionalInterface
public interface Sleeper {
  /** The sleeper that blocks the calling thread. */
  Sleeper SYSTEM = duration -> Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);

  /** Waits for the given duration. */
  void sleep(Duration duration) throws InterruptedException;
}
