/**
 * How the library builds its DynamoDB clients, blocking and asynchronous ({@code io.github.ratelimiter.dynamodb.client}: {@code DynamoDbClients},
 * {@code RequestCounter}). Duration parsing ({@code io.github.ratelimiter.dynamodb.client.internal}) is not exported.
 * The SDK types of the builder's API (client, interceptor, HTTP client, credentials, region) are transitive.
 */
module io.github.ratelimiter.dynamodb.client {
  requires transitive io.github.ratelimiter;
  requires transitive software.amazon.awssdk.services.dynamodb;
  requires transitive software.amazon.awssdk.core;
  requires transitive software.amazon.awssdk.http;
  requires transitive software.amazon.awssdk.auth;
  requires transitive software.amazon.awssdk.regions;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.retries.api;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.http.apache;
  requires software.amazon.awssdk.http.crt;

  exports io.github.ratelimiter.dynamodb.client;
}
