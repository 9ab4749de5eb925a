package io.github.ratelimiter.lambda;

/**
 * What the function answers when a rule matched an event but no token carried the resource id
 * ({@link io.github.ratelimiter.events.ProcessingResult.Outcome#NO_MATCHING_TOKEN}).
 *
 * <p>A miss usually means the resource was never tokenized (not every cluster in an account is limited) or its
 * token was already released; rarely, that the token was written a moment before and DynamoDB's resource index has
 * not caught up. Either way the manager does not remember the miss, so a redelivery is processed afresh. Set with
 * the environment variable {@code RATELIMITER_MISSING_TOKEN} ({@code acknowledge} or {@code retry}).
 */
public enum MissingTokenPolicy {
  /**
   * The default: log the miss and report success. Nothing is retried; a token that was missed expires at its time
   * to live. Right when most matching events concern resources that were never tokenized.
   */
  ACKNOWLEDGE,
  /**
   * Report a failure so the event is delivered again: for SQS, the record is listed in {@code batchItemFailures}
   * and comes back after the queue's visibility timeout, up to its {@code maxReceiveCount}, then goes to the
   * dead-letter queue; for a direct invocation the handler throws, and Lambda retries an asynchronous invocation
   * twice. Right when every matching event concerns a tokenized resource.
   */
  RETRY
}
