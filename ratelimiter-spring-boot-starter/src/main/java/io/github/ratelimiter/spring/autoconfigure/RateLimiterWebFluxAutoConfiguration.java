package io.github.ratelimiter.spring.autoconfigure;

import io.github.ratelimiter.spring.RateLimitExceptionHandler;
import io.github.ratelimiter.spring.RateLimiterProperties;
import io.github.ratelimiter.spring.internal.HttpRoutes;
import io.github.ratelimiter.spring.internal.LimiterRegistry;
import io.github.ratelimiter.spring.internal.ReactiveRateLimitFilter;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;

/**
 * In a reactive (WebFlux) web application: the route filter as a non-blocking {@link WebFilter}
 * ({@code ratelimiter.http.routes}, the same properties, answers and headers as the servlet filter's, ordered by
 * {@code ratelimiter.http.filter-order}) and the exception handler that turns {@code CapacityExhaustedException} into
 * a 429. Backs off in other applications (the servlet filter is {@link RateLimiterWebAutoConfiguration}'s), without
 * WebFlux and Reactor on the class path, and with {@code ratelimiter.http.enabled=false}.
 */
@AutoConfiguration(after = RateLimiterAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({WebFilter.class, Mono.class, RestControllerAdvice.class})
@ConditionalOnBean(LimiterRegistry.class)
@ConditionalOnProperty(prefix = RateLimiterProperties.PREFIX + ".http", name = "enabled", matchIfMissing = true)
public class RateLimiterWebFluxAutoConfiguration {

  /** The WebFilter over the configured routes. */
  @Bean
  @ConditionalOnMissingBean(ReactiveRateLimitFilter.class)
  ReactiveRateLimitFilter reactiveRateLimitFilter(RateLimiterProperties properties, LimiterRegistry registry,
      BeanFactory beanFactory) {
    RateLimiterProperties.Http http = properties.getHttp();
    return new ReactiveRateLimitFilter(HttpRoutes.of(properties, registry, beanFactory), http.getMatch(),
        http.isHeaders(), !properties.getLimitCacheTtl().isZero(), http.getFilterOrder());
  }

  /** 429 and 503 for the library's exceptions from controllers and limited methods. */
  @Bean
  @ConditionalOnMissingBean(RateLimitExceptionHandler.class)
  RateLimitExceptionHandler rateLimitExceptionHandler() {
    return new RateLimitExceptionHandler();
  }
}
