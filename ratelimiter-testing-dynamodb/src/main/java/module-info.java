/**
 * The DynamoDB test kit ({@code io.github.ratelimiter.testing.dynamodb}): {@code LocalDynamoDb}, a JUnit 5 extension
 * giving tests a real DynamoDB API (dynalite or moto started on loopback, or {@code DYNAMODB_ENDPOINT}), its test
 * clients, and {@code FaultProxy}, a fault-injecting proxy. JUnit 5 and the AWS SDK's DynamoDB client appear in its
 * API, hence transitive. The store-independent contracts are in {@code io.github.ratelimiter.testing}.
 */
module io.github.ratelimiter.testing.dynamodb {
  requires transitive io.github.ratelimiter.dynamodb.client;
  requires transitive io.github.ratelimiter.local;
  requires transitive org.junit.jupiter.api;
  requires transitive software.amazon.awssdk.services.dynamodb;
  requires transitive software.amazon.awssdk.core;
  requires com.fasterxml.jackson.databind;

  exports io.github.ratelimiter.testing.dynamodb;
}
