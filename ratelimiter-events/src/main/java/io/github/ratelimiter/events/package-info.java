/**
 * Event-driven release of non-fungible tokens: when EventBridge says a tokenized resource ended (an EMR cluster
 * terminated, an instance stopped, a batch job finished), find its token through the store's resource index and
 * delete it.
 *
 * <p>{@link io.github.ratelimiter.events.EventProcessorManager} is the entry point;
 * {@link io.github.ratelimiter.events.EventProcessor} and {@link io.github.ratelimiter.events.ProcessorPredicate}
 * say which events matter and where the resource id is, in code, and {@link io.github.ratelimiter.events.EventRules}
 * reads the same from a YAML or JSON document. Everything in {@code io.github.ratelimiter.events.internal} is
 * implementation, not API.
 */
package io.github.ratelimiter.events;
