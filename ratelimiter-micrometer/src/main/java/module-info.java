/**
 * Micrometer meters for the limiters: {@code io.github.ratelimiter.micrometer}. Micrometer's registry is part of
 * this module's API, hence transitive.
 */
module io.github.ratelimiter.micrometer {
  requires transitive io.github.ratelimiter;
  requires transitive micrometer.core;

  exports io.github.ratelimiter.micrometer;
}
