package io.github.ratelimiter.server.internal;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A loaded configuration: each domain's descriptor tree, and the files it came from. Immutable once built by
 * {@link ConfigLoader}; a reload builds a new one and swaps one reference.
 *
 * <p>{@link #match} is envoyproxy/ratelimit's {@code GetLimit}, step for step: for each entry of the request's
 * descriptor, the child {@code key_value} is tried first, then the wildcard children in file order, then the child
 * {@code key} alone; the walk stops where no child matches or the matched node has no children; a rule applies only
 * when it sits at the level of the descriptor's last entry (a descriptor with more or fewer entries than the
 * configured path matches nothing).
 */
final class RateLimitConfig {

  /** The account id of a bucket is its descriptor's {@code key_value} path; a longer one is hashed to fit. */
  static final int MAX_ACCOUNT_BYTES = 1024;

  /**
   * What a descriptor matched.
   *
   * @param rule the rule
   * @param account the bucket's account id: the request's {@code key_value} entries joined with {@code .}, a
   *     {@code share_threshold} wildcard's pattern in place of the value it matched
   * @param metricKey the {@code key} tag of its meters: the rule's full key, or the request's values for
   *     {@code detailed_metric} and {@code value_to_metric}
   * @param perValueMetric whether {@code metricKey} carries request values (capped in cardinality by the meters)
   */
  record Match(Rule rule, String account, String metricKey, boolean perValueMetric) {}

  final Map<String, ConfigNode> domains;
  final List<String> files;

  RateLimitConfig(Map<String, ConfigNode> domains, List<String> files) {
    this.domains = Map.copyOf(domains);
    this.files = List.copyOf(files);
  }

  /** Whether the domain is configured. */
  boolean hasDomain(String domain) {
    return domains.containsKey(domain);
  }

  /** The rule the descriptor matches in the domain, or null when none applies (an unknown domain included). */
  Match match(String domain, RateLimitDescriptor descriptor) {
    ConfigNode node = domains.get(domain);
    if (node == null) {
      return null;
    }
    List<RateLimitDescriptor.Entry> entries = descriptor.getEntriesList();
    String[] sharedValues = null;
    Rule rule = null;
    StringBuilder valueToMetricKey = new StringBuilder(domain);
    boolean valuesInMetric = false;
    for (int i = 0; i < entries.size(); i++) {
      RateLimitDescriptor.Entry entry = entries.get(i);
      String keyValue = entry.getKey() + "_" + entry.getValue();
      ConfigNode next = node.children.get(keyValue);
      String wildcardKey = null;
      if (next == null) {
        for (ConfigNode.Wildcard wildcard : node.wildcards) {
          if (ConfigNode.wildcardMatch(wildcard.parts(), keyValue)) {
            next = node.children.get(wildcard.key());
            wildcardKey = wildcard.key();
            break;
          }
        }
      }
      boolean matchedValue = next != null;
      if (next == null) {
        next = node.children.get(entry.getKey());
      }
      String pattern = wildcardKey == null ? null : wildcardKey.substring(entry.getKey().length() + 1);
      if (pattern != null && next.shareThreshold) {
        if (sharedValues == null) {
          sharedValues = new String[entries.size()];
        }
        sharedValues[i] = pattern;
      }
      valueToMetricKey.append('.');
      if (next != null) {
        String metricValue;
        if (pattern != null) {
          metricValue = next.shareThreshold ? prefix(pattern) : next.valueToMetric ? entry.getValue() : pattern;
          valuesInMetric |= next.valueToMetric && !next.shareThreshold;
        } else if (matchedValue) {
          metricValue = entry.getValue();
        } else {
          metricValue = next.valueToMetric ? entry.getValue() : "";
          valuesInMetric |= next.valueToMetric;
        }
        valueToMetricKey.append(entry.getKey());
        if (!metricValue.isEmpty()) {
          valueToMetricKey.append('_').append(metricValue);
        }
      } else {
        valueToMetricKey.append(entry.getKey());
      }
      if (next != null && next.rule != null && i == entries.size() - 1) {
        rule = next.rule;
      }
      if (next == null || next.children.isEmpty()) {
        break;
      }
      node = next;
    }
    if (rule == null) {
      return null;
    }
    String account = account(entries, sharedValues);
    if (rule.detailedMetric()) {
      return new Match(rule, account, domain + "." + account, true);
    }
    String enhanced = valueToMetricKey.toString();
    return enhanced.equals(rule.fullKey()) ? new Match(rule, account, rule.fullKey(), false)
        : new Match(rule, account, enhanced, valuesInMetric);
  }

  /** The part of a wildcard pattern before its first {@code *}, as envoyproxy/ratelimit's metrics show it. */
  private static String prefix(String pattern) {
    int star = pattern.indexOf('*');
    String prefix = star < 0 ? pattern : pattern.substring(0, star);
    return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }

  /**
   * The bucket's account id: the entries' {@code key_value} (or {@code key} for an empty value) joined with
   * {@code .}, a shared wildcard's pattern in place of the value; {@code sha256:} and the hash of that when it is
   * longer than {@value #MAX_ACCOUNT_BYTES} UTF-8 bytes.
   */
  static String account(List<RateLimitDescriptor.Entry> entries, String[] sharedValues) {
    StringBuilder account = new StringBuilder();
    for (int i = 0; i < entries.size(); i++) {
      RateLimitDescriptor.Entry entry = entries.get(i);
      if (i > 0) {
        account.append('.');
      }
      account.append(entry.getKey());
      String value = sharedValues != null && sharedValues[i] != null ? sharedValues[i] : entry.getValue();
      if (!value.isEmpty()) {
        account.append('_').append(value);
      }
    }
    String id = account.toString();
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_ACCOUNT_BYTES) {
      return id;
    }
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
