package io.github.ratelimiter.server.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read into a small tree that keeps each node's line, so that every problem in a configuration file
 * can name its file, line and field. Jackson's YAML parser (SnakeYAML underneath) reads the text; only the first
 * document of a file is read, as envoyproxy/ratelimit's {@code yaml.Unmarshal} does.
 */
final class YamlTree {

  private YamlTree() {}

  /** A node: a mapping, a sequence or a scalar, with the line (1-based) where it starts. */
  sealed interface Node permits Mapping, Sequence, Scalar {
    int line();
  }

  /** A mapping; keys in file order, each with the line of its key. */
  record Mapping(int line, Map<String, Node> entries, Map<String, Integer> keyLines) implements Node {}

  /** A sequence. */
  record Sequence(int line, List<Node> items) implements Node {}

  /**
   * A scalar: its text, and the token Jackson read it as (a string, an integer, a float, a boolean or null), so that
   * {@code requests_per_unit: "10"} (a string) can be told from {@code requests_per_unit: 10}.
   */
  record Scalar(int line, JsonToken token, String text) implements Node {
    boolean isNull() {
      return token == JsonToken.VALUE_NULL;
    }
  }

  /** A problem found while reading: the line and what is wrong. */
  static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;
    final int line;

    SyntaxException(int line, String message) {
      super(message);
      this.line = line;
    }
  }

  private static final YAMLFactory FACTORY = YAMLFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
      .build();

  /**
   * Reads the first document of {@code text}; an empty document is an empty mapping at line 1.
   *
   * @throws SyntaxException for text that is not YAML, or a mapping with the same key twice
   */
  static Node read(String text) throws SyntaxException {
    try (JsonParser parser = FACTORY.createParser(text)) {
      JsonToken token = parser.nextToken();
      if (token == null) {
        return new Mapping(1, Map.of(), Map.of());
      }
      return node(parser);
    } catch (IOException e) {
      int line = e instanceof com.fasterxml.jackson.core.JsonProcessingException p && p.getLocation() != null
          ? p.getLocation().getLineNr() : 1;
      throw new SyntaxException(Math.max(line, 1), "not valid YAML: " + firstLine(e.getMessage()));
    }
  }

  private static Node node(JsonParser parser) throws IOException, SyntaxException {
    int line = parser.currentTokenLocation().getLineNr();
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, Node> entries = new LinkedHashMap<>();
        Map<String, Integer> keyLines = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String key = parser.currentName();
          int keyLine = parser.currentTokenLocation().getLineNr();
          if (entries.containsKey(key)) {
            throw new SyntaxException(keyLine, "key '" + key + "' appears twice in one mapping (first on line "
                + keyLines.get(key) + ")");
          }
          parser.nextToken();
          keyLines.put(key, keyLine);
          entries.put(key, node(parser));
        }
        return new Mapping(line, entries, keyLines);
      }
      case START_ARRAY -> {
        List<Node> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(node(parser));
        }
        return new Sequence(line, items);
      }
      default -> {
        return new Scalar(line, token, token == JsonToken.VALUE_NULL ? null : parser.getText());
      }
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
