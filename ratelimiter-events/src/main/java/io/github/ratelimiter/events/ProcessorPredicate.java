package io.github.ratelimiter.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ratelimiter.events.internal.EventPath;
import io.github.ratelimiter.events.internal.JsonValues;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A test of an event: a path into the event and a {@link Predicate} on the value found there, composable with
 * {@link #and(ProcessorPredicate) and}, {@link #or(ProcessorPredicate) or} and {@link #negate() negate}.
 *
 * <pre>{@code
 * ProcessorPredicate terminated = ProcessorPredicate.in("detail.state", List.of("TERMINATED", "TERMINATED_WITH_ERRORS"));
 * ProcessorPredicate notDebugging = ProcessorPredicate.of("detail.name", name -> !name.asText().contains("debugging"));
 * ProcessorPredicate succeeded = ProcessorPredicate.equalTo("detail.attempts.0.container.exitCode", 0);
 * EventProcessor processor = EventProcessor.builder()
 *     .source("aws.emr").detailType("EMR Cluster State Change").idPath("detail.clusterId")
 *     .when(terminated.and(notDebugging))
 *     .build();
 * }</pre>
 *
 * <p><b>Values.</b> The value at the path is a Jackson {@link JsonNode}. Every value that is present is tested as it
 * is, falsy ones included: {@code 0}, {@code false}, {@code ""}, {@code []} and JSON {@code null} reach the predicate
 * like any other, so {@code exitCode == 0} holds for a zero exit code. When the path is absent
 * the predicate is not called and the test is false; {@link #exists(String)} is the way to test presence.
 *
 * <p><b>Composition.</b> Each combinator returns a new predicate and groups exactly as written, like Java's
 * {@code &&} and {@code ||} applied left to right: {@code a.and(b).or(c)} is {@code (a && b) || c}, and
 * {@code a.and(b.or(c))} is {@code a && (b || c)}. {@link #allOf(Collection)} and {@link #anyOf(Collection)} combine
 * many.
 *
 * <p>Immutable and thread-safe when the wrapped {@link Predicate}s are.
 */
public final class ProcessorPredicate {

  private final Predicate<JsonNode> onEvent;
  private final String description;

  private ProcessorPredicate(Predicate<JsonNode> onEvent, String description) {
    this.onEvent = onEvent;
    this.description = description;
  }

  /**
   * A predicate on the value at {@code path}; false when the path is absent.
   *
   * @param path dot-separated keys and array indexes, e.g. {@code detail.name} or {@code resources.0}
   * @param test called with the value present at the path (which may be a falsy value or JSON null)
   * @throws IllegalArgumentException if the path is blank or has an empty segment
   */
  public static ProcessorPredicate of(String path, Predicate<? super JsonNode> test) {
    Objects.requireNonNull(test, "test");
    return onValue(path, test, path + " matches " + test);
  }

  /**
   * The value at {@code path} equals {@code expected}: numbers by value, other values by type and content
   * ({@code "0"} does not equal {@code 0}).
   *
   * @param expected a string, number, boolean, {@code null} (matches JSON null) or {@link JsonNode}
   */
  public static ProcessorPredicate equalTo(String path, Object expected) {
    JsonNode value = JsonValues.toNode(expected);
    return onValue(path, actual -> JsonValues.same(actual, value), path + " equals " + JsonValues.describe(value));
  }

  /**
   * The value at {@code path} equals one of {@code values}.
   *
   * @throws IllegalArgumentException if {@code values} is empty
   */
  public static ProcessorPredicate in(String path, Collection<?> values) {
    List<JsonNode> nodes = nodes("values", values);
    return onValue(path, actual -> anySame(actual, nodes), path + " in " + nodes);
  }

  /**
   * The value at {@code path} is present and equals none of {@code values}; false when the path is absent.
   *
   * @throws IllegalArgumentException if {@code values} is empty
   */
  public static ProcessorPredicate notIn(String path, Collection<?> values) {
    List<JsonNode> nodes = nodes("values", values);
    return onValue(path, actual -> !anySame(actual, nodes), path + " not-in " + nodes);
  }

  /**
   * The value at {@code path} contains {@code element}: an array holding an equal value, or a string holding the
   * given string.
   */
  public static ProcessorPredicate contains(String path, Object element) {
    JsonNode value = JsonValues.toNode(element);
    return onValue(path, actual -> JsonValues.contains(actual, value),
        path + " contains " + JsonValues.describe(value));
  }

  /** The path is present and its value is not JSON null. */
  public static ProcessorPredicate exists(String path) {
    EventPath at = EventPath.parse("path", path);
    return new ProcessorPredicate(event -> {
      JsonNode value = at.resolve(event);
      return !value.isMissingNode() && !value.isNull();
    }, path + " exists");
  }

  /**
   * True when every predicate is; {@code allOf(List.of())} is always true.
   *
   * @throws NullPointerException if the collection or an element is null
   */
  public static ProcessorPredicate allOf(Collection<ProcessorPredicate> predicates) {
    List<ProcessorPredicate> all = List.copyOf(predicates);
    if (all.size() == 1) {
      return all.get(0);
    }
    return new ProcessorPredicate(event -> all.stream().allMatch(p -> p.test(event)),
        all.isEmpty() ? "always" : join(all, " and "));
  }

  /**
   * True when at least one predicate is; {@code anyOf(List.of())} is always false.
   *
   * @throws NullPointerException if the collection or an element is null
   */
  public static ProcessorPredicate anyOf(Collection<ProcessorPredicate> predicates) {
    List<ProcessorPredicate> any = List.copyOf(predicates);
    if (any.size() == 1) {
      return any.get(0);
    }
    return new ProcessorPredicate(event -> any.stream().anyMatch(p -> p.test(event)),
        any.isEmpty() ? "never" : join(any, " or "));
  }

  /** This predicate and then {@code other}: {@code this && other}, short-circuiting. */
  public ProcessorPredicate and(ProcessorPredicate other) {
    return allOf(List.of(this, Objects.requireNonNull(other, "other")));
  }

  /** This predicate or else {@code other}: {@code this || other}, short-circuiting. */
  public ProcessorPredicate or(ProcessorPredicate other) {
    return anyOf(List.of(this, Objects.requireNonNull(other, "other")));
  }

  /** The opposite: true exactly when this is false (so true when this predicate's path is absent). */
  public ProcessorPredicate negate() {
    return new ProcessorPredicate(onEvent.negate(), "not (" + description + ")");
  }

  /**
   * Tests an event. An exception thrown by a wrapped {@link Predicate} propagates (the manager reports the event
   * as ignored and logs it).
   *
   * @param event the whole event document
   */
  public boolean test(JsonNode event) {
    return onEvent.test(Objects.requireNonNull(event, "event"));
  }

  /** What the predicate tests, e.g. {@code (detail.state in ["TERMINATED"] and detail.name exists)}. */
  @Override
  public String toString() {
    return description;
  }

  private static ProcessorPredicate onValue(String path, Predicate<? super JsonNode> test, String description) {
    EventPath at = EventPath.parse("path", path);
    return new ProcessorPredicate(event -> {
      JsonNode value = at.resolve(event);
      return !value.isMissingNode() && test.test(value);
    }, description);
  }

  private static boolean anySame(JsonNode actual, List<JsonNode> values) {
    for (JsonNode value : values) {
      if (JsonValues.same(actual, value)) {
        return true;
      }
    }
    return false;
  }

  private static List<JsonNode> nodes(String argument, Collection<?> values) {
    Objects.requireNonNull(values, argument);
    if (values.isEmpty()) {
      throw new IllegalArgumentException(argument + " must not be empty: " + values);
    }
    List<JsonNode> nodes = new ArrayList<>(values.size());
    for (Object value : values) {
      nodes.add(JsonValues.toNode(value));
    }
    return List.copyOf(nodes);
  }

  private static String join(List<ProcessorPredicate> predicates, String operator) {
    return predicates.stream().map(p -> p.description).collect(Collectors.joining(operator, "(", ")"));
  }
}
