package io.github.ratelimiter.server.internal;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit}. Runs on the server's bounded executor: a
 * request whose client deadline passed (or that was cancelled), or that waited longer than the request timeout, is
 * answered at once without deciding. Errors map as documented: a bad request {@code INVALID_ARGUMENT} naming the field, a store failure under
 * fail-closed {@code UNAVAILABLE}, anything else {@code INTERNAL}.
 */
final class RlsGrpcService extends RateLimitServiceGrpc.RateLimitServiceImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(RlsGrpcService.class);

  private final Decider decider;
  private final ServerMeters meters;
  private final QueueDeadlines deadlines;

  RlsGrpcService(Decider decider, ServerMeters meters, QueueDeadlines deadlines) {
    this.decider = decider;
    this.meters = meters;
    this.deadlines = deadlines;
  }

  @Override
  public void shouldRateLimit(RateLimitRequest request, StreamObserver<RateLimitResponse> observer) {
    Context context = Context.current();
    if (context.isCancelled()) {
      meters.deadlineExceeded();
      observer.onError(Status.fromThrowable(context.cancellationCause()).withDescription(
          "the request's deadline passed, or it was cancelled, before it was decided").asRuntimeException());
      return;
    }
    if (deadlines.expired()) {
      meters.deadlineExceeded();
      observer.onError(Status.DEADLINE_EXCEEDED.withDescription(
          "the request waited longer than the request timeout for a decision thread").asRuntimeException());
      return;
    }
    RateLimitResponse response;
    try {
      response = answer(decider, meters, request);
    } catch (StatusRuntimeException e) {
      observer.onError(e);
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  /** Decides, mapping failures to gRPC statuses; shared with the HTTP endpoint. */
  static RateLimitResponse answer(Decider decider, ServerMeters meters, RateLimitRequest request) {
    long start = System.nanoTime();
    try {
      return decider.decide(request);
    } catch (InvalidRequestException e) {
      meters.invalidRequest();
      throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    } catch (io.github.ratelimiter.RateLimiterException e) {
      meters.storeError();
      throw Status.UNAVAILABLE.withDescription("the store failed (fail-closed): " + e.getMessage())
          .asRuntimeException();
    } catch (RuntimeException e) {
      meters.internalError();
      LOG.error("ShouldRateLimit failed for domain '{}'", request.getDomain(), e);
      throw Status.INTERNAL.withDescription("internal error: " + e).asRuntimeException();
    } finally {
      meters.responseTime.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }
}
