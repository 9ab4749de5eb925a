/**
 * The DynamoDB store and its tools (tables, limits files, limit loading): {@code io.github.ratelimiter.dynamodb}.
 * Request building and item mapping ({@code io.github.ratelimiter.dynamodb.internal}) are not exported. The AWS SDK
 * publishes automatic module names only; its DynamoDB client is part of this module's API, hence transitive.
 */
module io.github.ratelimiter.dynamodb {
  requires transitive io.github.ratelimiter;
  requires transitive io.github.ratelimiter.dynamodb.client;
  requires transitive software.amazon.awssdk.services.dynamodb;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.http.apache;
  requires software.amazon.awssdk.metrics;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires org.slf4j;

  exports io.github.ratelimiter.dynamodb;
}
