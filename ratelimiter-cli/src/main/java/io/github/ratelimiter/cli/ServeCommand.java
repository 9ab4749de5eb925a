package io.github.ratelimiter.cli;

import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.server.TlsFiles;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code serve}: the rate-limit service for Envoy (ratelimiter-server), until stopped (SIGTERM or Ctrl-C shut it
 * down gracefully). Each option has an environment variable for containers; the option wins. Store: DynamoDB as
 * everywhere else (the global {@code --endpoint} and table options, or their variables), {@code --store in-memory}
 * for one process, or {@code --local} for a dynalite started here with its tables created, to try it out.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the rate-limit service: Envoy's RateLimitService over gRPC, its JSON form on HTTP /json,",
        "/healthcheck and /metrics, limits from envoyproxy/ratelimit's YAML files (docs/rate-limit-service.md).",
        "Every option also reads an environment variable (in brackets); the option wins."})
final class ServeCommand implements Callable<Integer> {

  @ParentCommand RateLimiterCli root;

  @Option(names = "--config", paramLabel = "PATH",
      description = "A YAML file or a folder of them [RATELIMITER_CONFIG] (required)")
  Path config;

  @Option(names = "--grpc-port", paramLabel = "PORT", description = "gRPC port, default 8081 [RATELIMITER_GRPC_PORT]")
  Integer grpcPort;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port, default 8080 [RATELIMITER_HTTP_PORT]")
  Integer httpPort;

  @Option(names = "--bind", paramLabel = "ADDRESS",
      description = "Address to listen on, default 127.0.0.1 (0.0.0.0 for every interface) [RATELIMITER_BIND]")
  String bind;

  @Option(names = "--store", paramLabel = "STORE",
      description = "dynamodb (default) or in-memory (one process only) [RATELIMITER_STORE]")
  String store;

  @Option(names = "--local",
      description = "Start a local dynalite and create the tables (base name 'ratelimit-local' unless given): for"
          + " trying it out [RATELIMITER_LOCAL]")
  Boolean local;

  @Option(names = "--failure-mode", paramLabel = "MODE",
      description = "When the store fails: fail-closed (default; gRPC UNAVAILABLE) or fail-open (OK, counted as"
          + " degraded) [RATELIMITER_FAILURE_MODE]")
  String failureMode;

  @Option(names = "--request-timeout", paramLabel = "DURATION", converter = Durations.class,
      description = "Longest decision, store calls included, default 1s [RATELIMITER_REQUEST_TIMEOUT]")
  Duration requestTimeout;

  @Option(names = "--config-poll", paramLabel = "DURATION", converter = Durations.class,
      description = "How often the configuration is checked for changes, default 2s [RATELIMITER_CONFIG_POLL]")
  Duration configPoll;

  @Option(names = "--max-in-flight", paramLabel = "N",
      description = "Requests decided at once per listener (no thread waits for the store; more wait, without a"
          + " thread, up to the request timeout), default 1000 [RATELIMITER_MAX_IN_FLIGHT]")
  Integer maxInFlight;

  @Option(names = "--threads", paramLabel = "N",
      description = "Deprecated: sets --max-in-flight, which is what it bounded [RATELIMITER_THREADS]")
  Integer threads;

  @Option(names = "--account-limits",
      description = "Let the limit table's rows (resource = a rule's full key, account = the descriptor's values)"
          + " replace configured limits [RATELIMITER_ACCOUNT_LIMITS]")
  Boolean accountLimits;

