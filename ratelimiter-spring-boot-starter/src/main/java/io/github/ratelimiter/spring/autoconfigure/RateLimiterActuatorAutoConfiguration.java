package io.github.ratelimiter.spring.autoconfigure;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.RateLimitedMethods;
import io.github.ratelimiter.spring.internal.RouteFilter;
import io.github.ratelimiter.spring.internal.RateLimiterHealthIndicator;
import io.github.ratelimiter.spring.internal.RateLimitersEndpoint;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With Spring Boot's actuator: the {@code ratelimiter} health indicator ({@code management.health.ratelimiter.enabled})
 * and the {@code ratelimiters} endpoint (exposed like any other, e.g.
 * {@code management.endpoints.web.exposure.include=health,ratelimiters}).
 */
@AutoConfiguration(after = {RateLimiterAutoConfiguration.class, RateLimiterWebAutoConfiguration.class,
    RateLimiterWebFluxAutoConfiguration.class})
@ConditionalOnBean(RateLimiters.class)
public class RateLimiterActuatorAutoConfiguration {

  /** The health indicator, when Spring Boot's health module is present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  @ConditionalOnEnabledHealthIndicator("ratelimiter")
  static class Health {

    @Bean
    @ConditionalOnMissingBean(name = "ratelimiterHealthIndicator")
    HealthIndicator ratelimiterHealthIndicator(RateLimiters limiters) {
      return new RateLimiterHealthIndicator(limiters);
    }
  }

  /** The endpoint, when the actuator is present and the endpoint is available. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(Endpoint.class)
  @ConditionalOnAvailableEndpoint(RateLimitersEndpoint.class)
  @ConditionalOnBean(LimiterRegistry.class)
  static class Listing {

    @Bean
    @ConditionalOnMissingBean
    RateLimitersEndpoint rateLimitersEndpoint(LimiterRegistry registry, ObjectProvider<RouteFilter> filter,
        ObjectProvider<RateLimitedMethods> methods) {
      return new RateLimitersEndpoint(registry, filter, methods);
    }
  }
}
