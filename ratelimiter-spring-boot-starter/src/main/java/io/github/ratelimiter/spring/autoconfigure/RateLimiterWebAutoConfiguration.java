package io.github.ratelimiter.spring.autoconfigure;

import io.github.ratelimiter.spring.RateLimitExceptionHandler;
import io.github.ratelimiter.spring.RateLimiterProperties;
import io.github.ratelimiter.spring.internal.HttpRoute;
import io.github.ratelimiter.spring.internal.HttpRoutes;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.RateLimitFilter;
import jakarta.servlet.Filter;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * In a servlet web application: the route filter ({@code ratelimiter.http.routes}) and the exception handler that
 * turns {@code CapacityExhaustedException} into a 429. Backs off in other applications (a reactive one gets
 * {@link RateLimiterWebFluxAutoConfiguration}'s WebFilter instead), and with {@code ratelimiter.http.enabled=false}.
 */
@AutoConfiguration(after = RateLimiterAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({Filter.class, PathPatternParser.class, RestControllerAdvice.class})
@ConditionalOnBean(LimiterRegistry.class)
@ConditionalOnProperty(prefix = RateLimiterProperties.PREFIX + ".http", name = "enabled", matchIfMissing = true)
public class RateLimiterWebAutoConfiguration {

  /** The filter over the configured routes. */
  @Bean
  @ConditionalOnMissingBean(RateLimitFilter.class)
  RateLimitFilter rateLimitFilter(RateLimiterProperties properties, LimiterRegistry registry,
      BeanFactory beanFactory) {
    List<HttpRoute> routes = HttpRoutes.of(properties, registry, beanFactory);
    return new RateLimitFilter(routes, properties.getHttp().getMatch(), properties.getHttp().isHeaders());
  }

  /** Registers the filter with the servlet container, at {@code ratelimiter.http.filter-order}. */
  @Bean
  @ConditionalOnMissingBean(name = "rateLimitFilterRegistration")
  FilterRegistrationBean<RateLimitFilter> rateLimitFilterRegistration(RateLimitFilter filter,
      RateLimiterProperties properties) {
    FilterRegistrationBean<RateLimitFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setOrder(properties.getHttp().getFilterOrder());
    registration.setName("rateLimitFilter");
    return registration;
  }

  /** 429 and 503 for the library's exceptions from controllers and limited methods. */
  @Bean
  @ConditionalOnMissingBean(RateLimitExceptionHandler.class)
  RateLimitExceptionHandler rateLimitExceptionHandler() {
    return new RateLimitExceptionHandler();
  }
}
