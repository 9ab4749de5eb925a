/**
 * The Spring Boot starter's API: the annotation, properties, customizer and exception handler
 * ({@code io.github.ratelimiter.spring}). Not exported: the auto-configurations
 * ({@code io.github.ratelimiter.spring.autoconfigure}, which Spring Boot finds by name in
 * {@code META-INF/spring/...AutoConfiguration.imports}; their conditions name internal classes; exclude one with
 * {@code spring.autoconfigure.exclude}) and the filter, interceptor, endpoint and health indicator
 * ({@code io.github.ratelimiter.spring.internal}).
 *
 * <p>Spring Boot applications normally run on the class path, where this descriptor is ignored. On a module path
 * Spring instantiates, binds, introspects and invokes these classes by reflection from several of its modules
 * (beans, context, boot's binder, actuator's endpoint support, Jackson for the endpoint's responses), so the three
 * packages are open: at run time only, which makes nothing of {@code internal} available to compile against. The
 * servlet, WebFlux and Reactor, actuator, health and OAuth2 integrations are optional ({@code requires static}): the
 * auto-configuration (or the {@code @RateLimited} return type) that needs one is not used when the application lacks
 * it.
 */
module io.github.ratelimiter.spring {
  requires transitive io.github.ratelimiter;
  requires transitive spring.boot;
  requires transitive spring.context;
  requires transitive spring.web;
  requires io.github.ratelimiter.dynamodb;
  requires io.github.ratelimiter.micrometer;
  requires spring.aop;
  requires spring.beans;
  requires spring.core;
  requires spring.expression;
  requires spring.boot.autoconfigure;
  requires software.amazon.awssdk.services.dynamodb;
  requires org.slf4j;
  requires static spring.boot.webmvc;
  requires static jakarta.servlet;
  requires static spring.webflux;
  requires static reactor.core;
  requires static org.reactivestreams;
  requires static spring.boot.actuator;
  requires static spring.boot.actuator.autoconfigure;
  requires static spring.boot.health;
  requires static spring.security.core;
  requires static spring.security.oauth2.core;
  requires static spring.security.oauth2.resource.server;

  exports io.github.ratelimiter.spring;

  opens io.github.ratelimiter.spring;
  opens io.github.ratelimiter.spring.autoconfigure;
  opens io.github.ratelimiter.spring.internal;
}
