package io.github.ratelimiter.events.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;

/** Comparisons of JSON values as the rule conditions define them. Stateless. */
public final class JsonValues {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonValues() {}

  /**
   * A Java value ({@code String}, {@code Number}, {@code Boolean}, {@code null}, a {@code JsonNode}, lists and maps)
   * as a JSON node.
   *
   * @throws IllegalArgumentException if the value cannot be written as JSON
   */
  public static JsonNode toNode(Object value) {
    if (value == null) {
      return NullNode.getInstance();
    }
    if (value instanceof JsonNode node) {
      return node;
    }
    return MAPPER.valueToTree(value);
  }

  /**
   * Whether two JSON values are equal: numbers by value ({@code 0}, {@code 0.0} and {@code 0L} are equal), everything
   * else by type and content ({@code "0"} is not {@code 0}, {@code false} is not {@code ""}).
   */
  public static boolean same(JsonNode actual, JsonNode expected) {
    if (actual.isNumber() && expected.isNumber()) {
      return actual.decimalValue().compareTo(expected.decimalValue()) == 0;
    }
    return actual.equals(expected);
  }

  /**
   * Whether {@code container} contains {@code element}: an array holding an equal value, or a string holding the
   * expected string as a substring. Anything else contains nothing.
   */
  public static boolean contains(JsonNode container, JsonNode element) {
    if (container.isArray()) {
      for (JsonNode item : container) {
        if (same(item, element)) {
          return true;
        }
      }
      return false;
    }
    return container.isTextual() && element.isTextual() && container.textValue().contains(element.textValue());
  }

  /** A short rendering for messages: JSON text, cut to 80 characters. */
  public static String describe(JsonNode node) {
    String text = node.isMissingNode() ? "<absent>" : node.toString();
    return text.length() <= 80 ? text : text.substring(0, 77) + "...";
  }
}
