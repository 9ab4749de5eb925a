/**
 * The store-independent test kit ({@code io.github.ratelimiter.testing}): the contract suites that a store
 * implementation's tests extend, a manual clock and a recording listener. It requires no AWS module: the DynamoDB
 * kit (local servers, the fault proxy) is {@code io.github.ratelimiter.testing.dynamodb}. JUnit 5 appears in its
 * API, hence transitive. The package is also open: the contracts are JUnit test classes, whose non-public test
 * methods JUnit (or any test engine) invokes by reflection from a subclass in another module.
 */
module io.github.ratelimiter.testing {
  requires transitive io.github.ratelimiter;
  requires transitive org.junit.jupiter.api;
  requires org.assertj.core;

  exports io.github.ratelimiter.testing;
  opens io.github.ratelimiter.testing;
}
