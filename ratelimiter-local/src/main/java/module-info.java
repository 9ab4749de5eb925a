/**
 * A local DynamoDB-compatible server (dynalite) for the demo, tests and benchmarks:
 * {@code io.github.ratelimiter.local}. JDK only.
 */
module io.github.ratelimiter.local {
  requires java.net.http;

  exports io.github.ratelimiter.local;
}
