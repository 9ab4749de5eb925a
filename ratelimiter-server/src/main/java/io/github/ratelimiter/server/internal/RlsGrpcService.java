package io.github.ratelimiter.server.internal;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.github.ratelimiter.RateLimiterException;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit}, without a thread per request: the handler
 * admits the request ({@link Admission}: a bound on requests in flight), starts its decision and returns; the
 * response is sent from the decision's callback, on whichever thread completed it (at once for a decision made in
 * process, else the limiters' async executor once the store has answered).
 *
 * <p>A request whose client deadline passed (or that was cancelled) before it was decided, or that waited longer than
 * the request timeout for a slot among the requests in flight, is answered at once without deciding. Errors map as
 * documented: a bad request {@code INVALID_ARGUMENT} naming the field, a store failure under fail-closed
 * {@code UNAVAILABLE}, the overload {@code DEADLINE_EXCEEDED}, anything else {@code INTERNAL}.
 */
final class RlsGrpcService extends RateLimitServiceGrpc.RateLimitServiceImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(RlsGrpcService.class);

  private final Decider decider;
  private final ServerMeters meters;
  private final Admission admission;

  RlsGrpcService(Decider decider, ServerMeters meters, Admission admission) {
    this.decider = decider;
    this.meters = meters;
    this.admission = admission;
  }

  @Override
  public void shouldRateLimit(RateLimitRequest request, StreamObserver<RateLimitResponse> observer) {
    Context context = Context.current();
    if (cancelled(context, observer)) {
      return;
    }
    admission.admit(() -> decide(context, request, observer), () -> {
      meters.deadlineExceeded();
      observer.onError(Status.DEADLINE_EXCEEDED.withDescription(tooLate(admission)).asRuntimeException());
    });
  }

  /** Holds a slot of the admission: gives it back once the request is answered. */
  private void decide(Context context, RateLimitRequest request, StreamObserver<RateLimitResponse> observer) {
    if (cancelled(context, observer)) {
      admission.release();
      return;
    }
    CompletableFuture<RateLimitResponse> answer;
    try {
      answer = answer(decider, meters, request);
    } catch (RuntimeException e) {
      admission.release();
      throw e;
    }
    answer.whenComplete((response, failure) -> {
      try {
        if (failure != null) {
          observer.onError(failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure);
        } else {
          observer.onNext(response);
          observer.onCompleted();
        }
      } catch (RuntimeException e) {
        LOG.debug("could not answer a ShouldRateLimit call (closed meanwhile?)", e);
      } finally {
        admission.release();
      }
    });
  }

  private boolean cancelled(Context context, StreamObserver<RateLimitResponse> observer) {
    if (!context.isCancelled()) {
      return false;
    }
    meters.deadlineExceeded();
    observer.onError(Status.fromThrowable(context.cancellationCause()).withDescription(
        "the request's deadline passed, or it was cancelled, before it was decided").asRuntimeException());
    return true;
  }

  /** The overload error's description: the same on both listeners. */
  static String tooLate(Admission admission) {
    return "the request waited longer than the request timeout to be decided: this listener's requests in flight"
        + " were at their bound (max in flight " + admission.maxInFlight() + ")";
  }

  /**
   * Decides, mapping failures to gRPC statuses; shared with the HTTP endpoint.
   *
   * @return the response, or a future completed exceptionally with a {@link StatusRuntimeException}; never throws
   */
  static CompletableFuture<RateLimitResponse> answer(Decider decider, ServerMeters meters,
      RateLimitRequest request) {
    long start = System.nanoTime();
    return decider.decide(request).handle((response, failure) -> {
      meters.responseTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (failure == null) {
        return response;
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof InvalidRequestException) {
        meters.invalidRequest();
        throw Status.INVALID_ARGUMENT.withDescription(cause.getMessage()).asRuntimeException();
      }
      if (cause instanceof RateLimiterException) {
        meters.storeError();
        throw Status.UNAVAILABLE.withDescription("the store failed (fail-closed): " + cause.getMessage())
            .asRuntimeException();
      }
      meters.internalError();
      LOG.error("ShouldRateLimit failed for domain '{}'", request.getDomain(), cause);
      throw Status.INTERNAL.withDescription("internal error: " + cause).asRuntimeException();
    });
  }
}
