package io.github.ratelimiter.server.internal;

/**
 * A request the service refuses: gRPC {@code INVALID_ARGUMENT}, HTTP 400. The message names the field, in the
 * protocol's names ({@code descriptors[1].entries[0].key}), and the bad value or the bound. No stack trace: a bad
 * request is an answer.
 */
final class InvalidRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvalidRequestException(String field, String message) {
    super(field + ": " + message, null, false, false);
  }
}
