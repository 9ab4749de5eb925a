package io.github.ratelimiter.spring.autoconfigure;

import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.spring.RateLimiterProperties;
import io.github.ratelimiter.spring.RateLimitersCustomizer;
import io.github.ratelimiter.spring.internal.DynamoDbClientFactory;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.RateLimitedMethods;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.core.env.Environment;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The application's {@link RateLimiters} from {@code ratelimiter.*}: on DynamoDB (the default; the context's
 * {@link DynamoDbClient} and {@link DynamoDbAsyncClient} beans when it has them, else clients built from
 * {@code ratelimiter.dynamodb.*}) or in memory; the context's {@link Clock} bean when it has exactly one; every {@link RateLimiterListener} bean (the
 * Micrometer binding among them) registered; {@link RateLimitersCustomizer} beans applied last. Every bean backs off when the application defines its own. {@code @RateLimited} bean methods are applied
 * here too, web application or not.
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = RateLimiterProperties.PREFIX, name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(RateLimiterProperties.class)
public class RateLimiterAutoConfiguration {

  /** The table names: each from its property, its environment variable, or the base name. */
  static TableNames tableNames(RateLimiterProperties.Tables tables, Environment environment) {
    try {
      return TableNames.builder().baseName(given(tables.getBaseName())).fungibleTable(given(tables.getFungible()))
          .limitTable(given(tables.getLimits())).nonFungibleTable(given(tables.getNonFungible()))
          .resourceIndex(given(tables.getResourceIndex())).limitServiceIndex(given(tables.getLimitsServiceIndex()))
          .environment(environment::getProperty).build();
    } catch (IllegalStateException e) {
      throw new IllegalStateException("no DynamoDB table names are configured: set ratelimiter.tables.base-name"
          + " (or ratelimiter.tables.fungible, .limits, .non-fungible), the environment variables the library reads ("
          + e.getMessage() + "), or ratelimiter.store=in-memory");
    }
  }

  /** A blank property is an unset one. */
  private static String given(String property) {
    return property == null || property.isBlank() ? null : property;
  }

  /** The DynamoDB store, unless the application has a store or chose the in-memory one. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = RateLimiterProperties.PREFIX, name = "store", havingValue = "dynamodb",
      matchIfMissing = true)
  static class DynamoDbStoreConfiguration {

    /**
     * The store's clients: the application's {@link DynamoDbClient} and {@link DynamoDbAsyncClient} beans when it has
     * them (left open), else built from {@code ratelimiter.dynamodb.*} (closed with the store, or with the context).
     * With a blocking client bean but no asynchronous one, the store builds its asynchronous twin from that client's
     * own settings on first non-blocking use.
     */
    @Bean
    @ConditionalOnMissingBean(RateLimitStore.class)
    DynamoDbStore rateLimitStore(RateLimiterProperties properties, ObjectProvider<DynamoDbClient> clients,
        ObjectProvider<DynamoDbAsyncClient> asyncClients, Environment environment,
        ConfigurableListableBeanFactory beanFactory) {
      TableNames names = tableNames(properties.getTables(), environment);
      DynamoDbClient client = clients.getIfUnique();
      DynamoDbAsyncClient asyncClient = asyncClients.getIfUnique();
      DynamoDbStore.Builder store = DynamoDbStore.builder().tableNames(names);
      if (client == null && asyncClient == null) {
        client = DynamoDbClientFactory.create(properties.getDynamodb(), environment);
        try {
          asyncClient = DynamoDbClientFactory.createAsync(properties.getDynamodb(), environment);
        } catch (RuntimeException e) {
          client.close();
          throw e;
        }
        store.client(client).asyncClient(asyncClient).ownsClient(true);
      } else if (asyncClient == null) {
        store.client(client);
      } else {
        if (client == null) {
          // The application's asynchronous client stays open: the store does not own its clients, so the blocking
          // client built here is closed with the context.
          client = DynamoDbClientFactory.create(properties.getDynamodb(), environment);
          if (beanFactory instanceof DefaultSingletonBeanRegistry registry) {
            registry.registerDisposableBean("rateLimiterDynamoDbClient", client::close);
          }
        }
        store.client(client).asyncClient(asyncClient);
      }
      if (properties.getDynamodb().isCreateTables()) {
        DynamoDbTables.createIfMissing(client, names);
      }
      return store.build();
    }
  }

  /** The in-memory store, when chosen. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = RateLimiterProperties.PREFIX, name = "store", havingValue = "in-memory")
  static class InMemoryStoreConfiguration {

    @Bean
    @ConditionalOnMissingBean(RateLimitStore.class)
    InMemoryStore rateLimitStore() {
      return InMemoryStore.create();
    }
  }

  /** The limiters; the store bean is closed by the context, so closing these is left out. */
  @Bean(destroyMethod = "")
  @ConditionalOnMissingBean
  RateLimiters rateLimiters(RateLimiterProperties properties, RateLimitStore store, ObjectProvider<Clock> clock,
      ObjectProvider<RateLimiterListener> listeners, ObjectProvider<RateLimitersCustomizer> customizers) {
    RateLimiters.Builder builder = RateLimiters.builder()
        .store(store)
        .clock(clock.getIfUnique(Clock::systemUTC))
        .limitCacheTtl(properties.getLimitCacheTtl())
        .failureMode(properties.getFailureMode());
    listeners.orderedStream().forEach(builder::listener);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  /** The declared limiters of routes and methods, one per resource. */
  @Bean
  @ConditionalOnMissingBean
  LimiterRegistry rateLimiterRegistry(RateLimiters limiters, RateLimiterProperties properties) {
    return new LimiterRegistry(limiters, properties.getFailureMode());
  }

  /** Applies {@code @RateLimited} and {@code @RateLimit} to bean methods. */
  @Bean
  @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
  static RateLimitedMethods rateLimitedMethods(ObjectProvider<LimiterRegistry> registry) {
    return new RateLimitedMethods(registry);
  }

}
