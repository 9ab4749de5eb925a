package io.github.ratelimiter.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterActuatorAutoConfiguration;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterAutoConfiguration;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterMetricsAutoConfiguration;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterWebAutoConfiguration;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.RateLimitFilter;
import io.github.ratelimiter.spring.internal.RateLimitedMethods;
import io.github.ratelimiter.spring.internal.RateLimitersEndpoint;
import io.github.ratelimiter.micrometer.RateLimiterMetrics;
import io.github.ratelimiter.store.InMemoryStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.github.ratelimiter.store.RateLimitStore;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.context.SecurityContextHolder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbServiceClientConfiguration;

/** Every condition of the auto-configuration, without a server: nothing here sends a request. */
class RateLimiterAutoConfigurationTest {

  private static final AutoConfigurations CONFIGURATIONS = AutoConfigurations.of(RateLimiterAutoConfiguration.class,
      RateLimiterWebAutoConfiguration.class, RateLimiterActuatorAutoConfiguration.class,
      RateLimiterMetricsAutoConfiguration.class);

  private final ApplicationContextRunner plain = new ApplicationContextRunner().withConfiguration(CONFIGURATIONS);
  private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS);

  private static final String[] ROUTE = {
      "ratelimiter.http.routes[0].path=/api/orders/**",
      "ratelimiter.http.routes[0].resource=orders-api",
      "ratelimiter.http.routes[0].limit=10",
      "ratelimiter.http.routes[0].window=1s",
      "ratelimiter.http.routes[0].account=header:X-Tenant-Id"};

  @Test
  void theInMemoryStoreWhenChosen() {
    plain.withPropertyValues("ratelimiter.store=in-memory").run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(RateLimiters.class).hasSingleBean(InMemoryStore.class)
          .doesNotHaveBean(DynamoDbStore.class);
      assertThat(context.getBean(RateLimiters.class).store()).isSameAs(context.getBean(RateLimitStore.class));
    });
  }

  @Test
  void theApplicationsDynamoDbClientIsUsed() {
    DynamoDbClient client = localClient();
    plain.withBean(DynamoDbClient.class, () -> client).withPropertyValues("ratelimiter.tables.base-name=prod")
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(DynamoDbStore.class);
          assertThat(context.getBean(DynamoDbStore.class).client()).isSameAs(client);
        });
    client.close();
  }

  @Test
  void withoutAClientBeanOneIsBuiltFromTheProperties() {
    plain.withPropertyValues("ratelimiter.tables.base-name=prod", "ratelimiter.dynamodb.endpoint=http://127.0.0.1:45001",
        "ratelimiter.dynamodb.region=eu-west-1").run(context -> {
          DynamoDbClient client = context.getBean(DynamoDbStore.class).client();
          assertThat(client.serviceClientConfiguration().endpointOverride()).hasValue(URI.create("http://127.0.0.1:45001"));
          assertThat(client.serviceClientConfiguration().region()).isEqualTo(Region.EU_WEST_1);
        });
  }

  @Test
  void withoutClientBeansTheAsyncClientIsBuiltFromTheSameProperties() {
    plain.withPropertyValues("ratelimiter.tables.base-name=prod", "ratelimiter.dynamodb.endpoint=http://127.0.0.1:45001",
        "ratelimiter.dynamodb.region=eu-west-1", "ratelimiter.dynamodb.attempt-timeout=150ms",
        "ratelimiter.dynamodb.call-timeout=2500ms", "ratelimiter.dynamodb.max-attempts=5").run(context -> {
          assertThat(context).hasNotFailed();
          DynamoDbStore store = context.getBean(DynamoDbStore.class);
          for (DynamoDbServiceClientConfiguration config : List.of(store.client().serviceClientConfiguration(),
              store.asyncClient().serviceClientConfiguration())) {
            assertThat(config.endpointOverride()).hasValue(URI.create("http://127.0.0.1:45001"));
            assertThat(config.region()).isEqualTo(Region.EU_WEST_1);
            assertThat(config.overrideConfiguration().apiCallAttemptTimeout()).hasValue(Duration.ofMillis(150));
            assertThat(config.overrideConfiguration().apiCallTimeout()).hasValue(Duration.ofMillis(2500));
            assertThat(config.overrideConfiguration().retryStrategy().orElseThrow().maxAttempts()).isEqualTo(5);
          }
        });
  }

  @Test
  void theApplicationsAsyncClientIsUsedBesideABuiltOrItsOwnBlockingClient() {
    DynamoDbAsyncClient asyncClient = DynamoDbAsyncClient.builder().endpointOverride(URI.create("http://127.0.0.1:45002"))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))).build();
    plain.withBean(DynamoDbAsyncClient.class, () -> asyncClient)
        .withPropertyValues("ratelimiter.tables.base-name=prod", "ratelimiter.dynamodb.endpoint=http://127.0.0.1:45001",
            "ratelimiter.dynamodb.region=eu-west-1")
        .run(context -> {
          assertThat(context).hasNotFailed();
          DynamoDbStore store = context.getBean(DynamoDbStore.class);
          assertThat(store.asyncClient()).isSameAs(asyncClient);
          assertThat(store.client().serviceClientConfiguration().endpointOverride())
              .hasValue(URI.create("http://127.0.0.1:45001"));
        });
    DynamoDbClient client = localClient();
    plain.withBean(DynamoDbAsyncClient.class, () -> asyncClient).withBean(DynamoDbClient.class, () -> client)
        .withPropertyValues("ratelimiter.tables.base-name=prod")
        .run(context -> {
          DynamoDbStore store = context.getBean(DynamoDbStore.class);
          assertThat(store.client()).isSameAs(client);
          assertThat(store.asyncClient()).isSameAs(asyncClient);
        });
    client.close();
    asyncClient.close();
  }

  @Test
  void theApplicationsBlockingClientAloneGivesTheStoresAsyncClientItsSettings() {
    DynamoDbClient client = localClient();
    plain.withBean(DynamoDbClient.class, () -> client).withPropertyValues("ratelimiter.tables.base-name=prod",
        "ratelimiter.dynamodb.endpoint=http://127.0.0.1:45001").run(context -> {
          DynamoDbAsyncClient asyncClient = context.getBean(DynamoDbStore.class).asyncClient();
          assertThat(asyncClient.serviceClientConfiguration().endpointOverride()).as("the client bean's, not the property's")
              .hasValue(URI.create("http://127.0.0.1:45000"));
        });
    client.close();
  }

  @Test
  void tableNamesComeFromThePropertiesThenTheEnvironmentVariablesThenTheBaseName() {
    // The environment's variables reach Spring's Environment like any property source; FUNGIBLE_TABLE stands for one.
    plain.withBean(DynamoDbClient.class, RateLimiterAutoConfigurationTest::localClient)
        .withPropertyValues("FUNGIBLE_TABLE=from-env-fungible", "ratelimiter.tables.base-name=prod",
            "ratelimiter.tables.limits=custom-limits")
        .run(context -> assertThat(context.getBean(DynamoDbStore.class).tableNames()).isEqualTo(new TableNames(
            "from-env-fungible", "custom-limits", "prod-non-fungible-tokens", "prod-resource-index",
            "prod-limits-service-index")));
    plain.withBean(DynamoDbClient.class, RateLimiterAutoConfigurationTest::localClient)
        .withPropertyValues("LIMITER_TABLES_BASE_NAME=envbase")
        .run(context -> assertThat(context.getBean(DynamoDbStore.class).tableNames()).isEqualTo(TableNames.of("envbase")));
  }

  @Test
  void noTableNamesFailsTheStartupNamingTheProperties() {
    plain.withBean(DynamoDbClient.class, RateLimiterAutoConfigurationTest::localClient).run(context ->
        assertThat(context).getFailure().rootCause().hasMessageContaining("ratelimiter.tables.base-name")
            .hasMessageContaining("LIMITER_TABLES_BASE_NAME").hasMessageContaining("ratelimiter.store=in-memory"));
  }

  @Test
  void theApplicationsOwnBeansWin() {
    RateLimiters own = RateLimiters.inMemory();
    plain.withBean(RateLimiters.class, () -> own).withPropertyValues("ratelimiter.store=in-memory")
        .run(context -> assertThat(context).getBean(RateLimiters.class).isSameAs(own));
  }

  @Test
  void disabledMeansNothing() {
    web.withPropertyValues("ratelimiter.enabled=false").run(context -> assertThat(context).hasNotFailed()
        .doesNotHaveBean(RateLimiters.class).doesNotHaveBean(RateLimitFilter.class)
        .doesNotHaveBean(RateLimitedMethods.class));
  }

  @Test
  void aServletWebApplicationGetsTheFilterAndTheExceptionHandler() {
    web.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(ROUTE).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(RateLimitFilter.class)
          .hasSingleBean(RateLimitExceptionHandler.class).hasBean("rateLimitFilterRegistration");
      assertThat(context.getBean(RateLimitFilter.class).routes()).singleElement()
          .satisfies(route -> assertThat(route.resource()).isEqualTo("orders-api"));
      assertThat(context.getBean("rateLimitFilterRegistration", FilterRegistrationBean.class).getOrder()).isZero();
    });
    web.withPropertyValues("ratelimiter.store=in-memory", "ratelimiter.http.enabled=false").withPropertyValues(ROUTE)
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(RateLimiters.class)
            .doesNotHaveBean(RateLimitFilter.class).doesNotHaveBean(RateLimitExceptionHandler.class));
  }

  @Test
  void aNonWebApplicationGetsLimitedMethodsButNoWebLayer() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(ROUTE).run(context ->
        assertThat(context).hasNotFailed().hasSingleBean(RateLimitedMethods.class).hasSingleBean(LimiterRegistry.class)
            .doesNotHaveBean(RateLimitFilter.class).doesNotHaveBean(RateLimitExceptionHandler.class));
  }

  @Test
  void theActuatorGetsTheHealthIndicatorAndTheEndpoint() {
    web.withPropertyValues("ratelimiter.store=in-memory", "management.endpoints.web.exposure.include=ratelimiters")
        .run(context -> assertThat(context).hasNotFailed().hasBean("ratelimiterHealthIndicator").hasSingleBean(RateLimitersEndpoint.class));
    web.withPropertyValues("ratelimiter.store=in-memory", "management.health.ratelimiter.enabled=false",
        "management.endpoints.web.exposure.include=ratelimiters", "management.endpoint.ratelimiters.access=NONE").run(context -> assertThat(context).hasNotFailed()
        .doesNotHaveBean("ratelimiterHealthIndicator").doesNotHaveBean(RateLimitersEndpoint.class));
  }

  @Test
  void theMetersAreBoundToTheApplicationsRegistryWhenItHasOne() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    plain.withPropertyValues("ratelimiter.store=in-memory").withBean(MeterRegistry.class, () -> registry)
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(RateLimiterMetrics.class);
          context.getBean(RateLimiters.class).fungible("metered", io.github.ratelimiter.Limit.of(1,
              java.time.Duration.ofSeconds(1))).tryAcquire("a");
          assertThat(registry.find("ratelimiter.decisions").tag("resource", "metered").counter()).isNotNull();
        });
    plain.withPropertyValues("ratelimiter.store=in-memory")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RateLimiterMetrics.class));
  }

  @Test
  void aWindowOfZeroFailsTheStartupNamingThePropertyAndTheValue() {
    assertStartupFails("ratelimiter.http.routes[0].window=0s", "http.routes[0].window", "PT0S");
  }

  @Test
  void aNegativeLimitFailsTheStartupNamingThePropertyAndTheValue() {
    assertStartupFails("ratelimiter.http.routes[0].limit=-1", "http.routes[0].limit", "-1");
  }

  @Test
  void anUnknownAccountSourceFailsTheStartupNamingThePropertyAndTheValue() {
    assertStartupFails("ratelimiter.http.routes[0].account=cookie:tenant", "http.routes[0].account",
        "unknown account source 'cookie'");
    assertStartupFails("ratelimiter.http.routes[0].account=X-Tenant-Id", "http.routes[0].account",
        "is not an account source");
    assertStartupFails("ratelimiter.http.routes[0].account=path:tenant", "http.routes[0].account",
        "names a path variable that the route's path '/api/orders/**' does not have");
    assertStartupFails("ratelimiter.http.routes[0].account=expression:getHeader(", "http.routes[0].account",
        "is not a valid SpEL expression");
  }

  @Test
  void aPathPatternThatDoesNotParseFailsTheStartupNamingThePropertyAndTheValue() {
    assertStartupFails("ratelimiter.http.routes[0].path=/api/{oops", "http.routes[0].path", "/api/{oops");
  }

  @Test
  void missingRouteFieldsAndBadMethodsFailTheStartup() {
    web.withPropertyValues("ratelimiter.store=in-memory", "ratelimiter.http.routes[0].path=/x",
        "ratelimiter.http.routes[0].methods=POST,FETCH").run(context -> assertThat(context).getFailure()
        .rootCause().hasMessageContaining("http.routes[0].resource").hasMessageContaining("http.routes[0].limit")
        .hasMessageContaining("http.routes[0].window").hasMessageContaining("http.routes[0].account")
        .hasMessageContaining("http.routes[0].methods[1]").hasMessageContaining("FETCH"));
  }

  private static final String[] QUOTA_ROUTE = {
      "ratelimiter.http.routes[0].path=/api/search/**",
      "ratelimiter.http.routes[0].resource=search-api",
      "ratelimiter.http.routes[0].limits[0].name=per-second",
      "ratelimiter.http.routes[0].limits[0].limit=10",
      "ratelimiter.http.routes[0].limits[0].window=1s",
      "ratelimiter.http.routes[0].limits[1].name=per-hour",
      "ratelimiter.http.routes[0].limits[1].limit=1000",
      "ratelimiter.http.routes[0].limits[1].window=1h",
      "ratelimiter.http.routes[0].account=header:X-Tenant-Id"};

  @Test
  void aRouteOfSeveralLimitsIsOneQuotaWithItsCost() {
    web.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(QUOTA_ROUTE)
        .withPropertyValues("ratelimiter.http.routes[0].cost.per-second=2",
            "ratelimiter.http.routes[0].cost.per-hour=0")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(RateLimitFilter.class).routes()).singleElement().satisfies(route -> {
            assertThat(route.defaultQuota()).isEqualTo(io.github.ratelimiter.Quota.builder()
                .limit("per-second", io.github.ratelimiter.Limit.of(10, java.time.Duration.ofSeconds(1)))
                .limit("per-hour", io.github.ratelimiter.Limit.of(1000, java.time.Duration.ofHours(1))).build());
            assertThat(route.cost()).isEqualTo(io.github.ratelimiter.Cost.of(
                java.util.Map.of("per-second", 2L, "per-hour", 0L)));
          });
        });
    web.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(java.util.Arrays.stream(QUOTA_ROUTE)
        .filter(p -> !p.startsWith("ratelimiter.http.routes[0].limits[0].name")).toArray(String[]::new))
        .withPropertyValues("ratelimiter.http.routes[0].permits=3")
        .run(context -> assertThat(context.getBean(RateLimitFilter.class).routes()).singleElement()
            .satisfies(route -> {
              assertThat(route.defaultQuota().names()).as("an unnamed limit is named by its window")
                  .containsExactly("1s", "per-hour");
              assertThat(route.cost()).isEqualTo(io.github.ratelimiter.Cost.permits(3));
            }));
  }

  @Test
  void badLimitsAndCostsFailTheStartupNamingThePropertyAndTheValue() {
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].limit=10"}, "http.routes[0].limit",
        "must be left out when limits is set");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].limits[1].name=per-second"},
        "http.routes[0].limits[1].name", "'per-second' is used twice");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].limits[1].name=per hour"},
        "http.routes[0].limits[1].name", "'per hour'");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].limits[1].window=0s"},
        "http.routes[0].limits[1].window", "PT0S");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].limits[0].limit=-2"},
        "http.routes[0].limits[0].limit", "-2");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost.tokens=5"},
        "http.routes[0].cost[tokens]", "names no limit of the route: its limits are [per-second, per-hour]");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost.per-second=11"},
        "http.routes[0].cost[per-second]", "must not exceed the limit 10");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost.per-second=1",
        "ratelimiter.http.routes[0].permits=2"}, "http.routes[0].permits", "must be left out when cost is set");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost.per-second=0"}, "http.routes[0].cost",
        "must take more than 0 from some limit");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].permits=11"}, "http.routes[0].permits",
        "must not exceed the limit 10 of 'per-second'");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost-header=X-Tokens-Used"},
        "http.routes[0].costHeaderLimit", "must be set when the route has several limits");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost-header=X-Tokens-Used",
        "ratelimiter.http.routes[0].cost-header-limit=tokens"}, "http.routes[0].costHeaderLimit",
        "names no limit of the route: 'tokens'");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost-header=X Tokens",
        "ratelimiter.http.routes[0].cost-header-limit=per-hour"}, "http.routes[0].costHeader",
        "is not an HTTP header name");
    assertQuotaStartupFails(new String[] {"ratelimiter.http.routes[0].cost-header-limit=per-hour"},
        "http.routes[0].costHeaderLimit", "must be left out when cost-header is not set");
  }

  private void assertQuotaStartupFails(String[] properties, String... messageParts) {
    web.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(QUOTA_ROUTE).withPropertyValues(properties)
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context).getFailure().rootCause().satisfies(root -> {
            for (String part : messageParts) {
              assertThat(root.getMessage()).contains(part);
            }
          });
        });
  }

  @Test
  void aBadQuotaOnARateLimitedMethodFailsTheStartupNamingTheMethod() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(LimitAndLimits.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)")
            .hasMessageContaining("give either limit and window, or limits, not both"));
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(TwoLimitsOneName.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)").hasMessageContaining("limits[1]")
            .hasMessageContaining("already has a limit named '1s'"));
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(NoLimit.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)")
            .hasMessageContaining("limit and window must be set, or limits given"));
  }

  @Test
  void aBadEstimateOrActualFailsTheStartupNamingTheMethod() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(EstimateOfAFlux.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)")
            .hasMessageContaining("not supported on a method returning Flux"));
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(UnknownCostLimit.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)")
            .hasMessageContaining("costLimit 'tokenz' names no limit of the quota"));
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(ActualWithoutEstimate.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("actual and costLimit need an estimate"));
  }

  @Test
  void aRateLimitedMethodWithAnEstimateSettlesTheActualOfItsResult() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(Estimated.class).run(context -> {
      Estimated.Limited limited = context.getBean(Estimated.Limited.class);
      // each call reserves requests=1,tokens=60 of 100 tokens, and settles what it returns
      assertThat(limited.call("t", 10)).isEqualTo(10);
      assertThat(limited.call("t", 10)).isEqualTo(10);
      assertThat(limited.call("t", 10)).as("20 used, 60 more fit").isEqualTo(10);
      assertThat(limited.call("t", 50)).as("30 used, 60 more fit; 80 used after").isEqualTo(50);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.call("t", 1))
          .isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class)
          .hasMessageContaining("rate limit 'tokens'");
    });
  }

  @Test
  void aRateLimitedMethodOfTwoLimitsIsDeniedByEitherAndChargesNothingWhenDenied() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(TwoLimits.class).run(context -> {
      TwoLimits.Limited limited = context.getBean(TwoLimits.Limited.class);
      assertThat(limited.call("t")).isEqualTo("t");
      assertThat(limited.call("t")).isEqualTo("t");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.call("t"))
          .isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class)
          .hasMessageContaining("rate limit 'burst' (2 per 1h)");
      assertThat(context.getBean(LimiterRegistry.class).entries()).singleElement()
          .satisfies(e -> assertThat(e.defaultQuota().toString()).isEqualTo("burst: 2 per 1h, 5 per 1d"));
    });
  }

  @Test
  void aClaimSourceWithoutSpringSecurityFailsTheStartup() {
    web.withClassLoader(new FilteredClassLoader(SecurityContextHolder.class))
        .withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(ROUTE)
        .withPropertyValues("ratelimiter.http.routes[0].account=claim:tenant")
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("http.routes[0].account").hasMessageContaining("needs Spring Security"));
  }

  @Test
  void oneResourceWithTwoLimitsFailsTheStartupNamingBothDeclarations() {
    web.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(ROUTE).withPropertyValues(
        "ratelimiter.http.routes[1].path=/api/other/**", "ratelimiter.http.routes[1].resource=orders-api",
        "ratelimiter.http.routes[1].limit=20", "ratelimiter.http.routes[1].window=1s",
        "ratelimiter.http.routes[1].account=header:X-Tenant-Id").run(context -> assertThat(context).getFailure()
        .rootCause().hasMessageContaining("resource 'orders-api'").hasMessageContaining("ratelimiter.http.routes[0]")
        .hasMessageContaining("ratelimiter.http.routes[1]"));
  }

  @Test
  void aBadRateLimitedAnnotationFailsTheStartupNamingTheMethod() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(BadWindow.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)").hasMessageContaining("window must be positive").hasMessageContaining("PT0S"));
  }

  @Test
  void aLimitedMethodOfAPlainApplicationIsLimited() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(GoodLimit.class).run(context -> {
      GoodLimit.Limited limited = context.getBean(GoodLimit.Limited.class);
      assertThat(limited.call("a")).isEqualTo("a");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.call("a"))
          .isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class);
      assertThat(limited.call("b")).isEqualTo("b");
      assertThat(limited.annotated("o1", "t")).isEqualTo("o1");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.annotated("o2", "t"))
          .as("the @AccountId parameter is the account").isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class);
      assertThat(limited.annotated("o3", "u")).isEqualTo("o3");
      assertThat(limited.core("x")).isEqualTo("x");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.core("x"))
          .as("the core's @RateLimit on a Spring bean").isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class);
      assertThat(context.getBean(LimiterRegistry.class).entries()).extracting(LimiterRegistry.Entry::resource)
          .containsExactlyInAnyOrder("plain", "by-parameter", "core-annotation");
    });
  }

  /** {@code @RateLimited} is the core's {@code @RateLimit} plus an expression: its account rules, its units. */
  @Test
  void aRateLimitedMethodWithoutAnExpressionTakesItsAccountAsTheCoresAnnotationDoes() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(CoreVocabulary.class).run(context -> {
      CoreVocabulary.Limited limited = context.getBean(CoreVocabulary.Limited.class);
      assertThat(limited.byPosition("o1", "t")).isEqualTo("o1");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.byPosition("o2", "t"))
          .as("accountIdParam = 1").isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class);
      assertThat(limited.byPosition("o3", "u")).isEqualTo("o3");
      assertThat(limited.byName("o1", "t")).isEqualTo("o1");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> limited.byName("o2", "t"))
          .as("the parameter named accountId").isInstanceOf(io.github.ratelimiter.CapacityExhaustedException.class);
      assertThat(context.getBean(LimiterRegistry.class).entries()).extracting(e -> e.defaultQuota().first())
          .containsExactlyInAnyOrder(io.github.ratelimiter.Limit.of(1, java.time.Duration.ofMinutes(1)),
              io.github.ratelimiter.Limit.of(1, java.time.Duration.ofSeconds(30)));
    });
  }

  @Test
  void aWindowUnitWithoutAFixedLengthFailsTheStartupNamingTheMethod() {
    plain.withPropertyValues("ratelimiter.store=in-memory").withUserConfiguration(MonthlyWindow.class)
        .run(context -> assertThat(context).getFailure().rootCause()
            .hasMessageContaining("@RateLimited on Limited.call(String)").hasMessageContaining("window 1 Months"));
  }

  private void assertStartupFails(String property, String... messageParts) {
    web.withPropertyValues("ratelimiter.store=in-memory").withPropertyValues(ROUTE).withPropertyValues(property)
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context).getFailure().rootCause().satisfies(root -> {
            for (String part : messageParts) {
              assertThat(root.getMessage()).contains(part);
            }
          });
        });
  }

  private static DynamoDbClient localClient() {
    return DynamoDbClient.builder().endpointOverride(URI.create("http://127.0.0.1:45000")).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))).build();
  }

  @Configuration(proxyBeanMethods = false)
  static class EstimateOfAFlux {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "future", limit = 10, window = 1, account = "#p0", estimate = "5")
      public reactor.core.publisher.Flux<String> call(String tenant) {
        return reactor.core.publisher.Flux.just(tenant);
      }
    }
  }

  static class UnknownCostLimit {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "unknown-cost", account = "#p0", estimate = "5", costLimit = "tokenz", limits = {
          @QuotaLimit(name = "requests", limit = 10, window = 1), @QuotaLimit(name = "tokens", limit = 10, window = 1)})
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  static class ActualWithoutEstimate {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "no-estimate", limit = 10, window = 1, account = "#p0", actual = "#result")
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  static class Estimated {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "estimated", account = "#p0", estimate = "{requests: 1, tokens: 60}",
          actual = "'requests=1,tokens=' + #result", limits = {
              @QuotaLimit(name = "requests", limit = 100, window = 1, unit = java.time.temporal.ChronoUnit.HOURS),
              @QuotaLimit(name = "tokens", limit = 100, window = 1, unit = java.time.temporal.ChronoUnit.HOURS)})
      public long call(String tenant, long tokens) {
        return tokens;
      }
    }
  }

  static class BadWindow {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "bad", limit = 1, window = 0, account = "#p0")
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class GoodLimit {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "plain", limit = 1, window = 1, unit = java.time.temporal.ChronoUnit.HOURS, account = "#tenant")
      public String call(String tenant) {
        return tenant;
      }

      @RateLimited(resource = "by-parameter", limit = 1, window = 1, unit = java.time.temporal.ChronoUnit.HOURS)
      public String annotated(String order, @io.github.ratelimiter.AccountId String tenant) {
        return order;
      }

      @io.github.ratelimiter.RateLimit(resource = "core-annotation", limit = 1, window = 3600)
      public String core(String accountId) {
        return accountId;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class CoreVocabulary {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "by-position", limit = 1, window = 1, unit = java.time.temporal.ChronoUnit.MINUTES,
          accountIdParam = 1)
      public String byPosition(String order, String tenant) {
        return order;
      }

      @RateLimited(resource = "by-name", limit = 1, window = 30)
      public String byName(String order, String accountId) {
        return order;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class LimitAndLimits {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "both", limit = 1, window = 1, account = "#p0",
          limits = @QuotaLimit(name = "per-second", limit = 1, window = 1))
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class TwoLimitsOneName {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "one-name", account = "#p0",
          limits = {@QuotaLimit(limit = 1, window = 1), @QuotaLimit(limit = 5, window = 1)})
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class NoLimit {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "none", account = "#p0")
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class TwoLimits {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "two-limits", account = "#p0", limits = {
          @QuotaLimit(name = "burst", limit = 2, window = 1, unit = java.time.temporal.ChronoUnit.HOURS),
          @QuotaLimit(limit = 5, window = 1, unit = java.time.temporal.ChronoUnit.DAYS)})
      public String call(String tenant) {
        return tenant;
      }
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class MonthlyWindow {
    @Bean
    Limited limited() {
      return new Limited();
    }

    static class Limited {
      @RateLimited(resource = "monthly", limit = 1, window = 1, unit = java.time.temporal.ChronoUnit.MONTHS,
          account = "#p0")
      public String call(String tenant) {
        return tenant;
      }
    }
  }
}
