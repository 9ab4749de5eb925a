package io.github.ratelimiter.events;

import java.util.List;
import java.util.Objects;

/**
 * What {@link EventProcessorManager#processEvent} did with one event. Immutable.
 *
 * @param outcome what happened
 * @param eventId the event's {@code id}, or {@code null} when it has none
 * @param source the event's {@code source}, or {@code null} when it has none
 * @param detailType the event's {@code detail-type}, or {@code null} when it has none
 * @param resourceIds the resource ids that matching processors found in the event, in processor order, without
 *     repeats; empty unless the outcome is {@link Outcome#RELEASED} or {@link Outcome#NO_MATCHING_TOKEN}
 * @param releasedTokens how many token rows were deleted
 * @param message why, for people and logs
 */
public record ProcessingResult(
    Outcome outcome, String eventId, String source, String detailType, List<String> resourceIds,
    int releasedTokens, String message) {

  /** What happened to an event. */
  public enum Outcome {
    /** Every resource id the event named had a token, and each was deleted. Remembered for de-duplication. */
    RELEASED,
    /**
     * A processor matched, but at least one resource id had no token to delete: it was never tokenized, was
     * already released or expired, or the resource index has not caught up with a token written just before (on
     * DynamoDB the index is eventually consistent). Not remembered, so a redelivery tries again.
     */
    NO_MATCHING_TOKEN,
    /**
     * The event does not concern a tokenized resource: no processor for its source and detail-type, no processor's
     * predicate holds, no usable resource id at the id path, or a predicate threw. Remembered for de-duplication.
     */
    IGNORED,
    /** An event with this {@code id} was already released or ignored recently; nothing was done. */
    DUPLICATE,
    /**
     * Not an event: not JSON, not a JSON object, or without a string {@code source}. Never remembered. Retrying it
     * cannot help; a queue should move it to a dead-letter queue.
     */
    MALFORMED
  }

  /** Validates the result. */
  public ProcessingResult {
    Objects.requireNonNull(outcome, "outcome");
    resourceIds = List.copyOf(resourceIds);
    Objects.requireNonNull(message, "message");
    if (releasedTokens < 0) {
      throw new IllegalArgumentException("releasedTokens must not be negative: " + releasedTokens);
    }
  }

  /** Whether the outcome is final, so that a redelivery of the event needs no work: released or ignored. */
  public boolean isFinal() {
    return outcome == Outcome.RELEASED || outcome == Outcome.IGNORED;
  }
}
