package io.github.ratelimiter.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Plain text tables for people, JSON for scripts. */
final class Output {

  static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();

  private Output() {}

  /** Prints {@code value} as JSON. */
  static void json(PrintWriter out, Object value) {
    try {
      out.println(JSON.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON: " + e.getMessage(), e);
    }
    out.flush();
  }

  /** {@code text} broken at spaces into lines shorter than {@code width}; continuation lines indented by two. */
  static String wrap(String text, int width) {
    StringBuilder wrapped = new StringBuilder();
    int lineStart = 0;
    for (String word : text.split(" ")) {
      int lineLength = wrapped.length() - lineStart;
      if (lineLength > 0 && lineLength + 1 + word.length() >= width) {
        wrapped.append("\n  ");
        lineStart = wrapped.length() - 2;
      } else if (lineLength > 0) {
        wrapped.append(' ');
      }
      wrapped.append(word);
    }
    return wrapped.toString();
  }

  /** Prints a table with a header row, columns padded to their widest cell. */
  static void table(PrintWriter out, List<String> headers, List<List<String>> rows) {
    int[] widths = new int[headers.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(headers);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], String.valueOf(row.get(i)).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        String cell = String.valueOf(row.get(i));
        line.append(cell);
        if (i < row.size() - 1) {
          line.append(" ".repeat(widths[i] - cell.length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }
}
