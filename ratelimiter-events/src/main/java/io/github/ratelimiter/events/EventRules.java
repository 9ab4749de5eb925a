package io.github.ratelimiter.events;

import io.github.ratelimiter.events.internal.RulesParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Processors written as data, so that a Lambda function is configured without code: a YAML or JSON document read
 * from a string (an environment variable), a classpath resource or a file.
 *
 * <pre>{@code
 * processors:
 *   - source: aws.emr
 *     detailType: EMR Cluster State Change
 *     idPath: detail.clusterId
 *     when:
 *       - path: detail.state
 *         in: [TERMINATED, TERMINATED_WITH_ERRORS]
 *   - source: aws.ec2
 *     detailType: EC2 Instance State-change Notification
 *     idPath: detail.instance-id
 *     when:
 *       - path: detail.state
 *         in: [terminated]
 *   - source: aws.batch
 *     detailType: Batch Job State Change
 *     idPath: detail.jobId
 *     when:
 *       - anyOf:
 *           - {path: detail.status, equals: SUCCEEDED}
 *           - {path: detail.status, equals: FAILED}
 * }</pre>
 *
 * <p><b>Processors.</b> {@code processors} is a list (the document may also be the list itself). Each entry has
 * {@code source} and {@code idPath} (required), {@code detailType} (optional: without it the processor handles the
 * source's events that no processor with their detail-type handles), and {@code when} (optional: one condition or
 * a list of conditions that must all hold).
 *
 * <p><b>Conditions.</b> A {@code path} (dot-separated keys and array indexes, e.g. {@code detail.instance-id},
 * {@code resources.0}) and exactly one test:
 * <ul>
 *   <li>{@code equals: V} — the value equals {@code V} (numbers by value; {@code "0"} is not {@code 0});</li>
 *   <li>{@code in: [V, ...]} — it equals one of them;</li>
 *   <li>{@code not-in: [V, ...]} — it is present and equals none of them;</li>
 *   <li>{@code contains: V} — a list holding {@code V}, or a string holding the string {@code V};</li>
 *   <li>{@code exists: true|false} — the path is present and not null, or not.</li>
 * </ul>
 * Every test but {@code exists} is false when the path is absent. Falsy values ({@code 0}, {@code false},
 * {@code ""}) are values like any other. {@code anyOf: [conditions]} holds when one of them does,
 * {@code allOf: [conditions]} when all do. Unknown keys are errors, so a misspelt test never silently matches
 * everything.
 *
 * <p>Stateless and thread-safe.
 */
public final class EventRules {

  private EventRules() {}

  /**
   * Parses a rules document: JSON when it starts with <code>'{'</code> or <code>'['</code>, YAML otherwise.
   *
   * @throws IllegalArgumentException if the document is not valid, naming where and why
   */
  public static List<EventProcessor> parse(String rules) {
    return RulesParser.parse(rules, "text");
  }

  /**
   * Reads and parses a UTF-8 rules document from the classpath, e.g. {@code "ratelimiter-rules.yaml"}.
   *
   * @throws IllegalArgumentException if there is no such resource or it is not valid
   */
  public static List<EventProcessor> fromResource(String resourceName) {
    Objects.requireNonNull(resourceName, "resourceName");
    String name = resourceName.startsWith("/") ? resourceName.substring(1) : resourceName;
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = EventRules.class.getClassLoader();
    }
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalArgumentException("resourceName names no classpath resource: '" + resourceName + "'");
      }
      return RulesParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "classpath:" + name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read classpath resource '" + resourceName + "'", e);
    }
  }

  /**
   * Reads and parses a UTF-8 rules document from a file.
   *
   * @throws IllegalArgumentException if it is not valid
   * @throws UncheckedIOException if it cannot be read
   */
  public static List<EventProcessor> fromFile(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      return RulesParser.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read rules file " + file, e);
    }
  }
}
