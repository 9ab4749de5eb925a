package io.github.ratelimiter.examples.llm;

import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The {@code dev} profile: a local DynamoDB-compatible server (dynalite, started with node on a free loopback port
 * and stopped with the application), its client as the application's {@link DynamoDbClient} bean (which the starter
 * uses). The starter creates the tables ({@code ratelimiter.dynamodb.create-tables} in {@code application-dev.yml}).
 */
@Configuration(proxyBeanMethods = false)
@Profile("dev")
class DevStore {

  private static final Logger log = LoggerFactory.getLogger(DevStore.class);

  @Bean(destroyMethod = "close")
  LocalDynamoDbServer localDynamoDb() {
    LocalDynamoDbServer server = LocalDynamoDbServer.start();
    log.info("dev profile: local DynamoDB (dynalite) at {}", server.endpoint());
    return server;
  }

  @Bean(destroyMethod = "close")
  DynamoDbClient dynamoDbClient(LocalDynamoDbServer server) {
    // dynalite is one node process on a developer's machine: more time per call than real DynamoDB needs.
    return DynamoDbClients.builder().endpoint(server.endpoint())
        .attemptTimeout(Duration.ofSeconds(5)).callTimeout(Duration.ofSeconds(20)).build();
  }
}
