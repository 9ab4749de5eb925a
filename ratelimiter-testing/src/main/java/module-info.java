/**
 * The test kit ({@code io.github.ratelimiter.testing}): a manual clock, dynalite as a JUnit 5 extension, a
 * fault-injecting proxy, a recording listener and the contract suites that a store implementation's tests extend.
 * JUnit 5 and the AWS SDK's DynamoDB client appear in its API, hence transitive. The package is also open: the
 * contracts are JUnit test classes, whose non-public test methods JUnit (or any test engine) invokes by reflection
 * from a subclass in another module.
 */
module io.github.ratelimiter.testing {
  requires transitive io.github.ratelimiter;
  requires transitive io.github.ratelimiter.dynamodb.client;
  requires transitive org.junit.jupiter.api;
  requires transitive software.amazon.awssdk.services.dynamodb;
  requires transitive software.amazon.awssdk.core;
  requires io.github.ratelimiter.local;
  requires org.assertj.core;
  requires com.fasterxml.jackson.databind;

  exports io.github.ratelimiter.testing;
  opens io.github.ratelimiter.testing;
}
