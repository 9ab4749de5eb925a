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
 * <p><b>Threads.</b> No thread waits for the store: each request is decided through the limiters' non-blocking
 * views and answered from the decision's callback (the gRPC {@code StreamObserver}; the HTTP exchange, answered from
 * another thread), so a few threads per listener serve any number of requests in flight, and
 * {@link Builder#maxInFlight} bounds those. See {@code docs/rate-limit-service.md}, "Threads and requests in flight".
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
    private int maxInFlight = 1_000;
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
     * One deadline per request, default 1 s: a request that waited longer than this to be admitted (every slot of
     * {@link #maxInFlight} taken) is answered {@code DEADLINE_EXCEEDED} (HTTP 503) without deciding, and a decision's
     * store calls and retries fit in it (past it the store counts as failed and the failure mode answers). A client's
     * shorter gRPC deadline is honoured too, before the decision starts.
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
     * How many requests each listener decides at once, default 1,000: a request holds one of these slots from its
     * admission until it is answered, and no thread while the store is asked (the decision is a future). More
     * requests wait for a slot, with no thread, first come first served; one that waits longer than the request
     * timeout is answered without deciding, gRPC {@code DEADLINE_EXCEEDED} (HTTP 503). So this bounds the store
     * requests and memory a burst can cause, not the threads, which are a few per listener whatever this is.
     *
     * @throws IllegalArgumentException unless from 1 to 1,000,000
     */
    public Builder maxInFlight(int requests) {
      if (requests < 1 || requests > 1_000_000) {
        throw new IllegalArgumentException("maxInFlight must be from 1 to 1000000: " + requests);
      }
      this.maxInFlight = requests;
      return this;
    }

    /**
     * The same as {@link #maxInFlight(int)}: it was the size of each listener's pool of decision threads, which was
     * how many requests it decided at once, when each decision held a thread while it waited for the store. No
     * thread waits now, so what it bounded is {@code maxInFlight}.
     *
     * @deprecated use {@link #maxInFlight(int)}; this sets it (from 1 to 1,000,000)
     */
    @Deprecated
    public Builder threads(int threads) {
      return maxInFlight(threads);
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
          maxInFlight, clock, meterRegistry, List.copyOf(listeners)));
    }

    private static int port(int port, String name) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException(name + " must be from 0 to 65535: " + port);
      }
      return port;
    }
  }
}
