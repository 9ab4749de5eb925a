package io.github.ratelimiter.examples.orders;

import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.LimitLoader;
import io.github.ratelimiter.dynamodb.ServiceLimits;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.store.LimitRecord;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.core.io.ClassPathResource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The {@code dev} profile: a local DynamoDB-compatible server (dynalite, started with node on a free loopback port
 * and stopped with the application), its client as the application's {@link DynamoDbClient} bean (which the starter
 * uses), and the per-tenant limits of {@code limits.yaml} loaded into the limit table at startup. The starter
 * creates the tables ({@code ratelimiter.dynamodb.create-tables} in {@code application-dev.yml}).
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

  /** Loads {@code limits.yaml} as the service "orders" would with {@code ./ratelimiter limits sync}. */
  @Bean
  ApplicationRunner loadLimits(RateLimitStore store) {
    return args -> {
      String yaml;
      try {
        yaml = new ClassPathResource("limits.yaml").getContentAsString(StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ServiceLimits limits = ServiceLimits.parseYaml("orders", "limits.yaml", yaml);
      if (store instanceof DynamoDbStore dynamo) {
        LimitLoader.create(dynamo.client(), dynamo.tableNames()).sync(limits, false);
      } else {
        for (LimitRecord row : limits.limits()) {
          store.limits().put(row);
        }
      }
      log.info("dev profile: loaded {} limit rows from limits.yaml", limits.limits().size());
    };
  }
}
