package io.github.ratelimiter;

import java.util.concurrent.CompletableFuture;

/**
 * An estimate admitted now and paid for when the work is done: what {@link FungibleLimiter#tryReserve(String, Cost)}
 * returns. The work's real cost is often known only afterwards (the tokens an LLM call used, the bytes a download
 * sent); the reserve admits or denies the estimate exactly as {@link FungibleLimiter#tryAcquire(String, Cost)} would,
 * and {@link #settle(Cost)} replaces it by the actual cost.
 *
 * <pre>{@code
 * try (Charge charge = llm.tryReserve(apiKey, Cost.of(Map.of("requests", 1L, "tokens", 1_000L)))) {
 *   if (charge.decision().denied()) return tooManyRequests(charge.decision().retryAfter());
 *   Completion done = model.complete(prompt);
 *   charge.settle(Cost.of(Map.of("requests", 1L, "tokens", done.totalTokens())));
 *   return done;
 * } // an exception before settle: closed, it counts at the estimate
 * }</pre>
 *
 * <ul>
 *   <li>{@link #settle(Cost)}, actual below the estimate: the difference goes back to the bucket, as far as the
 *       estimate's slots still lie ahead of now (the part already passed is forfeited: never a credit the bucket did
 *       not have, never above its full burst). Above the estimate: the extra is charged even past the limit, so the
 *       account goes into debt and its later requests are denied until time has paid it off, at exactly the refill
 *       rate; at most {@link LimiterOptions#maxDebt()} of each limit, and the part of the extra beyond that is not
 *       charged but reported ({@link RateLimiterListener#onCostLost}) and logged. Equal: nothing is sent.
 *   <li>{@link #cancel()}: the work did not happen; the estimate goes back as a settle of nothing would.
 *   <li>{@link #close()} without a settle or cancel: settled at the estimate (unreported usage is never free); sends
 *       nothing.
 * </ul>
 *
 * <p>Store cost: the reserve is one write (as a decision is); a settle is one write when the actual cost differs
 * from the estimate (two when a quota's limits move both ways: some back, some beyond), none when equal; a cancel is
 * one write. A settle or cancel that fails (after the store's retries) is not thrown: it is reported to the listener
 * ({@link RateLimiterListener#onCostLost}) and logged once per interval; a lost refund leaves the bucket charged
 * more than it should be (under-admission only), a lost extra charge leaves that usage uncounted.
 *
 * <p>A charge that was denied, or admitted degraded without the store ({@link Decision#degraded()}: nothing was
 * counted), has nothing to give back or charge: its cancel and close do nothing, and its settle only records that
 * it happened (of a denied charge, it throws).
 *
 * <p>Thread-safe: settle, cancel and close may be called from any thread, and race safely (the first wins); cancel
 * and close are idempotent; a settle after a settle, a cancel or a close is an {@link IllegalStateException}.
 */
public interface Charge extends AutoCloseable {

  /** Whether the estimate was admitted, and the bucket's state then, exactly as a {@code tryAcquire} reports it. */
  Decision decision();

  /** The estimate reserved. */
  Cost estimate();

  /**
   * Replaces the estimate by the actual cost: gives back the difference or charges the extra (see above).
   *
   * @throws IllegalArgumentException if {@code actual} is null or names a limit the account's quota does not have
   *     (checked before anything is sent); an actual cost may take more than a limit, unlike an estimate
   * @throws IllegalStateException if the charge was denied, or already settled, cancelled or closed
   */
  void settle(Cost actual);

  /**
   * {@link #settle(Cost)} without waiting, for the non-blocking path ({@link AsyncFungibleLimiter#tryReserve}): the
   * same checks, made at once (an {@link IllegalArgumentException} or {@link IllegalStateException} is thrown by the
   * call itself, before anything is sent), then the same writes; the future completes when they have been answered,
   * and never exceptionally (a failed write is reported and logged, as for {@code settle}).
   */
  CompletableFuture<Void> settleAsync(Cost actual);

  /** The work did not happen: gives back the estimate. Does nothing when already settled, cancelled or closed. */
  void cancel();

  /** {@link #cancel()} without waiting; the future completes when the refund has been answered, never exceptionally. */
  CompletableFuture<Void> cancelAsync();

  /** Settles at the estimate, unless already settled or cancelled; sends nothing. Idempotent. */
  @Override
  void close();
}
