package io.github.ratelimiter.spring.reactive;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.spring.RateLimitExceptionHandler;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterActuatorAutoConfiguration;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterAutoConfiguration;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterWebAutoConfiguration;
import io.github.ratelimiter.spring.autoconfigure.RateLimiterWebFluxAutoConfiguration;
import io.github.ratelimiter.spring.internal.RateLimitFilter;
import io.github.ratelimiter.spring.internal.RateLimitedMethods;
import io.github.ratelimiter.spring.internal.RateLimitersEndpoint;
import io.github.ratelimiter.spring.internal.ReactiveRateLimitFilter;
import jakarta.servlet.Filter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;

/** The application type chooses the route filter: the WebFilter in a reactive application, the servlet one else. */
class ReactiveAutoConfigurationTest {

  private static final AutoConfigurations CONFIGURATIONS = AutoConfigurations.of(RateLimiterAutoConfiguration.class,
      RateLimiterWebAutoConfiguration.class, RateLimiterWebFluxAutoConfiguration.class,
      RateLimiterActuatorAutoConfiguration.class);

  private static final String[] ROUTE = {
      "ratelimiter.store=in-memory",
      "ratelimiter.http.routes[0].path=/api/orders/**",
      "ratelimiter.http.routes[0].resource=orders-api",
      "ratelimiter.http.routes[0].limit=10",
      "ratelimiter.http.routes[0].window=1s",
      "ratelimiter.http.routes[0].account=header:X-Tenant-Id"};

  private final ReactiveWebApplicationContextRunner reactive =
      new ReactiveWebApplicationContextRunner().withConfiguration(CONFIGURATIONS).withPropertyValues(ROUTE);
  private final WebApplicationContextRunner servlet =
      new WebApplicationContextRunner().withConfiguration(CONFIGURATIONS).withPropertyValues(ROUTE);
  private final ApplicationContextRunner plain =
      new ApplicationContextRunner().withConfiguration(CONFIGURATIONS).withPropertyValues(ROUTE);

  @Test
  void aReactiveApplicationGetsTheWebFilterAndTheExceptionHandlerButNoServletFilter() {
    reactive.withPropertyValues("ratelimiter.http.filter-order=-5").run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(ReactiveRateLimitFilter.class)
          .hasSingleBean(RateLimitExceptionHandler.class).doesNotHaveBean(RateLimitFilter.class)
          .doesNotHaveBean("rateLimitFilterRegistration");
      ReactiveRateLimitFilter filter = context.getBean(ReactiveRateLimitFilter.class);
      assertThat(filter.getOrder()).isEqualTo(-5);
      assertThat(filter.routes()).singleElement().satisfies(r -> assertThat(r.resource()).isEqualTo("orders-api"));
    });
  }

  @Test
  void aServletApplicationGetsTheServletFilterButNoWebFilter() {
    servlet.run(context -> assertThat(context).hasNotFailed().hasSingleBean(RateLimitFilter.class)
        .doesNotHaveBean(ReactiveRateLimitFilter.class));
  }

  @Test
  void aNonWebApplicationGetsNeither() {
    plain.run(context -> assertThat(context).hasNotFailed().hasSingleBean(RateLimitedMethods.class)
        .doesNotHaveBean(RateLimitFilter.class).doesNotHaveBean(ReactiveRateLimitFilter.class)
        .doesNotHaveBean(RateLimitExceptionHandler.class));
  }

  @Test
  void theStarterWorksWithNeitherWebFluxNorReactorNorTheServletApi() {
    plain.withClassLoader(new FilteredClassLoader(Filter.class, WebFilter.class, Mono.class))
        .withBean(LimitedService.class)
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(RateLimiters.class)
              .doesNotHaveBean(ReactiveRateLimitFilter.class).doesNotHaveBean(RateLimitFilter.class);
          LimitedService service = context.getBean(LimitedService.class);
          assertThat(service.call("acme")).isEqualTo("called");
        });
  }

  @Test
  void aReactiveApplicationWithoutReactorBacksOff() {
    reactive.withClassLoader(new FilteredClassLoader(Mono.class))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ReactiveRateLimitFilter.class));
  }

  @Test
  void theWebFilterIsOffWithTheHttpSwitch() {
    reactive.withPropertyValues("ratelimiter.http.enabled=false").run(context -> assertThat(context).hasNotFailed()
        .hasSingleBean(RateLimiters.class).doesNotHaveBean(ReactiveRateLimitFilter.class)
        .doesNotHaveBean(RateLimitExceptionHandler.class));
  }

  @Test
  void aCostHeaderRouteFailsAReactiveStartupNamingTheRoute() {
    reactive.withPropertyValues("ratelimiter.http.routes[0].cost-header=X-Tokens-Used").run(context ->
        assertThat(context).getFailure().rootCause()
            .hasMessageContaining("ratelimiter.http.routes[0].cost-header (X-Tokens-Used) is not supported in a"
                + " reactive web application"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theEndpointListsTheWebFiltersRoutes() {
    reactive.withPropertyValues("management.endpoints.web.exposure.include=ratelimiters").run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(RateLimitersEndpoint.class);
      List<Map<String, Object>> routes = (List<Map<String, Object>>) context.getBean(RateLimitersEndpoint.class)
          .rateLimiters().get("routes");
      assertThat(routes).singleElement().satisfies(r -> assertThat(r).containsEntry("resource", "orders-api"));
    });
  }

  /** A bean with a limited blocking method. */
  public static class LimitedService {
    @io.github.ratelimiter.spring.RateLimited(resource = "plain", limit = 5, window = 1, account = "#tenant")
    public String call(String tenant) {
      return "called";
    }
  }
}
