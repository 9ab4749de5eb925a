/**
 * Local DynamoDB-compatible servers (dynalite, or moto served on one thread) for the demo, tests and benchmarks:
 * {@code io.github.ratelimiter.local}. JDK only, so that the CLI's demo can start one without a test framework.
 */
module io.github.ratelimiter.local {
  requires java.net.http;

  exports io.github.ratelimiter.local;
}
