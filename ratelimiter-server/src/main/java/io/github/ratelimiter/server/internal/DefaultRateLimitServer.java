package io.github.ratelimiter.server.internal;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.LimiterOptions;
import io.github.ratelimiter.RateLimiterListener;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.micrometer.RateLimiterMetrics;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.server.RequestBounds;
import io.github.ratelimiter.server.TlsFiles;
import io.github.ratelimiter.store.RateLimitStore;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server: the configuration generation, the gRPC and HTTP listeners, the configuration poller, and graceful
 * shutdown.
 *
 * <p><b>Threads: none waits for the store.</b> A request is decided through the limiters' non-blocking views
 * ({@link JointDescriptorDecisions}): the listener's handler validates it, looks it up, sends what the store must be
 * asked and returns; the answer is sent from the decision's callback. A decision made in process (a lease, a known
 * exhausted bucket, the in-memory store) completes on the handler's thread; one that waited for the store completes
 * on the server's {@code rls-decided-*} threads (the limiters' async executor), never on the store client's. So a few
 * threads serve any number of requests in flight: per listener {@value #MIN_THREADS} or one per processor, whichever
 * is more ({@code rls-grpc-*} for gRPC calls, {@code rls-http-*} for HTTP exchanges, whose body they read), plus gRPC's
 * Netty event loops, the HTTP dispatcher and the configuration poller.
 *
 * <p><b>What bounds the work.</b> Each listener admits at most {@code maxInFlight} requests at once ({@link Admission},
 * default 1,000): more wait, with no thread, and those that wait longer than the request timeout are answered the
 * overload error without deciding (gRPC {@code DEADLINE_EXCEEDED}, HTTP 503). Once admitted, a decision's store calls
 * are bounded by the same timeout (the limiters' decision timeout).
 *
 * <p>A store whose asynchronous methods are the blocking defaults (a store that does not override
 * {@code consumeAsync}) runs its calls on the thread that asks, which here is a handler thread: correct, but then the
 * handler threads bound the decisions at once. This project's stores do not block there (in memory, or the DynamoDB
 * store's asynchronous client).
 */
public final class DefaultRateLimitServer implements RateLimitServer {

  private static final Logger LOG = LoggerFactory.getLogger(DefaultRateLimitServer.class);
  private static final String SERVICE = "envoy.service.ratelimit.v3.RateLimitService";
  /** How often requests waiting for admission are checked for a passed timeout (at most; a quarter of it if less). */
  private static final Duration EXPIRY_SWEEP = Duration.ofMillis(50);

  /** What {@link RateLimitServer.Builder} gathered. */
  public record Settings(RateLimitStore store, Path config, InetAddress bind, int grpcPort, int httpPort,
      TlsFiles tls, FailureMode failureMode, Duration requestTimeout, Duration configPollInterval,
      Duration shutdownGrace, boolean accountLimits, RequestBounds bounds, int maxInFlight, Clock clock,
      PrometheusMeterRegistry meterRegistry, List<RateLimiterListener> listeners) {}

  /** The fewest threads each listener has (and the limiters' async executor): one per processor when more. */
  static final int MIN_THREADS = 2;

  private final Settings settings;
  private final PrometheusMeterRegistry registry;
  private final ServerMeters meters;
  private final RateLimiterMetrics libraryMeters;
  private final AtomicReference<Decider.Generation> generation = new AtomicReference<>();
  private final Decider decider;
  private final HealthStatusManager health = new HealthStatusManager();
  private final AtomicBoolean serving = new AtomicBoolean(true);
  private final HttpEndpoints.InFlight httpInFlight = new HttpEndpoints.InFlight();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final ExecutorService grpcExecutor;
  private final ExecutorService httpExecutor;
  private final ExecutorService decidedExecutor;
  private final Admission grpcAdmission;
  private final Admission httpAdmission;
  private final ScheduledExecutorService poller;
  private volatile String fingerprint;
  private Server grpc;
  private HttpServer http;

  private DefaultRateLimitServer(Settings settings, LongSupplier ticker) {
    this.settings = settings;
    this.registry = settings.meterRegistry() != null ? settings.meterRegistry()
        : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.meters = new ServerMeters(registry);
    this.libraryMeters = RateLimiterMetrics.bindTo(registry);
    this.decider = new Decider(generation::get, settings.bounds(), meters);
    int threads = Math.max(MIN_THREADS, Runtime.getRuntime().availableProcessors());
    this.grpcExecutor = Executors.newFixedThreadPool(threads, threads("rls-grpc-"));
    this.httpExecutor = Executors.newFixedThreadPool(threads, threads("rls-http-"));
    this.decidedExecutor = Executors.newFixedThreadPool(threads, threads("rls-decided-"));
    this.grpcAdmission = new Admission(settings.maxInFlight(), settings.requestTimeout(), ticker, grpcExecutor);
    this.httpAdmission = new Admission(settings.maxInFlight(), settings.requestTimeout(), ticker, httpExecutor);
    this.poller = Executors.newSingleThreadScheduledExecutor(threads("rls-config-"));
  }

  /** Loads the configuration and starts the listeners; see {@link RateLimitServer.Builder#start()}. */
  public static RateLimitServer start(Settings settings) {
    return start(settings, System::nanoTime);
  }

  /** As {@link #start(Settings)}, with the ticker that times a request's wait for admission (tests move it). */
  static DefaultRateLimitServer start(Settings settings, LongSupplier ticker) {
    DefaultRateLimitServer server = new DefaultRateLimitServer(settings, ticker);
    try {
      server.reloadConfiguration();
      server.listen();
    } catch (RuntimeException e) {
      server.stopEverything();
      throw e;
    }
    long poll = settings.configPollInterval().toMillis();
    server.poller.scheduleWithFixedDelay(server::pollConfiguration, poll, poll, TimeUnit.MILLISECONDS);
    // requests waiting for admission are answered once their time is up, even while no slot frees
    long sweep = Math.max(1, Math.min(EXPIRY_SWEEP.toNanos(), settings.requestTimeout().toNanos() / 4));
    server.poller.scheduleWithFixedDelay(server::expireWaiting, sweep, sweep, TimeUnit.NANOSECONDS);
    LOG.info("rate-limit service on {}: gRPC port {}, HTTP port {}{}, configuration {}", settings.bind()
        .getHostAddress(), server.grpcPort(), server.httpPort(), settings.tls() == null ? ""
        : settings.tls().clientCa() == null ? " (TLS)" : " (mutual TLS)", settings.config());
    return server;
  }

  private void listen() {
    Pem pem = settings.tls() == null ? null : Pem.read(settings.tls());
    ServerCredentials credentials = InsecureServerCredentials.create();
    if (pem != null) {
      TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder().keyManager(pem.keyManagers);
      if (pem.trustManagers != null) {
        tls.trustManager(pem.trustManagers).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      credentials = tls.build();
    }
    try {
      grpc = NettyServerBuilder.forAddress(new InetSocketAddress(settings.bind(), settings.grpcPort()), credentials)
          .executor(grpcExecutor)
          .maxInboundMessageSize(HttpEndpoints.MAX_BODY_BYTES)
          .addService(new RlsGrpcService(decider, meters, grpcAdmission))
          .addService(health.getHealthService())
          .addService(ProtoReflectionServiceV1.newInstance())
          .build()
          .start();
      InetSocketAddress httpAddress = new InetSocketAddress(settings.bind(), settings.httpPort());
      if (pem == null) {
        http = HttpServer.create(httpAddress, 128);
      } else {
        HttpsServer https = HttpsServer.create(httpAddress, 128);
        boolean mutual = pem.trustManagers != null;
        https.setHttpsConfigurator(new HttpsConfigurator(pem.sslContext) {
          @Override
          public void configure(HttpsParameters parameters) {
            SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
            ssl.setNeedClientAuth(mutual);
            parameters.setSSLParameters(ssl);
          }
        });
        http = https;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + settings.bind().getHostAddress() + " (gRPC port "
          + settings.grpcPort() + ", HTTP port " + settings.httpPort() + "): " + e.getMessage(), e);
    }
    HttpEndpoints.register(http, decider, meters, registry, serving::get, httpInFlight, httpAdmission);
    http.setExecutor(httpExecutor);
    http.start();
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus(SERVICE, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
  }

  @Override
  public int grpcPort() {
    return grpc.getPort();
  }

  @Override
  public int httpPort() {
    return http.getAddress().getPort();
  }

  @Override
  public synchronized void reloadConfiguration() {
    String seen = fingerprint(settings.config());
    RateLimitConfig config;
    try {
      config = ConfigLoader.load(settings.config());
    } catch (ConfigException e) {
      fingerprint = seen;
      meters.configLoaded(false);
      throw e;
    }
    generation.set(new Decider.Generation(config, decisions()));
    fingerprint = seen;
    meters.configLoaded(true);
  }

  /** The limiters of one configuration: each configured limit is its limiter's default, so each reload builds anew. */
  private DescriptorDecisions decisions() {
    RateLimiters.Builder builder = RateLimiters.builder()
        .store(new ServerStore(settings.store(), settings.accountLimits()))
        .clock(settings.clock())
        .failureMode(settings.failureMode())
        .decisionTimeout(settings.requestTimeout())
        // a decision that waited for the store continues here, never on the store client's threads
        .asyncExecutor(decidedExecutor)
        .listener(libraryMeters);
    settings.listeners().forEach(builder::listener);
    RateLimiters limiters = builder.build();
    // hot descriptors are leased: a chunk of the bucket's timeline per write, exactly within the bound (Leases)
    return new JointDescriptorDecisions(limiters, LimiterOptions.builder().leasing(Leasing.defaults()).build(),
        limiters.store().buckets(), settings.failureMode(), settings.requestTimeout(), decidedExecutor,
        settings.clock());
  }

  /**
   * One poll: reloads when the files' contents changed since the last load or refusal. A refused configuration is
   * logged once (with every problem) and not retried until the files change again.
   *
   * @return whether a new configuration was applied
   */
  boolean pollConfiguration() {
    try {
      String now = fingerprint(settings.config());
      if (now.equals(fingerprint)) {
        return false;
      }
      reloadConfiguration();
      LOG.info("configuration reloaded from {}", settings.config());
      return true;
    } catch (ConfigException e) {
      LOG.error("configuration refused, still serving the last good one:\n{}", e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("configuration poll failed, still serving the last good one", e);
    }
    return false;
  }

  /** What the configuration's files hold now: their names and a hash of their contents. */
  static String fingerprint(Path config) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path file : ConfigLoader.files(config)) {
        digest.update(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update((byte) 0);
        try {
          digest.update(Files.readAllBytes(file));
        } catch (IOException e) {
          digest.update(e.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (ConfigException e) {
      return "unreadable: " + e.getMessage();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    LOG.info("rate-limit service shutting down: finishing requests in flight (up to {})", settings.shutdownGrace());
    stopEverything();
    LOG.info("rate-limit service stopped");
  }

  /** Answers the requests whose wait for admission passed the request timeout (periodically). */
  void expireWaiting() {
    try {
      grpcAdmission.expireWaiting();
      httpAdmission.expireWaiting();
    } catch (RuntimeException e) {
      LOG.error("answering the requests that waited too long failed", e);
    }
  }

  private void stopEverything() {
    serving.set(false);
    health.enterTerminalState();
    long grace = settings.shutdownGrace().toNanos();
    long deadline = System.nanoTime() + grace;
    if (grpc != null) {
      grpc.shutdown();
    }
    try {
      if (http != null) {
        // waits for the exchanges in flight (up to the grace), then closes the listener and every connection
        httpInFlight.closeAndAwait(deadline);
        http.stop(0);
      }
      if (grpc != null && !grpc.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        grpc.shutdownNow();
      }
      for (ExecutorService pool : List.of(grpcExecutor, httpExecutor, decidedExecutor)) {
        pool.shutdown();
        pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      poller.shutdownNow();
      grpcExecutor.shutdownNow();
      httpExecutor.shutdownNow();
      decidedExecutor.shutdownNow();
      try {
        settings.store().close();
      } finally {
        terminated.countDown();
      }
    }
  }

  /** HTTP requests waiting for admission (for tests). */
  int httpWaiting() {
    return httpAdmission.waiting();
  }

  /** gRPC requests waiting for admission (for tests). */
  int grpcWaiting() {
    return grpcAdmission.waiting();
  }

  /** Requests admitted and not yet answered, gRPC and HTTP (for tests). */
  int inFlight() {
    return grpcAdmission.inFlight() + httpAdmission.inFlight();
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
