package io.github.ratelimiter.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A DynamoDB-compatible server on loopback, for the CLI's demo, tests and benchmarks; never for production data. Two
 * {@linkplain Implementation implementations}, both open source and independent of each other:
 * <a href="https://github.com/architect/dynalite">dynalite</a> (Node.js, from npm; the default) and
 * <a href="https://github.com/getmoto/moto">moto</a> (Python, {@code pip install "moto[server]"}).
 *
 * <pre>{@code
 * try (LocalDynamoDbServer server = LocalDynamoDbServer.start()) {         // dynalite in memory, a free port
 *   DynamoDbClient client = DynamoDbClients.builder().endpoint(server.endpoint()).build();
 * }
 *
 * LocalDynamoDbServer server = LocalDynamoDbServer.builder()
 *     .dataDirectory(Path.of("target/dynalite")).start();                     // on disk
 * server.kill();       // SIGKILL, as a crash
 * server.restart();    // same port, same data
 *
 * LocalDynamoDbServer moto = LocalDynamoDbServer.builder().implementation(Implementation.MOTO).start();
 * }</pre>
 *
 * <p><b>dynalite</b> is looked up in the {@code node_modules} of the nearest directory at or above the working
 * directory whose {@code package.json} names dynalite (or of {@code $DYNALITE_HOME}); when that holds no
 * {@code node_modules} yet, {@code npm ci} installs it first. With a {@linkplain Builder#dataDirectory(Path) data
 * directory} its tables live on disk (LevelDB) and survive a {@link #kill()}; without one they live in the server's
 * memory. dynalite 4.0.0 exits when a client abandons a request mid-body (its request error handler rethrows
 * {@code aborted}), which the SDK's attempt timeout does on a loaded machine; the server started here drops that one
 * request and carries on. Known differences from DynamoDB: no transactions, no {@code UpdateTimeToLive}, expired
 * items are never deleted, {@code ReturnValuesOnConditionCheckFailure} returns nothing, no throttling.
 *
 * <p><b>moto</b> runs under {@code python3} (or {@code $MOTO_PYTHON}), which must have moto 5 with its server
 * extras. Its DynamoDB is served by werkzeug on <em>one thread, one request at a time</em>: moto's own
 * {@code moto_server} answers on several threads without a lock around a conditional write, so two writes can both
 * pass one condition there and a concurrency test would count more admissions than DynamoDB allows. Its tables
 * live in memory only. It implements {@code ReturnValuesOnConditionCheckFailure}, transactions and
 * {@code UpdateTimeToLive}; see {@code docs/testing.md} for where it and dynalite differ.
 *
 * <p>Either server listens on loopback, on a free port unless one is given, and is ready once a real
 * {@code ListTables} answers. It stops when closed or when this JVM exits (it also exits by itself when its standard
 * input closes). Thread-safe.
 */
public final class LocalDynamoDbServer implements AutoCloseable {

  private static final String DYNALITE_SCRIPT = String.join("\n",
      "const options = {createTableMs: 0, deleteTableMs: 0, updateTableMs: 0};",
      "if (process.env.DYNALITE_DATA) options.path = process.env.DYNALITE_DATA;",
      "const server = require('dynalite')(options);",
      "server.on('error', e => { console.error('dynalite: ' + e.message); process.exit(1); });",
      // dynalite's handler rethrows a request's 'error' ('aborted' when a client closes mid-body): uncaught, it
      // ends the process. This listener runs right after dynalite's and replaces that handler: one request lost.
      "server.on('request', (req, res) => { req.removeAllListeners('error'); req.on('error', () => res.destroy()); });",
      "server.listen(Number(process.env.DYNALITE_PORT || 0), '127.0.0.1', () => console.log(server.address().port));",
      "process.stdin.on('end', () => process.exit(0));",
      "process.stdin.resume();");

  /** Exit status of the moto script when moto cannot be imported. */
  private static final int MOTO_MISSING = 3;

  /**
   * moto's WSGI application served by werkzeug on one thread (requests strictly one after another, HTTP/1.0 so that
   * no client holds the only thread with a kept-alive connection), a listen backlog for many clients, no request
   * log, and an exit when standard input closes.
   */
  private static final String MOTO_SCRIPT = String.join("\n",
      "import logging, os, sys, threading",
      "try:",
      "    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app",
      "    from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server",
      "except ImportError as e:",
      "    print('moto: cannot import its server under ' + sys.executable + ': ' + str(e), file=sys.stderr)",
      "    sys.exit(" + MOTO_MISSING + ")",
      "logging.getLogger('werkzeug').setLevel(logging.ERROR)",
      "class Quiet(WSGIRequestHandler):",
      "    protocol_version = 'HTTP/1.0'",
      "    def log_request(self, *args, **kwargs):",
      "        pass",
      "BaseWSGIServer.request_queue_size = 256",
      "app = DomainDispatcherApplication(create_backend_app)",
      "server = make_server('127.0.0.1', int(os.environ.get('MOTO_PORT', '0')), app, threaded=False,"
          + " processes=1, request_handler=Quiet)",
      "print(server.server_port, flush=True)",
      "def watch():",
      "    sys.stdin.read()",
      "    os._exit(0)",
      "threading.Thread(target=watch, daemon=True).start()",
      "server.serve_forever()");

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Which server runs. Both speak DynamoDB's JSON protocol; they differ from DynamoDB, and from each other, in what
   * {@code docs/testing.md} lists.
   */
  public enum Implementation {
    /** dynalite, from npm, run by {@code node}: in memory or on disk. The default. */
    DYNALITE,
    /** moto, run by {@code python3} (or {@code $MOTO_PYTHON}) on one thread: in memory only. */
    MOTO;

    /**
     * The implementation named {@code name}, case-insensitively: {@code dynalite} or {@code moto}.
     *
     * @throws IllegalArgumentException naming the accepted values if {@code name} is neither
     */
    public static Implementation named(String name) {
      Objects.requireNonNull(name, "name");
      for (Implementation implementation : values()) {
        if (implementation.name().equalsIgnoreCase(name.trim())) {
          return implementation;
        }
      }
      throw new IllegalArgumentException("no local DynamoDB server named '" + name + "': use dynalite or moto");
    }

    /** The lower-case name: {@code dynalite} or {@code moto}. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Implementation implementation;
  private final Path home;
  private final Path dataDirectory;
  private int port;
  private Process process;
  private Thread shutdownHook;

  private LocalDynamoDbServer(Implementation implementation, Path home, Path dataDirectory, int port) {
    this.implementation = implementation;
    this.home = home;
    this.dataDirectory = dataDirectory;
    this.port = port;
  }

  /**
   * An in-memory dynalite on a free port: installs dynalite if needed, starts it and waits until it answers.
   *
   * @throws IllegalStateException if node or the package cannot be found, or the server does not answer in 30 s
   */
  public static LocalDynamoDbServer start() {
    return builder().start();
  }

  /** A builder for a server on a chosen port or with its data on disk. */
  public static Builder builder() {
    return new Builder();
  }

  /** The server's address, e.g. {@code http://127.0.0.1:41234}; the same after {@link #restart()}. */
  public synchronized URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The port it listens on; the same after {@link #restart()}. */
  public synchronized int port() {
    return port;
  }

  /** Which server this is. */
  public Implementation implementation() {
    return implementation;
  }

  /** The directory holding its tables, or null if they live in memory. */
  public Path dataDirectory() {
    return dataDirectory;
  }

  /** Whether the server process is alive. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /**
   * Kills the server with SIGKILL, as a crash would: no request in flight is answered, open connections are reset,
   * and what it had written to its data directory stays there. Returns once the process is gone. Idempotent.
   */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    awaitExit(process);
    forgetProcess();
  }

  /**
   * Starts the server again on the same port, with the same data if it has a data directory (empty tables if not),
   * killing it first if it still runs.
   *
   * @throws IllegalStateException if it does not answer in 30 s, e.g. because another process took the port
   */
  public synchronized void restart() {
    kill();
    launch();
  }

  /** Stops the server. Idempotent; {@link #restart()} starts it again. */
  @Override
  public synchronized void close() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        awaitExit(process);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    forgetProcess();
  }

  @Override
  public String toString() {
    return implementation + " at " + endpoint() + (dataDirectory == null ? " (in memory)" : " (data in " + dataDirectory + ")");
  }

  private void launch() {
    ProcessBuilder builder;
    if (implementation == Implementation.MOTO) {
      builder = new ProcessBuilder(motoPython(), "-c", MOTO_SCRIPT);
      builder.environment().put("MOTO_PORT", Integer.toString(port));
    } else {
      builder = new ProcessBuilder("node", "-e", DYNALITE_SCRIPT).directory(home.toFile());
      builder.environment().put("DYNALITE_PORT", Integer.toString(port));
      if (dataDirectory != null) {
        builder.environment().put("DYNALITE_DATA", dataDirectory.toString());
      }
    }
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process started;
    try {
      started = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException(implementation == Implementation.MOTO
          ? "cannot start " + motoPython() + " for moto (is Python 3 on the PATH? set MOTO_PYTHON to choose one)"
          : "cannot start node (is Node.js installed and on the PATH?)", e);
    }
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null) {
        int exit = started.waitFor();
        if (implementation == Implementation.MOTO && exit == MOTO_MISSING) {
          throw new IllegalStateException("moto is not installed for " + motoPython()
              + ": pip install \"moto[server]\" (moto 5), or set MOTO_PYTHON to a Python that has it");
        }
        throw new IllegalStateException(implementation + " exited before listening on port " + port + " (exit "
            + exit + ")");
      }
      port = Integer.parseInt(line.trim());
      process = started;
      shutdownHook = new Thread(started::destroyForcibly, implementation + "-stop");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
      awaitReady();
    } catch (IOException e) {
      started.destroyForcibly();
      throw new UncheckedIOException("cannot read " + implementation + "'s port", e);
    } catch (InterruptedException e) {
      started.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + implementation, e);
    } catch (RuntimeException e) {
      started.destroyForcibly();
      throw e;
    }
  }

  /** Until a ListTables answers 200; any signature will do, the servers check only that one is there. */
  private void awaitReady() throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request = HttpRequest.newBuilder(endpoint())
        .timeout(Duration.ofSeconds(5))
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("X-Amz-Target", "DynamoDB_20120810.ListTables")
        .header("X-Amz-Date", "20200101T000000Z")
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=0")
        .POST(HttpRequest.BodyPublishers.ofString("{}"))
        .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline && process.isAlive()) {
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(this + " does not answer" + (process.isAlive() ? "" : " (it exited)"), last);
  }

  private void forgetProcess() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    process = null;
    shutdownHook = null;
  }

  private static void awaitExit(Process process) {
    boolean interrupted = false;
    while (true) {
      try {
        process.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The Python that runs moto: {@code $MOTO_PYTHON}, else {@code python3}. */
  private static String motoPython() {
    String configured = System.getenv("MOTO_PYTHON");
    return configured == null || configured.isBlank() ? "python3" : configured.trim();
  }

  private static Path findHome() {
    String configured = System.getenv("DYNALITE_HOME");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path packageJson = dir.resolve("package.json");
      try {
        if (Files.isRegularFile(packageJson) && Files.readString(packageJson).contains("\"dynalite\"")) {
          return dir;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no package.json naming dynalite at or above " + Path.of("").toAbsolutePath()
        + "; run from the repository, or set DYNALITE_HOME");
  }

  private static synchronized void ensureInstalled(Path home) {
    if (Files.isDirectory(home.resolve("node_modules").resolve("dynalite"))) {
      return;
    }
    System.err.println("installing dynalite (npm ci in " + home + ") ...");
    try {
      Process npm = new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund"))
          .directory(home.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
        throw new IllegalStateException("'npm ci' in " + home + " failed; run it by hand to see why");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run npm (is Node.js installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while installing dynalite", e);
    }
  }

  /** Configures a {@link LocalDynamoDbServer}. Not thread-safe. */
  public static final class Builder {
    private Implementation implementation = Implementation.DYNALITE;
    private int port;
    private Path dataDirectory;

    private Builder() {}

    /** The port to listen on, from 1 to 65535; default 0, a free port chosen at start. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be from 0 to 65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** The server to run; default {@link Implementation#DYNALITE}. */
    public Builder implementation(Implementation implementation) {
      this.implementation = Objects.requireNonNull(implementation, "implementation");
      return this;
    }

    /**
     * Keeps the tables on disk in {@code directory} (dynalite's {@code path} option, LevelDB), created if missing,
     * so that they survive a kill and a restart; default: in memory. dynalite only: {@link #start()} refuses it for
     * moto, which keeps its tables in memory.
     */
    public Builder dataDirectory(Path directory) {
      this.dataDirectory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
      return this;
    }

    /**
     * Starts the server (installing dynalite first if needed) and waits until it answers.
     *
     * @throws IllegalStateException if node, Python, dynalite or moto cannot be found (the message says how to
     *     install what is missing), if a data directory is asked of moto, or if the server does not answer in 30 s
     */
    public LocalDynamoDbServer start() {
      if (implementation == Implementation.MOTO) {
        if (dataDirectory != null) {
          throw new IllegalStateException("moto keeps its tables in memory only: a data directory (" + dataDirectory
              + ") needs dynalite");
        }
        LocalDynamoDbServer server = new LocalDynamoDbServer(implementation, null, null, port);
        synchronized (server) {
          server.launch();
        }
        return server;
      }
      Path home = findHome();
      ensureInstalled(home);
      if (dataDirectory != null) {
        try {
          Files.createDirectories(dataDirectory);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create the data directory " + dataDirectory, e);
        }
      }
      LocalDynamoDbServer server = new LocalDynamoDbServer(implementation, home, dataDirectory, port);
      synchronized (server) {
        server.launch();
      }
      return server;
    }
  }
}
