package io.github.ratelimiter.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.ratelimiter.events.internal.EventPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Says which events of one source (and, optionally, one detail-type) end a tokenized resource, and where the
 * resource's id is in them.
 *
 * <pre>{@code
 * EventProcessor clusters = EventProcessor.builder()
 *     .source("aws.emr")
 *     .detailType("EMR Cluster State Change")
 *     .idPath("detail.clusterId")
 *     .when(ProcessorPredicate.in("detail.state", List.of("TERMINATED", "TERMINATED_WITH_ERRORS")))
 *     .build();
 * }</pre>
 *
 * <p>A processor without a detail-type handles every event of its source that no processor with the event's own
 * detail-type handles (see {@link EventProcessorManager}). A processor without a predicate matches every event it
 * handles. Immutable and thread-safe.
 */
public final class EventProcessor {

  private final String source;
  private final String detailType;
  private final EventPath idPath;
  private final ProcessorPredicate predicate;

  private EventProcessor(Builder builder) {
    this.source = builder.source;
    this.detailType = builder.detailType;
    this.idPath = builder.idPath;
    this.predicate = builder.predicates.isEmpty() ? null : ProcessorPredicate.allOf(builder.predicates);
  }

  /** A builder; {@link Builder#source(String) source} and {@link Builder#idPath(String) idPath} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The event {@code source} this processor handles, e.g. {@code aws.emr}. */
  public String source() {
    return source;
  }

  /** The event {@code detail-type} this processor handles, or empty for any. */
  public Optional<String> detailType() {
    return Optional.ofNullable(detailType);
  }

  /** Where the resource id is, e.g. {@code detail.clusterId}. */
  public String idPath() {
    return idPath.toString();
  }

  /** What an event must satisfy, or empty when every handled event matches. */
  public Optional<ProcessorPredicate> predicate() {
    return Optional.ofNullable(predicate);
  }

  /**
   * Whether the event satisfies the predicate (true without one). Exceptions from a wrapped
   * {@link java.util.function.Predicate} propagate.
   */
  public boolean matches(JsonNode event) {
    return predicate == null || predicate.test(event);
  }

  /**
   * The resource id in the event: the text at the id path, when it is a non-blank string; empty otherwise (absent,
   * null, a number, an object).
   */
  public Optional<String> resourceId(JsonNode event) {
    JsonNode id = idPath.resolve(event);
    return id.isTextual() && !id.textValue().isBlank() ? Optional.of(id.textValue()) : Optional.empty();
  }

  @Override
  public String toString() {
    return "EventProcessor{source=" + source + (detailType == null ? "" : ", detailType=" + detailType)
        + ", idPath=" + idPath + (predicate == null ? "" : ", when=" + predicate) + "}";
  }

  /** Configures an {@link EventProcessor}. Not thread-safe; each setter fails fast on a bad value. */
  public static final class Builder {
    private String source;
    private String detailType;
    private EventPath idPath;
    private final List<ProcessorPredicate> predicates = new ArrayList<>();

    private Builder() {}

    /**
     * The event {@code source} (required), e.g. {@code aws.emr}, {@code aws.ec2}, {@code aws.batch}.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder source(String source) {
      this.source = requireText("source", source);
      return this;
    }

    /**
     * The event {@code detail-type}, e.g. {@code EMR Cluster State Change}; unset (the default) for every
     * detail-type of the source.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder detailType(String detailType) {
      this.detailType = requireText("detailType", detailType);
      return this;
    }

    /**
     * Where the resource id is (required): dot-separated keys and array indexes, e.g. {@code detail.clusterId},
     * {@code detail.instance-id}, {@code resources.0}.
     *
     * @throws IllegalArgumentException if blank or with an empty segment
     */
    public Builder idPath(String idPath) {
      this.idPath = EventPath.parse("idPath", idPath);
      return this;
    }

    /** A predicate the event must satisfy; when called more than once, every predicate must hold. */
    public Builder when(ProcessorPredicate predicate) {
      predicates.add(Objects.requireNonNull(predicate, "predicate"));
      return this;
    }

    /**
     * Builds the processor.
     *
     * @throws IllegalStateException if the source or the id path is not set
     */
    public EventProcessor build() {
      if (source == null) {
        throw new IllegalStateException("source is required: call source(...), e.g. source(\"aws.emr\")");
      }
      if (idPath == null) {
        throw new IllegalStateException("idPath is required: call idPath(...), e.g. idPath(\"detail.clusterId\")");
      }
      return new EventProcessor(this);
    }

    private static String requireText(String argument, String value) {
      if (value == null) {
        throw new IllegalArgumentException(argument + " must not be null");
      }
      if (value.isBlank()) {
        throw new IllegalArgumentException(argument + " must not be blank: '" + value + "'");
      }
      return value;
    }
  }
}
