package io.github.ratelimiter.testing.dynamodb;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * One kind of failure that a {@link FaultProxy} injects into the requests it passes on: added latency, an error
 * answer as DynamoDB sends it, a dropped connection, or no answer at all. A fault applies to a {@linkplain #share
 * share} of the requests (all by default) of {@linkplain #forOperations chosen operations} (all by default).
 *
 * <pre>{@code
 * proxy.inject(Fault.provisionedThroughputExceeded().forOperations("UpdateItem").share(0.3));
 * proxy.inject(Fault.latency(Duration.ofMillis(150)));
 * }</pre>
 *
 * <p>Immutable and thread-safe; the modifiers return a new fault.
 */
public final class Fault {

  /** What the proxy does to a request the fault hits. */
  public enum Kind {
    /** Waits {@link #latency()}, then forwards the request as usual. */
    LATENCY,
    /** Answers 400 {@code ProvisionedThroughputExceededException} without forwarding: nothing is written. */
    PROVISIONED_THROUGHPUT_EXCEEDED,
    /** Answers 400 {@code ThrottlingException} without forwarding: nothing is written. */
    THROTTLING,
    /** Answers 500 {@code InternalServerError} without forwarding: nothing is written. */
    SERVER_ERROR,
    /** Closes the client's connection without forwarding: nothing is written, the client sees a reset. */
    DROP_REQUEST,
    /**
     * Forwards the request, then closes the client's connection instead of answering: the write is applied but
     * the client never learns it, the case that makes a retried write spend twice.
     */
    DROP_RESPONSE,
    /** Never answers (until the fault is removed or the proxy closes): the client's timeouts must end the call. */
    BLACKHOLE
  }

  private final Kind kind;
  private final Duration latency;
  private final double share;
  private final Set<String> operations;

  private Fault(Kind kind, Duration latency, double share, Set<String> operations) {
    this.kind = kind;
    this.latency = latency;
    this.share = share;
    this.operations = operations;
  }

  /** Adds {@code latency} before the request is forwarded. */
  public static Fault latency(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + latency);
    }
    return new Fault(Kind.LATENCY, latency, 1.0, Set.of());
  }

  /** HTTP 400 with DynamoDB's {@code ProvisionedThroughputExceededException} body. */
  public static Fault provisionedThroughputExceeded() {
    return of(Kind.PROVISIONED_THROUGHPUT_EXCEEDED);
  }

  /** HTTP 400 with DynamoDB's {@code ThrottlingException} body. */
  public static Fault throttling() {
    return of(Kind.THROTTLING);
  }

  /** HTTP 500 with DynamoDB's {@code InternalServerError} body. */
  public static Fault serverError() {
    return of(Kind.SERVER_ERROR);
  }

  /** The connection closed before the request reaches the store. */
  public static Fault dropRequest() {
    return of(Kind.DROP_REQUEST);
  }

  /** The request applied by the store, then the connection closed before the answer. */
  public static Fault dropResponse() {
    return of(Kind.DROP_RESPONSE);
  }

  /** No answer, ever, while the fault is in place. */
  public static Fault blackhole() {
    return of(Kind.BLACKHOLE);
  }

  private static Fault of(Kind kind) {
    return new Fault(kind, Duration.ZERO, 1.0, Set.of());
  }

  /** This fault for a share of the matching requests, from 0 (none) to 1 (all, the default), drawn at random. */
  public Fault share(double share) {
    if (!(share >= 0.0 && share <= 1.0)) {
      throw new IllegalArgumentException("share must be from 0 to 1: " + share);
    }
    return new Fault(kind, latency, share, operations);
  }

  /**
   * This fault for these operations only, as the SDK names them ({@code UpdateItem}, {@code PutItem}, {@code Query},
   * ...; the {@code X-Amz-Target} header without its prefix); default all.
   */
  public Fault forOperations(String... operations) {
    if (operations.length == 0) {
      throw new IllegalArgumentException("operations must name at least one operation");
    }
    return new Fault(kind, latency, share, Set.of(operations));
  }

  /** What it does. */
  public Kind kind() {
    return kind;
  }

  /** The added latency of a {@link Kind#LATENCY} fault, else zero. */
  public Duration latency() {
    return latency;
  }

  /** The share of matching requests it hits. */
  public double share() {
    return share;
  }

  /** The operations it applies to; empty for all. */
  public Set<String> operations() {
    return operations;
  }

  boolean matches(String operation) {
    return operations.isEmpty() || operations.contains(operation);
  }

  @Override
  public String toString() {
    return kind + (kind == Kind.LATENCY ? " " + latency : "") + (share < 1.0 ? " for " + share * 100 + "%" : "")
        + (operations.isEmpty() ? "" : " of " + operations);
  }
}
