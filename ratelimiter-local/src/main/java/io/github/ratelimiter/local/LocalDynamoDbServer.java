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
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A DynamoDB-compatible server on loopback: <a href="https://github.com/architect/dynalite">dynalite</a>, the
 * open-source implementation from npm, run by the machine's {@code node}. For the CLI's demo, tests and benchmarks;
 * never for production data.
 *
 * <pre>{@code
 * try (LocalDynamoDbServer server = LocalDynamoDbServer.start()) {         // in memory, a free port
 *   DynamoDbClient client = DynamoDbClients.builder().endpoint(server.endpoint()).build();
 * }
 *
 * LocalDynamoDbServer server = LocalDynamoDbServer.builder()
 *     .dataDirectory(Path.of("target/dynalite")).start();                     // on disk
 * server.kill();       // SIGKILL, as a crash
 * server.restart();    // same port, same data
 * }</pre>
 *
 * <p>dynalite is looked up in the {@code node_modules} of the nearest directory at or above the working directory
 * whose {@code package.json} names dynalite (or of {@code $DYNALITE_HOME}); when that holds no {@code node_modules}
 * yet, {@code npm ci} installs it first. The server listens on loopback, on a free port unless one is given, and is
 * ready once a real {@code ListTables} answers. With a {@linkplain Builder#dataDirectory(Path) data directory} its
 * tables live on disk (LevelDB) and survive a {@link #kill()}; without one they live in the server's memory. It stops
 * when closed or when this JVM exits (it also exits by itself when its standard input closes).
 *
 * <p>Known differences from DynamoDB: no transactions, no {@code UpdateTimeToLive}, expired items are never
 * deleted, {@code ReturnValuesOnConditionCheckFailure} returns nothing, no throttling. Thread-safe.
 */
public final class LocalDynamoDbServer implements AutoCloseable {

  private static final String SCRIPT = String.join("\n",
      "const options = {createTableMs: 0, deleteTableMs: 0, updateTableMs: 0};",
      "if (process.env.DYNALITE_DATA) options.path = process.env.DYNALITE_DATA;",
      "const server = require('dynalite')(options);",
      "server.on('error', e => { console.error('dynalite: ' + e.message); process.exit(1); });",
      "server.listen(Number(process.env.DYNALITE_PORT || 0), '127.0.0.1', () => console.log(server.address().port));",
      "process.stdin.on('end', () => process.exit(0));",
      "process.stdin.resume();");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final Path home;
  private final Path dataDirectory;
  private int port;
  private Process process;
  private Thread shutdownHook;

  private LocalDynamoDbServer(Path home, Path dataDirectory, int port) {
    this.home = home;
    this.dataDirectory = dataDirectory;
    this.port = port;
  }

  /**
   * An in-memory server on a free port: installs dynalite if needed, starts it and waits until it answers.
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
    return "dynalite at " + endpoint() + (dataDirectory == null ? " (in memory)" : " (data in " + dataDirectory + ")");
  }

  private void launch() {
    ProcessBuilder builder = new ProcessBuilder("node", "-e", SCRIPT)
        .directory(home.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("DYNALITE_PORT", Integer.toString(port));
    if (dataDirectory != null) {
      builder.environment().put("DYNALITE_DATA", dataDirectory.toString());
    }
    Process started;
    try {
      started = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start node (is Node.js installed and on the PATH?)", e);
    }
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null) {
        throw new IllegalStateException("dynalite exited before listening on port " + port + " (exit "
            + started.waitFor() + ")");
      }
      port = Integer.parseInt(line.trim());
      process = started;
      shutdownHook = new Thread(started::destroyForcibly, "dynalite-stop");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
      awaitReady();
    } catch (IOException e) {
      started.destroyForcibly();
      throw new UncheckedIOException("cannot read dynalite's port", e);
    } catch (InterruptedException e) {
      started.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting dynalite", e);
    } catch (RuntimeException e) {
      started.destroyForcibly();
      throw e;
    }
  }

  /** Until a ListTables answers 200; any signature will do, dynalite checks only that one is there. */
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

    /**
     * Keeps the tables on disk in {@code directory} (dynalite's {@code path} option, LevelDB), created if missing,
     * so that they survive a kill and a restart; default: in memory.
     */
    public Builder dataDirectory(Path directory) {
      this.dataDirectory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
      return this;
    }

    /**
     * Installs dynalite if needed, starts it and waits until it answers.
     *
     * @throws IllegalStateException if node or the package cannot be found, or the server does not answer in 30 s
     */
    public LocalDynamoDbServer start() {
      Path home = findHome();
      ensureInstalled(home);
      if (dataDirectory != null) {
        try {
          Files.createDirectories(dataDirectory);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create the data directory " + dataDirectory, e);
        }
      }
      LocalDynamoDbServer server = new LocalDynamoDbServer(home, dataDirectory, port);
      synchronized (server) {
        server.launch();
      }
      return server;
    }
  }
}
