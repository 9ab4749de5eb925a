/**
 * The rate limiter's API ({@code io.github.ratelimiter}) and the store SPI ({@code io.github.ratelimiter.store})
 * that a store implementation, such as {@code io.github.ratelimiter.dynamodb}, plugs in. The algorithms and the
 * limiters' implementations ({@code io.github.ratelimiter.internal}) are not exported. The library works the same
 * on the class path.
 */
module io.github.ratelimiter {
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports io.github.ratelimiter;
  exports io.github.ratelimiter.store;
}
