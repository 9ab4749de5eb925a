package io.github.ratelimiter.spring;

import io.github.ratelimiter.RateLimiters;

/**
 * Customizes the {@link RateLimiters.Builder} before the starter builds the application's limiters: a sleeper, the
 * reservation and token times to live, anything the properties do not cover. Beans of this type are applied in
 * their {@link org.springframework.core.annotation.Order order}, after the properties.
 */
@FunctionalInterface
public interface RateLimitersCustomizer {

  /** Changes the builder. */
  void customize(RateLimiters.Builder builder);
}
