package io.github.ratelimiter.server.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One level of a domain's descriptor tree, as envoyproxy/ratelimit's {@code rateLimitDescriptor}: children by
 * {@code key} or {@code key_value}, the wildcard children in file order, and this node's rule. Built by
 * {@link ConfigLoader}, never changed after loading, so a loaded configuration is read by many threads at once.
 */
final class ConfigNode {

  /** A child whose {@code key_value} contains {@code *}: the key and the pattern split at each {@code *}. */
  record Wildcard(String key, String[] parts) {}

  final Map<String, ConfigNode> children = new LinkedHashMap<>();
  final List<Wildcard> wildcards = new ArrayList<>();
  Rule rule;
  boolean valueToMetric;
  boolean shareThreshold;

  /**
   * Whether {@code value} matches a pattern split at its {@code *}s, each {@code *} matching zero or more
   * characters: the first part a prefix, the last a suffix, the middle ones in order between them (exactly
   * envoyproxy/ratelimit's {@code wildcardMatch}).
   */
  static boolean wildcardMatch(String[] parts, String value) {
    if (parts.length == 1) {
      return parts[0].equals(value);
    }
    String first = parts[0];
    String last = parts[parts.length - 1];
    if (!value.startsWith(first) || !value.endsWith(last)) {
      return false;
    }
    int fixed = 0;
    for (String part : parts) {
      fixed += part.length();
    }
    if (value.length() < fixed) {
      return false;
    }
    String remaining = value.substring(first.length(), value.length() - last.length());
    for (int i = 1; i < parts.length - 1; i++) {
      int index = remaining.indexOf(parts[i]);
      if (index < 0) {
        return false;
      }
      remaining = remaining.substring(index + parts[i].length());
    }
    return true;
  }
}
