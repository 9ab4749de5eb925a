package io.github.ratelimiter.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints, as envoyproxy/ratelimit serves them:
 *
 * <ul>
 *   <li>{@code POST /json}: a {@code RateLimitRequest} in the protobuf JSON mapping, answered with the
 *       {@code RateLimitResponse} in the same mapping: 200 for {@code OK}, 429 for {@code OVER_LIMIT}; a bad request
 *       400 with one line naming the field; a store failure under fail-closed 503; a body over
 *       {@value #MAX_BODY_BYTES} bytes 413
 *   <li>{@code GET /healthcheck}: 200 {@code OK} while serving, 503 once shutting down
 *   <li>{@code GET /metrics}: the Prometheus text format
 * </ul>
 *
 * <p>On the JDK's {@code HttpServer}, whose handler may return with the exchange still open and answer it from
 * another thread: the handler (on the listener's few HTTP threads) reads and parses the body, admits the request
 * ({@link Admission}) and starts its decision, then returns; the decision's callback writes the response and closes
 * the exchange. So no thread waits for the store, and the requests in flight are bounded by the admission, not by
 * threads. Reading the body is the one blocking step: a request's body (at most {@value #MAX_BODY_BYTES} bytes) is
 * read by the HTTP thread that handles it.
 */
final class HttpEndpoints {

  /** The largest {@code /json} body read; beyond it, 413. */
  static final int MAX_BODY_BYTES = 1 << 20;

  private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoints.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  private HttpEndpoints() {}

  /**
   * The exchanges being handled, so that shutdown can wait for them: the JDK's {@code HttpServer.stop(delay)} waits
   * the whole delay when no exchange ends meanwhile, so the server waits here, then stops it at once. Once closing,
   * a new exchange (on a kept-alive connection) is answered 503 at once.
   */
  static final class InFlight {
    private int count;
    private boolean closing;

    synchronized boolean enter() {
      if (closing) {
        return false;
      }
      count++;
      return true;
    }

    synchronized void exit() {
      if (--count == 0) {
        notifyAll();
      }
    }

    /** Refuses new exchanges and waits until none is in flight, or the deadline ({@link System#nanoTime()}). */
    synchronized void closeAndAwait(long deadlineNanos) throws InterruptedException {
      closing = true;
      while (count > 0) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  static void register(HttpServer server, Decider decider, ServerMeters meters, PrometheusMeterRegistry registry,
      BooleanSupplier serving, InFlight inFlight, Admission admission) {
    server.createContext("/json", exchange -> {
      if (!inFlight.enter()) {
        try (exchange) {
          send(exchange, 503, "text/plain; charset=utf-8", "shutting down\n");
        }
        return;
      }
      // answered later, from the decision's callback: the exchange is closed (and counted out) once answered
      CompletableFuture<Void> answered;
      try {
        answered = json(exchange, decider, meters, admission);
      } catch (IOException | RuntimeException e) {
        answered = CompletableFuture.failedFuture(e);
      }
      answered.whenComplete((done, failure) -> {
        try {
          if (failure != null) {
            LOG.debug("could not answer a /json request (client gone?)", failure);
          }
          exchange.close();
        } finally {
          inFlight.exit();
        }
      });
    });
    server.createContext("/healthcheck", exchange -> handle(exchange, inFlight, () -> {
      if (serving.getAsBoolean()) {
        send(exchange, 200, "text/plain; charset=utf-8", "OK\n");
      } else {
        send(exchange, 503, "text/plain; charset=utf-8", "shutting down\n");
      }
    }));
    server.createContext("/metrics", exchange -> handle(exchange, inFlight, () ->
        send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape())));
  }

  private interface Handler {
    void run() throws IOException;
  }

  private static void handle(HttpExchange exchange, InFlight inFlight, Handler handler) throws IOException {
    try (exchange) {
      if (!inFlight.enter()) {
        send(exchange, 503, "text/plain; charset=utf-8", "shutting down\n");
        return;
      }
      try {
        handler.run();
      } finally {
        inFlight.exit();
      }
    }
  }

  /**
   * Reads and parses the request on this thread (the server's HTTP thread), answers a bad one at once, else admits
   * it and decides it without waiting.
   *
   * @return completes once the exchange has been answered
   */
  private static CompletableFuture<Void> json(HttpExchange exchange, Decider decider, ServerMeters meters,
      Admission admission) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      exchange.getResponseHeaders().add("Allow", "POST");
      send(exchange, 405, "text/plain; charset=utf-8", "POST a RateLimitRequest as JSON\n");
      return CompletableFuture.completedFuture(null);
    }
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      send(exchange, 413, "text/plain; charset=utf-8", "the body is over " + MAX_BODY_BYTES + " bytes\n");
      return CompletableFuture.completedFuture(null);
    }
    String text = new String(body, StandardCharsets.UTF_8);
    RateLimitRequest request;
    try {
      negativeAddends(text);
      RateLimitRequest.Builder builder = RateLimitRequest.newBuilder();
      PARSER.merge(text, builder);
      request = builder.build();
    } catch (InvalidRequestException e) {
      meters.invalidRequest();
      send(exchange, 400, "text/plain; charset=utf-8", e.getMessage() + "\n");
      return CompletableFuture.completedFuture(null);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      meters.invalidRequest();
      send(exchange, 400, "text/plain; charset=utf-8", "not a RateLimitRequest in JSON: " + e.getMessage() + "\n");
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> answered = new CompletableFuture<>();
    admission.admit(() -> decide(exchange, decider, meters, request, admission, answered), () -> {
      meters.deadlineExceeded();
      complete(answered, () -> send(exchange, 503, "text/plain; charset=utf-8",
          RlsGrpcService.tooLate(admission) + "\n"));
    });
    return answered;
  }

  /** Holds a slot of the admission: gives it back once the exchange is answered. */
  private static void decide(HttpExchange exchange, Decider decider, ServerMeters meters, RateLimitRequest request,
      Admission admission, CompletableFuture<Void> answered) {
    CompletableFuture<RateLimitResponse> decided;
    try {
      decided = RlsGrpcService.answer(decider, meters, request);
    } catch (RuntimeException e) {
      decided = CompletableFuture.failedFuture(e);
    }
    decided.whenComplete((response, failure) -> {
      try {
        complete(answered, () -> {
          if (failure == null) {
            send(exchange, response.getOverallCode() == RateLimitResponse.Code.OVER_LIMIT ? 429 : 200,
                "application/json", PRINTER.print(response));
            return;
          }
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (!(cause instanceof StatusRuntimeException e)) {
            send(exchange, 500, "text/plain; charset=utf-8", "internal error: " + cause + "\n");
            return;
          }
          Status.Code code = e.getStatus().getCode();
          int status = code == Status.Code.INVALID_ARGUMENT ? 400 : code == Status.Code.UNAVAILABLE ? 503 : 500;
          send(exchange, status, "text/plain; charset=utf-8", e.getStatus().getDescription() + "\n");
        });
      } finally {
        admission.release();
      }
    });
  }

  /** Runs {@code answer} and completes {@code answered} with its outcome. */
  private static void complete(CompletableFuture<Void> answered, Handler answer) {
    try {
      answer.run();
      answered.complete(null);
    } catch (IOException | RuntimeException e) {
      answered.completeExceptionally(e);
    }
  }

  /**
   * Refuses negative {@code hits_addend}s naming the field (the JSON mapping's own error for an unsigned field does
   * not name it); anything else that is not valid is left to the protobuf parser.
   */
  private static void negativeAddends(String text) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      return;
    }
    if (root == null || !root.isObject()) {
      return;
    }
    negative(root, "hitsAddend", "hits_addend", "hits_addend");
    JsonNode descriptors = root.get("descriptors");
    if (descriptors != null && descriptors.isArray()) {
      Iterator<JsonNode> each = descriptors.elements();
      for (int i = 0; each.hasNext(); i++) {
        JsonNode descriptor = each.next();
        negative(descriptor, "hitsAddend", "hits_addend", "descriptors[" + i + "].hits_addend");
      }
    }
  }

  private static void negative(JsonNode node, String camel, String snake, String field) {
    for (String name : new String[] {camel, snake}) {
      JsonNode value = node.get(name);
      if (value != null && (value.isNumber() || value.isTextual()) && value.asText().trim().startsWith("-")) {
        throw new InvalidRequestException(field, "must not be negative: " + value.asText());
      }
    }
  }

  static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
