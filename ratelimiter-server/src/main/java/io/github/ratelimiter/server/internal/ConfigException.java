package io.github.ratelimiter.server.internal;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration that was refused, with every problem found: each names its file, line and field. The message is
 * one problem per line, {@code path:line: field: what is wrong}.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * One problem.
   *
   * @param file the file, as given or found in the folder
   * @param line the line, 1-based
   * @param field the field's path in the file, e.g. {@code descriptors[0].rate_limit.unit}; empty for the file
   * @param message what is wrong, with the bad value
   */
  public record Problem(String file, int line, String field, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + (field.isEmpty() ? "" : field + ": ") + message;
    }
  }

  private final transient List<Problem> problems;

  ConfigException(List<Problem> problems) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, in file order. */
  public List<Problem> problems() {
    return problems;
  }
}
