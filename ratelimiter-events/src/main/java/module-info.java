/**
 * Event-driven release of non-fungible tokens: {@code io.github.ratelimiter.events}. Rule parsing and JSON paths
 * ({@code io.github.ratelimiter.events.internal}) are not exported. Events are Jackson trees, so Jackson's databind
 * is part of this module's API.
 */
module io.github.ratelimiter.events {
  requires transitive io.github.ratelimiter;
  requires transitive com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports io.github.ratelimiter.events;
}