  @Option(names = "--tls-cert", paramLabel = "PEM",
      description = "Server certificate chain: TLS on both listeners [RATELIMITER_TLS_CERT]")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM",
      description = "Server private key, PKCS#8 PEM [RATELIMITER_TLS_KEY]")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM",
      description = "CA of client certificates: mutual TLS [RATELIMITER_TLS_CLIENT_CA]")
  Path tlsClientCa;

  /** Called with the started server (tests stop it through this); by default nothing. */
  Consumer<RateLimitServer> started = server -> {};

  @Override
  public Integer call() throws Exception {
    Map<String, String> env = root.environment();
    Path configPath = or(config, env, "RATELIMITER_CONFIG", Path::of, null);
    if (configPath == null) {
      throw new IllegalArgumentException("--config is required (or RATELIMITER_CONFIG): a YAML file or a folder");
    }
    boolean startLocal = or(local, env, "RATELIMITER_LOCAL", ServeCommand::bool, false);
    String storeKind = or(store, env, "RATELIMITER_STORE", s -> s.toLowerCase(Locale.ROOT), "dynamodb");
    if (!storeKind.equals("dynamodb") && !storeKind.equals("in-memory")) {
      throw new IllegalArgumentException("--store must be dynamodb or in-memory: '" + storeKind + "'");
    }
    if (startLocal && (storeKind.equals("in-memory") || root.endpointOrNull() != null)) {
      throw new IllegalArgumentException("--local starts its own DynamoDB: not with --store in-memory or"
          + " --endpoint");
    }
    RateLimitServer.Builder builder = RateLimitServer.builder()
        .config(configPath)
        .grpcPort(or(grpcPort, env, "RATELIMITER_GRPC_PORT", ServeCommand::integer, 8081))
        .httpPort(or(httpPort, env, "RATELIMITER_HTTP_PORT", ServeCommand::integer, 8080))
        .bind(address(or(bind, env, "RATELIMITER_BIND", s -> s, "127.0.0.1")))
        .failureMode(or(failureMode == null ? null : mode(failureMode), env, "RATELIMITER_FAILURE_MODE",
            ServeCommand::mode, FailureMode.FAIL_CLOSED))
        .requestTimeout(or(requestTimeout, env, "RATELIMITER_REQUEST_TIMEOUT",
            text -> DynamoDbClients.parseDuration("RATELIMITER_REQUEST_TIMEOUT", text), Duration.ofSeconds(1)))
        .configPollInterval(or(configPoll, env, "RATELIMITER_CONFIG_POLL",
            text -> DynamoDbClients.parseDuration("RATELIMITER_CONFIG_POLL", text), Duration.ofSeconds(2)))
        .maxInFlight(maxInFlight(env))
        .accountLimits(or(accountLimits, env, "RATELIMITER_ACCOUNT_LIMITS", ServeCommand::bool, false));
    Path cert = or(tlsCert, env, "RATELIMITER_TLS_CERT", Path::of, null);
    Path key = or(tlsKey, env, "RATELIMITER_TLS_KEY", Path::of, null);
    Path clientCa = or(tlsClientCa, env, "RATELIMITER_TLS_CLIENT_CA", Path::of, null);
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("TLS needs both --tls-cert and --tls-key");
    }
    if (clientCa != null && cert == null) {
      throw new IllegalArgumentException("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key");
    }
    if (cert != null) {
      builder.tls(new TlsFiles(cert, key, clientCa));
    }

    PrintWriter out = root.out();
    LocalDynamoDbServer dynalite = null;
    String storeDescription;
    RateLimitStore rateLimitStore;
    if (storeKind.equals("in-memory")) {
      rateLimitStore = InMemoryStore.create();
      storeDescription = "in memory (this process only)";
    } else {
      URI endpoint = root.endpointOrNull();
      if (startLocal) {
        out.println("starting a local DynamoDB-compatible server (dynalite) ...");
        out.flush();
        dynalite = LocalDynamoDbServer.start();
        endpoint = dynalite.endpoint();
      }
      TableNames names = startLocal && !root.tablesConfigured() ? TableNames.of("ratelimit-local") : root.tableNames();
      DynamoDbStore dynamo = DynamoDbStore.builder().client(root.client(endpoint)).ownsClient(true)
          .tableNames(names).build();
      if (startLocal) {
        DynamoDbTables.createIfMissing(dynamo.client(), names);
      }
      rateLimitStore = dynamo;
      storeDescription = "DynamoDB" + (endpoint == null ? "" : " at " + endpoint) + ", table "
          + names.requireFungibleTable() + (dynalite == null ? "" : " (dynalite, stopped with the service)");
    }
    RateLimitServer server;
    try {
      server = builder.store(rateLimitStore).start();
    } catch (RuntimeException e) {
      rateLimitStore.close();
      if (dynalite != null) {
        dynalite.close();
      }
      throw e;
    }
    LocalDynamoDbServer localServer = dynalite;
    Thread hook = new Thread(() -> {
      server.close();
      if (localServer != null) {
        localServer.close();
      }
    }, "ratelimiter-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.println("rate-limit service: gRPC port " + server.grpcPort() + ", HTTP port " + server.httpPort()
        + ", store " + storeDescription + ", configuration " + configPath);
    out.println("try: curl -s -d '{\"domain\":\"...\",\"descriptors\":[{\"entries\":[{\"key\":\"...\",\"value\":"
        + "\"...\"}]}]}' http" + (cert == null ? "" : "s") + "://127.0.0.1:" + server.httpPort() + "/json");
    out.flush();
    started.accept(server);
    try {
      server.awaitTermination();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook is running
      }
      if (dynalite != null) {
        dynalite.close();
      }
    }
    return ExitCodes.OK;
  }

  /**
   * {@code --max-in-flight}, or the deprecated {@code --threads} (each, or its variable): the latter with a warning,
   * both an error.
   */
  private int maxInFlight(Map<String, String> env) {
    Integer bound = or(maxInFlight, env, "RATELIMITER_MAX_IN_FLIGHT", ServeCommand::integer, null);
    Integer deprecated = or(threads, env, "RATELIMITER_THREADS", ServeCommand::integer, null);
    if (bound != null && deprecated != null) {
      throw new IllegalArgumentException("--threads (RATELIMITER_THREADS) is the deprecated name of --max-in-flight"
          + " (RATELIMITER_MAX_IN_FLIGHT): give only --max-in-flight");
    }
    if (deprecated != null) {
      root.err().println("warning: --threads (RATELIMITER_THREADS) is deprecated: no thread waits for the store any"
          + " more; it sets --max-in-flight " + deprecated + " (RATELIMITER_MAX_IN_FLIGHT), the requests each"
          + " listener decides at once");
      root.err().flush();
      return deprecated;
    }
    return bound != null ? bound : 1_000;
  }

  private static <T> T or(T option, Map<String, String> env, String variable, Function<String, T> parse,
      T fallback) {
    if (option != null) {
      return option;
    }
    String value = env.get(variable);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return parse.apply(value.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(variable + " is '" + value + "': " + e.getMessage(), e);
    }
  }

  private static int integer(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a whole number", e);
    }
  }

  private static boolean bool(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException("not true or false");
    };
  }

  private static FailureMode mode(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "fail-open", "fail_open" -> FailureMode.FAIL_OPEN;
      case "fail-closed", "fail_closed" -> FailureMode.FAIL_CLOSED;
      default -> throw new IllegalArgumentException("--failure-mode must be fail-open or fail-closed: '" + text
          + "'");
    };
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--bind: unknown address '" + text + "'", e);
    }
  }
}
