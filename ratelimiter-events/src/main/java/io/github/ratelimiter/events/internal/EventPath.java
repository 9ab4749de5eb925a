package io.github.ratelimiter.events.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A dot-separated path into a JSON document: {@code detail.clusterId}, {@code detail.instance-id},
 * {@code resources.0}, {@code detail.attempts.0.container.exitCode}.
 *
 * <p>Each segment names an object's field, or, when the node reached so far is an array and the segment is a
 * non-negative decimal number, an element of the array. Field names may hold any character but {@code '.'}
 * (dashes, spaces and digits included); a segment is never empty. Immutable and thread-safe.
 */
public final class EventPath {

  private static final Pattern INDEX = Pattern.compile("0|[1-9][0-9]{0,8}");

  private final String text;
  private final List<String> segments;

  private EventPath(String text, List<String> segments) {
    this.text = text;
    this.segments = segments;
  }

  /**
   * Parses a path.
   *
   * @param argument the name of the argument being parsed, for the error message
   * @throws IllegalArgumentException if the path is null, blank, or has an empty segment
   */
  public static EventPath parse(String argument, String path) {
    if (path == null) {
      throw new IllegalArgumentException(argument + " must not be null");
    }
    if (path.isBlank()) {
      throw new IllegalArgumentException(argument + " must not be blank: '" + path + "'");
    }
    List<String> segments = List.of(path.split("\\.", -1));
    for (String segment : segments) {
      if (segment.isEmpty()) {
        throw new IllegalArgumentException(argument + " must be dot-separated non-empty keys or array indexes, e.g."
            + " 'detail.clusterId' or 'resources.0': '" + path + "'");
      }
    }
    return new EventPath(path, segments);
  }

  /**
   * The node at this path in {@code document}: possibly a JSON {@code null} node, or a
   * {@linkplain JsonNode#isMissingNode() missing node} when some segment is absent (never Java {@code null}).
   */
  public JsonNode resolve(JsonNode document) {
    JsonNode node = Objects.requireNonNull(document, "document");
    for (String segment : segments) {
      if (node.isArray()) {
        node = INDEX.matcher(segment).matches() ? node.path(Integer.parseInt(segment)) : MissingNode.getInstance();
      } else if (node.isObject()) {
        node = node.path(segment);
      } else {
        return MissingNode.getInstance();
      }
      if (node.isMissingNode()) {
        return node;
      }
    }
    return node;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof EventPath that && text.equals(that.text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** The path as written. */
  @Override
  public String toString() {
    return text;
  }
}
