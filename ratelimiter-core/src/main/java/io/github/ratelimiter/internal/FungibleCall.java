package io.github.ratelimiter.internal;

import io.github.ratelimiter.store.Deadline;

/**
 * One fungible decision on its way through the limiter's steps (resolve, leased, direct): who asks for how much, on
 * which bucket at which rate, the time it is decided at and its deadline, and whether it asked the store, for the
 * one exit that reports it. Confined to the deciding thread.
 */
final class FungibleCall {

  final String accountId;
  final long permits;
  final Deadline deadline;
  /** Now, in epoch nanoseconds; read again by a decision that waited for another thread's store call. */
  long now;
  /** Set by the resolve step. */
  KnownBucket bucket;
  /** Set by the resolve step. */
  Rate rate;
  /** {@code permits * T}, set by the resolve step. */
  long cost;
  /** Whether the account's key takes the leased path, set by the resolve step. */
  boolean leased;
  /** Whether this decision sent a store request of its own (not a lease write, not one it waited for). */
  boolean storeAsked;

  FungibleCall(String accountId, long permits, long now, Deadline deadline) {
    this.accountId = accountId;
    this.permits = permits;
    this.now = now;
    this.deadline = deadline;
  }
}
