package io.github.ratelimiter.events.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.github.ratelimiter.events.EventProcessor;
import io.github.ratelimiter.events.ProcessorPredicate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Parses the rules document described in {@link io.github.ratelimiter.events.EventRules}. Every error names where it
 * is ({@code processors[1].when[0]}) and what was expected. Stateless and thread-safe.
 */
public final class RulesParser {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new YAMLMapper();

  private static final Set<String> PROCESSOR_KEYS = Set.of("source", "detailType", "idPath", "when");
  private static final Set<String> TESTS = Set.of("equals", "in", "not-in", "contains", "exists");
  private static final Set<String> COMBINATORS = Set.of("anyOf", "allOf");

  private RulesParser() {}

  /**
   * Parses JSON (text starting with {@code '{'} or {@code '['}) or YAML.
   *
   * @param origin where the text came from, for error messages
   * @throws IllegalArgumentException if the text is not a valid rules document
   */
  public static List<EventProcessor> parse(String text, String origin) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("rules from " + origin + " are empty");
    }
    String trimmed = text.strip();
    // Text that starts like JSON is read as JSON, for JSON's error messages; YAML flow style ({source: aws.emr})
    // starts the same way, so when JSON fails YAML gets a try before the JSON error is reported.
    boolean json = trimmed.startsWith("{") || trimmed.startsWith("[");
    JsonNode root;
    try {
      root = (json ? JSON : YAML).readTree(text);
    } catch (JsonProcessingException e) {
      root = json ? yamlOrNull(text) : null;
      if (root == null) {
        throw new IllegalArgumentException("rules from " + origin + " are not valid " + (json ? "JSON" : "YAML")
            + ": " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr(), e);
      }
    }
    try {
      return processors(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("rules from " + origin + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode yamlOrNull(String text) {
    try {
      return YAML.readTree(text);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static List<EventProcessor> processors(JsonNode root) {
    JsonNode list = root;
    String where = "";
    if (root != null && root.isObject()) {
      requireKeys(root, Set.of("processors"), "the document");
      list = root.path("processors");
      where = "processors";
    }
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new IllegalArgumentException("expected a non-empty list of processors, or an object whose 'processors'"
          + " is one; found " + (list == null ? "nothing" : JsonValues.describe(list)));
    }
    List<EventProcessor> processors = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      processors.add(processor(list.get(i), where + "[" + i + "]"));
    }
    return List.copyOf(processors);
  }

  private static EventProcessor processor(JsonNode node, String where) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + ": expected an object with source, idPath, and optionally"
          + " detailType and when; found " + JsonValues.describe(node));
    }
    requireKeys(node, PROCESSOR_KEYS, where);
    EventProcessor.Builder builder = EventProcessor.builder();
    String source = requiredText(node, "source", where);
    String idPath = requiredText(node, "idPath", where);
    String detailType = node.has("detailType") ? requiredText(node, "detailType", where) : null;
    try {
      builder.source(source).idPath(idPath);
      if (detailType != null) {
        builder.detailType(detailType);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    if (node.has("when")) {
      builder.when(conditions(node.get("when"), where + ".when"));
    }
    return builder.build();
  }

  /** A single condition, or a list of conditions that must all hold. */
  private static ProcessorPredicate conditions(JsonNode node, String where) {
    if (node.isArray()) {
      if (node.isEmpty()) {
        throw new IllegalArgumentException(where + ": expected at least one condition; found []");
      }
      List<ProcessorPredicate> all = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        all.add(condition(node.get(i), where + "[" + i + "]"));
      }
      return ProcessorPredicate.allOf(all);
    }
    return condition(node, where);
  }

  private static ProcessorPredicate condition(JsonNode node, String where) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + ": expected a condition such as {path: detail.state, equals:"
          + " TERMINATED}, or {anyOf: [...]}; found " + JsonValues.describe(node));
    }
    for (String combinator : COMBINATORS) {
      if (node.has(combinator)) {
        requireKeys(node, Set.of(combinator), where);
        JsonNode list = node.get(combinator);
        if (!list.isArray() || list.isEmpty()) {
          throw new IllegalArgumentException(where + "." + combinator + ": expected a non-empty list of conditions;"
              + " found " + JsonValues.describe(list));
        }
        List<ProcessorPredicate> parts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          parts.add(condition(list.get(i), where + "." + combinator + "[" + i + "]"));
        }
        return combinator.equals("anyOf") ? ProcessorPredicate.anyOf(parts) : ProcessorPredicate.allOf(parts);
      }
    }
    Set<String> allowed = new java.util.HashSet<>(TESTS);
    allowed.add("path");
    requireKeys(node, allowed, where);
    String path = requiredText(node, "path", where);
    List<String> tests = new ArrayList<>();
    node.fieldNames().forEachRemaining(name -> {
      if (TESTS.contains(name)) {
        tests.add(name);
      }
    });
    if (tests.size() != 1) {
      throw new IllegalArgumentException(where + ": expected exactly one of " + sorted(TESTS) + " beside 'path';"
          + " found " + (tests.isEmpty() ? "none" : tests));
    }
    String test = tests.get(0);
    JsonNode value = node.get(test);
    try {
      return switch (test) {
        case "equals" -> ProcessorPredicate.equalTo(path, value);
        case "in" -> ProcessorPredicate.in(path, values(value, where + ".in"));
        case "not-in" -> ProcessorPredicate.notIn(path, values(value, where + ".not-in"));
        case "contains" -> ProcessorPredicate.contains(path, value);
        case "exists" -> {
          if (!value.isBoolean()) {
            throw new IllegalArgumentException("exists must be true or false: " + JsonValues.describe(value));
          }
          ProcessorPredicate exists = ProcessorPredicate.exists(path);
          yield value.booleanValue() ? exists : exists.negate();
        }
        default -> throw new IllegalStateException("unreachable: " + test);
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static List<JsonNode> values(JsonNode node, String where) {
    if (!node.isArray() || node.isEmpty()) {
      throw new IllegalArgumentException(where + ": expected a non-empty list of values; found "
          + JsonValues.describe(node));
    }
    List<JsonNode> values = new ArrayList<>();
    node.forEach(values::add);
    return values;
  }

  private static String requiredText(JsonNode node, String key, String where) {
    JsonNode value = node.path(key);
    if (!value.isTextual() || value.textValue().isBlank()) {
      throw new IllegalArgumentException(where + "." + key + ": expected a non-blank string; found "
          + JsonValues.describe(value));
    }
    return value.textValue();
  }

  private static void requireKeys(JsonNode node, Set<String> allowed, String where) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(where + ": unknown key '" + name + "'; expected one of "
            + sorted(allowed));
      }
    }
  }

  private static List<String> sorted(Set<String> names) {
    return names.stream().sorted().toList();
  }
}
