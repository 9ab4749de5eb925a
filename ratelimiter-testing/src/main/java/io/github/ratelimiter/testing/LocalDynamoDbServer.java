package io.github.ratelimiter.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClientBuilder;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * A DynamoDB-compatible server on loopback: <a href="https://github.com/architect/dynalite">dynalite</a>, the
 * open-source, in-memory implementation from npm, run by the machine's {@code node}.
 *
 * <p>It is looked up in the {@code node_modules} of the nearest directory at or above the working directory whose
 * {@code package.json} names dynalite (or of {@code $DYNALITE_HOME}); when that holds no {@code node_modules} yet,
 * {@code npm ci} installs it first. The server listens on a free port, is ready once a real {@code ListTables}
 * answers, and stops when closed or when this JVM exits (it also exits by itself when its standard input closes).
 *
 * <p>Known differences from DynamoDB: no transactions, no {@code UpdateTimeToLive}, expired items are never
 * deleted, {@code ReturnValuesOnConditionCheckFailure} returns nothing, no throttling. Thread-safe.
 */
public final class LocalDynamoDbServer implements AutoCloseable {

  private static final String SCRIPT = String.join("\n",
      "const server = require('dynalite')({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});",
      "server.listen(0, '127.0.0.1', () => console.log(server.address().port));",
      "process.stdin.on('end', () => process.exit(0));",
      "process.stdin.resume();");

  private final Process process;
  private final URI endpoint;

  private LocalDynamoDbServer(Process process, URI endpoint) {
    this.process = process;
    this.endpoint = endpoint;
  }

  /**
   * Installs dynalite if needed, starts it and waits until it answers.
   *
   * @throws IllegalStateException if node or the package cannot be found, or the server does not answer in 30 s
   */
  public static LocalDynamoDbServer start() {
    Path home = findHome();
    ensureInstalled(home);
    try {
      Process process = new ProcessBuilder("node", "-e", SCRIPT)
          .directory(home.toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null) {
        throw new IllegalStateException("dynalite exited before listening (exit " + process.waitFor() + ")");
      }
      LocalDynamoDbServer server = new LocalDynamoDbServer(process, URI.create("http://127.0.0.1:" + line.trim()));
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "dynalite-stop"));
      server.awaitReady();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start node (is Node.js installed and on the PATH?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting dynalite", e);
    }
  }

  private void awaitReady() throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    try (DynamoDbClient client = newClient()) {
      while (true) {
        try {
          client.listTables();
          return;
        } catch (SdkException e) {
          if (Instant.now().isAfter(deadline) || !process.isAlive()) {
            throw new IllegalStateException("dynalite at " + endpoint + " does not answer", e);
          }
          Thread.sleep(50);
        }
      }
    }
  }

  /** The server's address, e.g. {@code http://127.0.0.1:41234}. */
  public URI endpoint() {
    return endpoint;
  }

  /** A new client of this server, with its own connection pool; close it after use. */
  public DynamoDbClient newClient(ExecutionInterceptor... interceptors) {
    return client(endpoint, interceptors);
  }

  /**
   * A synchronous client of a DynamoDB endpoint, using the Apache HTTP client (2.7x faster than the URL-connection
   * client against dynalite). Loopback endpoints get dummy credentials and {@code us-east-1}; others the default
   * credentials chain and {@code AWS_REGION}.
   */
  @SuppressWarnings("deprecation") // ApacheHttpClient (Apache 4): deprecated for Apache5HttpClient in SDK 2.3x+
  public static DynamoDbClient client(URI endpoint, ExecutionInterceptor... interceptors) {
    boolean local = "127.0.0.1".equals(endpoint.getHost()) || "localhost".equals(endpoint.getHost());
    String region = System.getenv().getOrDefault("AWS_REGION", "us-east-1");
    DynamoDbClientBuilder builder = DynamoDbClient.builder()
        .endpointOverride(endpoint)
        .region(Region.of(local ? "us-east-1" : region))
        .credentialsProvider(local
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"))
            : DefaultCredentialsProvider.builder().build())
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64));
    builder.overrideConfiguration(c -> {
      for (ExecutionInterceptor interceptor : interceptors) {
        c.addExecutionInterceptor(interceptor);
      }
    });
    return builder.build();
  }

  /** Stops the server. Idempotent. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
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
}
