package io.github.ratelimiter.spring.autoconfigure;

import io.github.ratelimiter.micrometer.RateLimiterMetrics;
import io.github.ratelimiter.spring.RateLimiterProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * When the application has a {@link MeterRegistry} (Spring Boot's actuator makes one): the limiters' meters
 * ({@code ratelimiter.decisions}, {@code ratelimiter.store.requests}, {@code ratelimiter.store.latency}, ...; see
 * {@link RateLimiterMetrics}) bound to it. The {@link RateLimiterMetrics} bean is a listener, which
 * {@link RateLimiterAutoConfiguration} registers with the limiters.
 */
@AutoConfiguration(
    afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"},
    before = RateLimiterAutoConfiguration.class)
@ConditionalOnClass({MeterRegistry.class, RateLimiterMetrics.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(prefix = RateLimiterProperties.PREFIX, name = "enabled", matchIfMissing = true)
public class RateLimiterMetricsAutoConfiguration {

  /** The meters, bound to the application's registry. */
  @Bean
  @ConditionalOnMissingBean
  RateLimiterMetrics rateLimiterMetrics(MeterRegistry registry) {
    return RateLimiterMetrics.bindTo(registry);
  }
}
