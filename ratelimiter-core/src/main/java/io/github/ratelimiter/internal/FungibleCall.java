package io.github.ratelimiter.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.store.Deadline;

/**
 * One fungible decision on its way through the limiter's steps (resolve, leased, direct): who asks for how much, on
 * which bucket at which rate, the time it is decided at and its deadline, and whether it asked the store, for the
 * one exit that reports it. Confined to the deciding thread.
 */
final class FungibleCall {

  final String accountId;
  /** The permits asked of every limit, or, with a {@link #cost}, what it takes from the first limit. */
  long permits;
  /** The cost by limit name, or null: {@link #permits} from every limit. */
  final Cost cost;
  final Deadline deadline;
  /** Now, in epoch nanoseconds; read again by a decision that waited for another thread's store call. */
  long now;
  /** Set by the resolve step. */
  KnownBucket bucket;
  /** Set by the resolve step: the first limit's rate (the only one of a single limit). */
  Rate rate;
  /** Set by the resolve step: every limit of the account's quota. */
  QuotaRate quota;
  /** {@code permits * T}, set for a quota of one limit. */
  long costNanos;
  /** Each lane's cost in nanoseconds, set for a quota of several limits. */
  long[] laneCosts;
  /** Whether the account's key takes the leased path, set by the resolve step. */
  boolean leased;
  /** The account's parent by its limit row, set by the resolve step; null for none. */
  String parent;
  /** Whether this decision sent a store request of its own (not a lease write, not one it waited for). */
  boolean storeAsked;
  /** Part of a decision across several keys: decided by a store write of its own (no lease), to refund if need be. */
  boolean joint;
  /** The decision, once made (for a decision across several keys). */
  io.github.ratelimiter.Decision decision;
  /**
   * For a {@link #joint} call the store admitted with a write of its own: each lane's {@code tat} after it (what a
   * refund or settle needs); else null.
   */
  long[] tatsAfter;

  /**
   * A call for {@code permits} of every limit. Its signature names no class a plain decision may not have loaded: the
   * JIT inlines a constructor only when every class in its signature is loaded, and only an inlined constructor lets
   * the call object live in registers instead of the heap (with {@link Cost} in it, a service that never charged a
   * cost by name paid 88 bytes per decision).
   */
  FungibleCall(String accountId, long permits, long now, Deadline deadline) {
    this.accountId = accountId;
    this.permits = permits;
    this.cost = null; // not this(...): that constructor's signature names Cost
    this.now = now;
    this.deadline = deadline;
  }

  /** A call for a cost by limit name ({@code permits} 0), or for permits when {@code cost} is null. */
  FungibleCall(String accountId, long permits, Cost cost, long now, Deadline deadline) {
    this.accountId = accountId;
    this.permits = permits;
    this.cost = cost;
    this.now = now;
    this.deadline = deadline;
  }
}
