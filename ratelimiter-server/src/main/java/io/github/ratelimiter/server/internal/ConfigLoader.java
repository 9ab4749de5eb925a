package io.github.ratelimiter.server.internal;

import com.fasterxml.jackson.core.JsonToken;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.RateLimit.Unit;
import io.github.ratelimiter.server.internal.ConfigException.Problem;
import io.github.ratelimiter.server.internal.YamlTree.Mapping;
import io.github.ratelimiter.server.internal.YamlTree.Node;
import io.github.ratelimiter.server.internal.YamlTree.Scalar;
import io.github.ratelimiter.server.internal.YamlTree.Sequence;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads envoyproxy/ratelimit's YAML configuration: one file, or every {@code .yaml}/{@code .yml} file of a folder
 * (not its subfolders, not hidden files such as a Kubernetes ConfigMap's {@code ..data}), in name order.
 *
 * <p>The same files are accepted and refused as by envoyproxy/ratelimit's loader ({@code config_impl.go}): unknown
 * keys, an empty domain or key, a domain in two files, the same {@code key_value} twice in one list, a unit that is
 * none of {@code second minute hour day week month year}, a unit beside {@code unlimited: true}, an empty or
 * self-naming {@code replaces}, {@code share_threshold} without a wildcard. Where theirs stops at the first problem
 * (with a panic at start), this reports every problem, each with its file, line and field.
 *
 * <p>Differences, each refused rather than silently meaning something else: {@code quota_mode: true} (not supported);
 * a non-integer {@code requests_per_unit} or one beyond 2^32-1. Our addition: {@code rate_limits}, a list of limits
 * all applying to one descriptor (see docs/rate-limit-service.md). {@code metadata} is accepted and not used.
 */
final class ConfigLoader {

  static final Set<String> ROOT_KEYS = Set.of("domain", "descriptors");
  static final Set<String> DESCRIPTOR_KEYS = Set.of("key", "value", "descriptors", "rate_limit", "rate_limits",
      "shadow_mode", "quota_mode", "detailed_metric", "value_to_metric", "share_threshold", "metadata");
  static final Set<String> RATE_LIMIT_KEYS = Set.of("unit", "requests_per_unit", "unlimited", "name", "replaces");
  static final int MAX_RESOURCE_BYTES = 1024;
  private static final long MAX_UINT32 = 0xFFFF_FFFFL;

  private final List<Problem> problems = new ArrayList<>();
  private String file;

  private ConfigLoader() {}

  /**
   * Loads a file or a folder of files.
   *
   * @throws ConfigException with every problem found, when any
   */
  static RateLimitConfig load(Path path) {
    ConfigLoader loader = new ConfigLoader();
    List<Path> files = files(path);
    Map<String, ConfigNode> domains = new LinkedHashMap<>();
    Map<String, String> domainFiles = new LinkedHashMap<>();
    for (Path each : files) {
      loader.file = each.toString();
      String text;
      try {
        text = Files.readString(each, StandardCharsets.UTF_8);
      } catch (IOException e) {
        loader.problem(1, "", "cannot read the file: " + e);
        continue;
      }
      loader.loadFile(text, domains, domainFiles);
    }
    if (!loader.problems.isEmpty()) {
      throw new ConfigException(loader.problems);
    }
    return new RateLimitConfig(domains, files.stream().map(Path::toString).toList());
  }

  /** The files a path names: itself, or a folder's YAML files in name order. */
  static List<Path> files(Path path) {
    if (Files.isDirectory(path)) {
      try (Stream<Path> listing = Files.list(path)) {
        List<Path> files = listing
            .filter(p -> !p.getFileName().toString().startsWith("."))
            .filter(p -> {
              String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
              return name.endsWith(".yaml") || name.endsWith(".yml");
            })
            .filter(Files::isRegularFile)
            .sorted()
            .toList();
        if (files.isEmpty()) {
          throw new ConfigException(List.of(new Problem(path.toString(), 1, "",
              "the folder holds no .yaml or .yml file")));
        }
        return files;
      } catch (IOException e) {
        throw new ConfigException(List.of(new Problem(path.toString(), 1, "", "cannot list the folder: " + e)));
      }
    }
    if (!Files.isRegularFile(path)) {
      throw new ConfigException(List.of(new Problem(path.toString(), 1, "", "no such file or folder")));
    }
    return List.of(path);
  }

  private void loadFile(String text, Map<String, ConfigNode> domains, Map<String, String> domainFiles) {
    Node root;
    try {
      root = YamlTree.read(text);
    } catch (YamlTree.SyntaxException e) {
      problem(e.line, "", e.getMessage());
      return;
    }
    if (!(root instanceof Mapping mapping)) {
      problem(root.line(), "", "the file must be a mapping with 'domain' and 'descriptors'");
      return;
    }
    unknownKeys(mapping, "", ROOT_KEYS);
    String domain = string(mapping, "", "domain");
    if (domain == null || domain.isEmpty()) {
      problem(line(mapping, "domain"), "domain", "config file cannot have empty domain");
      return;
    }
    if (domainFiles.containsKey(domain)) {
      problem(line(mapping, "domain"), "domain", "duplicate domain '" + domain + "' (also in "
          + domainFiles.get(domain) + ")");
      return;
    }
    ConfigNode node = new ConfigNode();
    descriptors(mapping, "", domain + ".", node);
    domainFiles.put(domain, file);
    domains.put(domain, node);
  }

  private void descriptors(Mapping parent, String field, String parentKey, ConfigNode node) {
    Node list = parent.entries().get("descriptors");
    String listField = join(field, "descriptors");
    if (list == null || isNull(list)) {
      return;
    }
    if (!(list instanceof Sequence sequence)) {
      problem(list.line(), listField, "must be a list of descriptors");
      return;
    }
    for (int i = 0; i < sequence.items().size(); i++) {
      Node item = sequence.items().get(i);
      String itemField = listField + "[" + i + "]";
      if (!(item instanceof Mapping descriptor)) {
        problem(item.line(), itemField, "must be a mapping with at least 'key'");
        continue;
      }
      descriptor(descriptor, itemField, parentKey, node);
    }
  }

  private void descriptor(Mapping descriptor, String field, String parentKey, ConfigNode parent) {
    unknownKeys(descriptor, field, DESCRIPTOR_KEYS);
    String key = string(descriptor, field, "key");
    if (key == null || key.isEmpty()) {
      problem(descriptor.line(), join(field, "key"), "descriptor has empty key");
      return;
    }
    String value = string(descriptor, field, "value");
    String finalKey = value == null || value.isEmpty() ? key : key + "_" + value;
    String fullKey = parentKey + finalKey;
    if (parent.children.containsKey(finalKey)) {
      problem(descriptor.line(), join(field, "key"), "duplicate descriptor composite key '" + fullKey + "'");
      return;
    }
    if (fullKey.getBytes(StandardCharsets.UTF_8).length > MAX_RESOURCE_BYTES) {
      problem(descriptor.line(), join(field, "key"), "the descriptor's full key is longer than "
          + MAX_RESOURCE_BYTES + " UTF-8 bytes: " + fullKey.substring(0, 60) + "...");
      return;
    }
    ConfigNode node = new ConfigNode();
    boolean shadowMode = bool(descriptor, field, "shadow_mode");
    boolean detailedMetric = bool(descriptor, field, "detailed_metric");
    node.valueToMetric = bool(descriptor, field, "value_to_metric");
    node.shareThreshold = bool(descriptor, field, "share_threshold");
    if (bool(descriptor, field, "quota_mode")) {
      problem(line(descriptor, "quota_mode"), join(field, "quota_mode"),
          "quota_mode is not supported by this service (remove it, or set it to false)");
    }
    if (node.shareThreshold && !finalKey.contains("*")) {
      problem(line(descriptor, "share_threshold"), join(field, "share_threshold"),
          "share_threshold can only be used with wildcard values (containing '*'), but found key '" + finalKey
              + "'");
    }
    Node single = descriptor.entries().get("rate_limit");
    Node several = descriptor.entries().get("rate_limits");
    if (single != null && !isNull(single) && several != null && !isNull(several)) {
      problem(line(descriptor, "rate_limits"), join(field, "rate_limits"),
          "give either rate_limit or rate_limits, not both");
    } else if (single != null && !isNull(single)) {
      node.rule = rule(single, join(field, "rate_limit"), fullKey, shadowMode, detailedMetric, false);
    } else if (several != null && !isNull(several)) {
      if (!(several instanceof Sequence list) || list.items().isEmpty()) {
        problem(several.line(), join(field, "rate_limits"), "must be a non-empty list of rate limits");
      } else {
        List<LimitSpec> limits = new ArrayList<>();
        List<String> replaces = new ArrayList<>();
        for (int i = 0; i < list.items().size(); i++) {
          Rule each = rule(list.items().get(i), join(field, "rate_limits") + "[" + i + "]", fullKey, shadowMode,
              detailedMetric, true);
          if (each != null) {
            limits.addAll(each.limits());
            replaces.addAll(each.replaces());
          }
        }
        node.rule = new Rule(fullKey, limits, false, shadowMode, detailedMetric, replaces, file + ":"
            + several.line());
      }
    }
    if (finalKey.contains("*")) {
      parent.wildcards.add(new ConfigNode.Wildcard(finalKey, finalKey.split("\\*", -1)));
    }
    descriptors(descriptor, field, fullKey + ".", node);
    parent.children.put(finalKey, node);
  }

  private Rule rule(Node node, String field, String fullKey, boolean shadowMode, boolean detailedMetric,
      boolean inList) {
    if (!(node instanceof Mapping rateLimit)) {
      problem(node.line(), field, "must be a mapping with unit and requests_per_unit");
      return null;
    }
    int problemsBefore = problems.size();
    unknownKeys(rateLimit, field, RATE_LIMIT_KEYS);
    boolean unlimited = bool(rateLimit, field, "unlimited");
    String unitText = string(rateLimit, field, "unit");
    Unit unit = unit(unitText);
    if (unlimited) {
      if (inList) {
        problem(line(rateLimit, "unlimited"), join(field, "unlimited"),
            "unlimited belongs in rate_limit, not in rate_limits");
      } else if (unit != null) {
        problem(line(rateLimit, "unit"), join(field, "unit"), "should not specify rate limit unit when unlimited");
      }
    } else if (unit == null) {
      problem(line(rateLimit, "unit"), join(field, "unit"), "invalid rate limit unit '"
          + (unitText == null ? "" : unitText) + "' (second, minute, hour, day, week, month or year)");
    }
    long requestsPerUnit = 0;
    Node rpu = rateLimit.entries().get("requests_per_unit");
    if (rpu != null && !isNull(rpu)) {
      if (rpu instanceof Scalar scalar && scalar.token() == JsonToken.VALUE_NUMBER_INT) {
        try {
          requestsPerUnit = Long.parseLong(scalar.text());
        } catch (NumberFormatException e) {
          requestsPerUnit = -1;
        }
      } else {
        requestsPerUnit = -1;
      }
      if (requestsPerUnit < 0 || requestsPerUnit > MAX_UINT32) {
        problem(rpu.line(), join(field, "requests_per_unit"), "must be a whole number from 0 to " + MAX_UINT32
            + ": " + describe(rpu));
      }
    }
    String name = string(rateLimit, field, "name");
    List<String> replaces = new ArrayList<>();
    Node replacesNode = rateLimit.entries().get("replaces");
    if (replacesNode != null && !isNull(replacesNode)) {
      if (!(replacesNode instanceof Sequence list)) {
        problem(replacesNode.line(), join(field, "replaces"), "must be a list of {name: ...}");
      } else {
        for (int i = 0; i < list.items().size(); i++) {
          Node item = list.items().get(i);
          String itemField = join(field, "replaces") + "[" + i + "]";
          if (!(item instanceof Mapping replace)) {
            problem(item.line(), itemField, "must be a mapping with name");
            continue;
          }
          unknownKeys(replace, itemField, Set.of("name"));
          String replaced = string(replace, itemField, "name");
          if (replaced == null || replaced.isEmpty()) {
            problem(item.line(), join(itemField, "name"), "should not have an empty replaces entry");
          } else if (replaced.equals(name)) {
            problem(item.line(), join(itemField, "name"), "replaces should not contain name of same descriptor");
          } else {
            replaces.add(replaced);
          }
        }
      }
    }
    if (problems.size() > problemsBefore) {
      return null;
    }
    List<LimitSpec> limits = unlimited ? List.of()
        : List.of(new LimitSpec(name == null ? "" : name, requestsPerUnit, unit));
    return new Rule(fullKey, limits, unlimited, shadowMode, detailedMetric, replaces, file + ":" + node.line());
  }

  private static Unit unit(String text) {
    if (text == null) {
      return null;
    }
    return switch (text.toUpperCase(Locale.ROOT)) {
      case "SECOND" -> Unit.SECOND;
      case "MINUTE" -> Unit.MINUTE;
      case "HOUR" -> Unit.HOUR;
      case "DAY" -> Unit.DAY;
      case "WEEK" -> Unit.WEEK;
      case "MONTH" -> Unit.MONTH;
      case "YEAR" -> Unit.YEAR;
      default -> null;
    };
  }

  private void unknownKeys(Mapping mapping, String field, Set<String> known) {
    for (Map.Entry<String, Integer> key : mapping.keyLines().entrySet()) {
      if (!known.contains(key.getKey())) {
        problem(key.getValue(), join(field, key.getKey()), "unknown key '" + key.getKey() + "' (expected one of "
            + known.stream().sorted().toList() + ")");
      }
    }
  }

  /** A scalar's text (strings, and numbers or booleans as written, as yaml.v2 reads them into a string). */
  private String string(Mapping mapping, String field, String key) {
    Node node = mapping.entries().get(key);
    if (node == null || isNull(node)) {
      return null;
    }
    if (node instanceof Scalar scalar) {
      return scalar.text();
    }
    problem(node.line(), join(field, key), "must be a string, not a " + kind(node));
    return null;
  }

  private boolean bool(Mapping mapping, String field, String key) {
    Node node = mapping.entries().get(key);
    if (node == null || isNull(node)) {
      return false;
    }
    if (node instanceof Scalar scalar && (scalar.token() == JsonToken.VALUE_TRUE
        || scalar.token() == JsonToken.VALUE_FALSE)) {
      return scalar.token() == JsonToken.VALUE_TRUE;
    }
    // YAML 1.1's other booleans, which envoyproxy/ratelimit's yaml.v2 reads as such (Jackson reads YAML 1.2's)
    if (node instanceof Scalar scalar && scalar.token() == JsonToken.VALUE_STRING) {
      switch (scalar.text()) {
        case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON" -> {
          return true;
        }
        case "n", "N", "no", "No", "NO", "off", "Off", "OFF" -> {
          return false;
        }
        default -> {
          // not a boolean: reported below
        }
      }
    }
    problem(node.line(), join(field, key), "must be true or false: " + describe(node));
    return false;
  }

  private static boolean isNull(Node node) {
    return node instanceof Scalar scalar && scalar.isNull();
  }

  private static int line(Mapping mapping, String key) {
    Integer line = mapping.keyLines().get(key);
    return line == null ? mapping.line() : line;
  }

  private static String describe(Node node) {
    return node instanceof Scalar scalar ? "'" + scalar.text() + "'" : "a " + kind(node);
  }

  private static String kind(Node node) {
    return node instanceof Mapping ? "mapping" : node instanceof Sequence ? "list" : "scalar";
  }

  private static String join(String field, String key) {
    return field.isEmpty() ? key : field + "." + key;
  }

  private void problem(int line, String field, String message) {
    problems.add(new Problem(file, line, field, message));
  }
}
