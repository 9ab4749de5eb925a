package io.github.ratelimiter.server.internal;

import java.util.List;

/**
 * The rate limit rule of one configured descriptor node.
 *
 * @param fullKey the node's path as envoyproxy/ratelimit names it, e.g. {@code messaging.message_type_marketing.to_number}:
 *     the resource name of its buckets and the {@code key} tag of its meters
 * @param limits the limits (one for {@code rate_limit}, one or more for our {@code rate_limits}); empty when unlimited
 * @param unlimited {@code unlimited: true}: answered OK without the store
 * @param shadowMode {@code shadow_mode: true}: counted, reported, never denied
 * @param detailedMetric {@code detailed_metric: true}: meters per request value (capped in cardinality)
 * @param replaces the names of limits this rule replaces
 * @param source where it was configured, {@code file:line}, for logs
 */
record Rule(String fullKey, List<LimitSpec> limits, boolean unlimited, boolean shadowMode, boolean detailedMetric,
    List<String> replaces, String source) {

  Rule {
    limits = List.copyOf(limits);
    replaces = List.copyOf(replaces);
  }
}
