package io.github.ratelimiter.server;

import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.server.internal.DefaultRateLimitServer;
import io.github.ratelimiter.store.RateLimitStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A rate-limit service for Envoy and anything that speaks its protocol: {@code
 * envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit} over gRPC (with the standard health service and
 * server reflection), the same request and response as JSON on HTTP {@code POST /json}, {@code GET /healthcheck} and
 * {@code GET /metrics} (Prometheus text). Limits come from envoyproxy/ratelimit's YAML configuration files and are
 * decided by this library's exact GCRA limiters on the given store; see {@code docs/rate-limit-service.md}.
 *
 * <pre>{@code
 * try (RateLimitServer server = RateLimitServer.builder()
 *     .store(DynamoDbStore.fromEnvironment())
 *     .config(Path.of("config"))
 *     .start()) {
 *   server.awaitTermination();
 * }
 * }</pre>
 *
 * <p>A changed configuration file applies without a restart (polled every {@link Builder#configPollInterval}); a
 * bad one is refused, logged with its file, line and field, and the last good configuration keeps serving.
 * Closing the server shuts it down gracefully: it stops taking requests, finishes those in flight (up to
 * {@link Builder#shutdownGrace}), then closes the store. Thread-safe.
 */
public interface RateLimitServer extends AutoCloseable {

  /** A builder with the defaults listed on each setter. */
  static Builder builder() {
    return new Builder();
  }

  /** The port the gRPC listener is bound to (the chosen one when asked for port 0). */
  int grpcPort();

  /** The port the HTTP listener is bound to. */
  int httpPort();

  /**
   * Loads the configuration again now, whether or not it changed, and applies it if it is valid.
   *
   * @throws IllegalArgumentException if it is refused, with every problem (file, line and field) in the message;
   *     the configuration in use stays
   */
  void reloadConfiguration();

  /** Waits until the server has shut down (after {@link #close()}, from any thread). */
  void awaitTermination() throws InterruptedException;

  /**
   * Shuts down gracefully: health answers not serving, the listeners stop accepting, requests in flight finish (up
   * to the shutdown grace), then the store is closed. Idempotent.
   */
  @Override
  void close();

  /** Configures and starts a {@link RateLimitServer}. Not thread-safe; each setter fails fast on a bad value. */
  final class Builder {
    private RateLimitStore store;
    private Path config;
    private InetAddress bind = InetAddress.getLoopbackAddress();
    private int grpcPort = 8081;
    private int httpPort = 8080;
    private TlsFiles tls;
    private FailureMode failureMode = FailureMode.FAIL_CLOSED;
    private Duration requestTimeout = Duration.ofSeconds(1);
    private Duration configPollInterval = Duration.ofSeconds(2);
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private boolean accountLimits;
    private RequestBounds bounds = RequestBounds.DEFAULTS;
    private int threads = 64;
    private Clock clock = Clock.systemUTC();
    private PrometheusMeterRegistry meterRegistry;
    private final List<RateLimiterListener> listeners = new ArrayList<>();

    private Builder() {}

    /** The store (required): {@code DynamoDbStore} for several processes, {@code InMemoryStore} for one. */
    public Builder store(RateLimitStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** The configuration (required): a YAML file, or a folder whose {@code .yaml}/{@code .yml} files are read. */
    public Builder config(Path config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** The address both listeners bind to; default loopback ({@code 127.0.0.1}): nothing outside the host. */
    public Builder bind(InetAddress address) {
      this.bind = Objects.requireNonNull(address, "bind");
      return this;
    }

    /** The gRPC port, 0 for any free one; default 8081. */
    public Builder grpcPort(int port) {
      this.grpcPort = port(port, "grpcPort");
      return this;
    }

    /** The HTTP port, 0 for any free one; default 8080. */
    public Builder httpPort(int port) {
      this.httpPort = port(port, "httpPort");
      return this;
    }

    /** TLS (and mutual TLS) for both listeners; default none (plain text). */
    public Builder tls(TlsFiles tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /**
     * What a request is answered when the store fails: {@link FailureMode#FAIL_OPEN} answers {@code OK} and counts
     * it as degraded; {@link FailureMode#FAIL_CLOSED} (default) answers gRPC {@code UNAVAILABLE} (HTTP 503), so that
     * Envoy's {@code failure_mode_deny} decides as its operators set it.
     */
    public Builder failureMode(FailureMode mode) {
      this.failureMode = Objects.requireNonNull(mode, "failureMode");
      return this;
    }

    /**
     * One deadline per request, default 1 s: a request that waited longer than this for a decision thread is
     * answered {@code DEADLINE_EXCEEDED} (HTTP 503) without deciding, and a decision's store calls and retries fit in
     * it (past it the store counts as failed and the failure mode answers). A client's shorter gRPC deadline is
     * honoured too.
     */
    public Builder requestTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive: " + timeout);
      }
      this.requestTimeout = timeout;
      return this;
    }

    /** How often the configuration files are checked for changes; default 2 s. */
    public Builder configPollInterval(Duration interval) {
      if (interval == null || interval.compareTo(Duration.ofMillis(100)) < 0) {
        throw new IllegalArgumentException("configPollInterval must be at least 100ms: " + interval);
      }
      this.configPollInterval = interval;
      return this;
    }

    /** How long {@link #close()} waits for requests in flight; default 10 s. */
    public Builder shutdownGrace(Duration grace) {
      if (grace == null || grace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative: " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /**
     * Whether the limit table's rows apply: a row for (a rule's full key, a descriptor's values) replaces the
     * configured limit for those values. Default false: only the configuration applies, and the limit table is
     * never read.
     */
    public Builder accountLimits(boolean enabled) {
      this.accountLimits = enabled;
      return this;
    }

    /** The request bounds; default {@link RequestBounds#DEFAULTS}. */
    public Builder bounds(RequestBounds bounds) {
      this.bounds = Objects.requireNonNull(bounds, "bounds");
      return this;
    }

    /**
     * The threads that decide requests, per listener, which is how many requests are decided at once (each waits
     * on the store while deciding); more queue, and those that wait longer than the request timeout are answered
     * without deciding. Default 64.
     */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 4096) {
        throw new IllegalArgumentException("threads must be from 1 to 4096: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** The clock of the limiters; default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The registry {@code /metrics} shows; default a new one. */
    public Builder meterRegistry(PrometheusMeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /** A listener of the limiters' decisions and store requests, besides the server's own meters. */
    public Builder listener(RateLimiterListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Loads the configuration and starts both listeners.
     *
     * @throws IllegalStateException if no store or configuration was set
     * @throws IllegalArgumentException if the configuration is refused (every problem with its file, line and
     *     field), or a TLS file cannot be read
     * @throws java.io.UncheckedIOException if a port cannot be bound
     */
    public RateLimitServer start() {
      if (store == null) {
        throw new IllegalStateException("store is required: call store(...)");
      }
      if (config == null) {
        throw new IllegalStateException("config is required: call config(path)");
      }
      return DefaultRateLimitServer.start(new DefaultRateLimitServer.Settings(store, config, bind, grpcPort,
          httpPort, tls, failureMode, requestTimeout, configPollInterval, shutdownGrace, accountLimits, bounds,
          threads, clock, meterRegistry, List.copyOf(listeners)));
    }

    private static int port(int port, String name) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException(name + " must be from 0 to 65535: " + port);
      }
      return port;
    }
  }
}
