package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.server.RateLimitServer;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** {@code serve}: options and their environment variables, the store choice, refusals; the service answering. */
class ServeCommandTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  @TempDir Path dir;

  private static final String CONFIG = """
      domain: shop
      descriptors:
        - key: user
          rate_limit: {unit: hour, requests_per_unit: 2}
      """;

  /** Runs serve in the background until it has started; the server, and the exit code once stopped. */
  private record Running(RateLimitServer server, CompletableFuture<Integer> exit, StringWriter out) {}

  private Running serve(Map<String, String> environment, String... args) throws Exception {
    CommandLine commandLine = RateLimiterCli.commandLine(environment, false);
    StringWriter out = new StringWriter();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(out, true));
    CompletableFuture<RateLimitServer> started = new CompletableFuture<>();
    ((ServeCommand) commandLine.getSubcommands().get("serve").getCommand()).started = started::complete;
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> commandLine.execute(args));
    RateLimitServer server = CompletableFuture.anyOf(started, exit).thenApply(x -> started.getNow(null))
        .get(60, TimeUnit.SECONDS);
    assertThat(server).as(out.toString()).isNotNull();
    return new Running(server, exit, out);
  }

  private static HttpResponse<String> json(RateLimitServer server, String user) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.httpPort() + "/json")).POST(HttpRequest.BodyPublishers.ofString(
            "{\"domain\":\"shop\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"" + user
                + "\"}]}]}")).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesFromTheInMemoryStoreWithOptions() throws Exception {
    Path config = Files.writeString(dir.resolve("shop.yaml"), CONFIG);
    Running running = serve(Map.of("RATELIMITER_MAX_IN_FLIGHT", "100"), "serve", "--store", "in-memory", "--config",
        config.toString(), "--grpc-port", "0", "--http-port", "0");
    assertThat(running.out().toString()).contains("rate-limit service: gRPC port " + running.server().grpcPort())
        .contains("store in memory");
    assertThat(json(running.server(), "a").statusCode()).isEqualTo(200);
    assertThat(json(running.server(), "a").statusCode()).isEqualTo(200);
    assertThat(json(running.server(), "a").statusCode()).isEqualTo(429);
    running.server().close();
    assertThat(running.exit().get(60, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void servesFromDynamoDbConfiguredByEnvironmentVariables() throws Exception {
    Path config = Files.writeString(dir.resolve("shop.yaml"), CONFIG);
    String base = LocalDynamoDb.uniqueName("serve");
    try (DynamoDbClient client = DYNAMO.newClient()) {
      DynamoDbTables.createIfMissing(client, TableNames.of(base));
    }
    Map<String, String> env = new HashMap<>();
    env.put("DYNAMODB_ENDPOINT", DYNAMO.endpoint().toString());
    env.put("LIMITER_TABLES_BASE_NAME", base);
    env.put("RATELIMITER_CONFIG", config.toString());
    env.put("RATELIMITER_GRPC_PORT", "0");
    env.put("RATELIMITER_HTTP_PORT", "0");
    env.put("RATELIMITER_FAILURE_MODE", "fail-open");
    Running running = serve(env, "serve");
    assertThat(running.out().toString()).contains("store DynamoDB at " + DYNAMO.endpoint())
        .contains(base + "-fungible-tokens");
    assertThat(json(running.server(), "b").statusCode()).isEqualTo(200);
    assertThat(json(running.server(), "b").statusCode()).isEqualTo(200);
    assertThat(json(running.server(), "b").statusCode()).isEqualTo(429);
    running.server().close();
    assertThat(running.exit().get(60, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void localStartsItsOwnDynaliteWithTablesAsTheReadmeSays() throws Exception {
    Path config = Path.of("../examples/rate-limit-service/ratelimit.yaml");
    Running running = serve(Map.of(), "serve", "--local", "--config", config.toString(), "--grpc-port", "0",
        "--http-port", "0");
    assertThat(running.out().toString()).contains("starting a local DynamoDB-compatible server (dynalite)")
        .contains("table ratelimit-local-fungible-tokens (dynalite, stopped with the service)");
    HttpResponse<String> blocked = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + running.server().httpPort() + "/json")).POST(HttpRequest.BodyPublishers
            .ofString("{\"domain\":\"shop\",\"descriptors\":[{\"entries\":[{\"key\":\"remote_address\","
                + "\"value\":\"50.0.0.5\"}]}]}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(blocked.statusCode()).isEqualTo(429);
    running.server().close();
    assertThat(running.exit().get(60, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void aBadConfigurationOrOptionIsAUsageError() throws Exception {
    Path config = Files.writeString(dir.resolve("bad.yaml"), "domain: shop\ndescriptors:\n  - key: user\n"
        + "    rate_limit: {unit: fortnight, requests_per_unit: 1}\n");
    CliRunner cli = new CliRunner(Map.of());
    CliRunner.Result bad = cli.run("serve", "--store", "in-memory", "--config", config.toString(),
        "--grpc-port", "0", "--http-port", "0");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("error: " + config + ":4: descriptors[0].rate_limit.unit: invalid rate limit"
        + " unit 'fortnight'");
    assertThat(cli.run("serve", "--store", "in-memory").err())
        .contains("--config is required (or RATELIMITER_CONFIG)");
    assertThat(cli.run("serve", "--store", "redis", "--config", config.toString()).err())
        .contains("--store must be dynamodb or in-memory: 'redis'");
    assertThat(new CliRunner(Map.of("RATELIMITER_GRPC_PORT", "eighty")).run("serve", "--store", "in-memory",
        "--config", config.toString()).err()).contains("RATELIMITER_GRPC_PORT is 'eighty': not a whole number");
    assertThat(cli.run("serve", "--store", "in-memory", "--config", config.toString(), "--tls-cert", "c.pem")
        .err()).contains("TLS needs both --tls-cert and --tls-key");
    assertThat(cli.run("serve", "--store", "in-memory", "--config", config.toString(), "--max-in-flight", "0")
        .err()).contains("maxInFlight must be from 1 to 1000000: 0");
    assertThat(new CliRunner(Map.of("RATELIMITER_THREADS", "64")).run("serve", "--store", "in-memory", "--config",
        config.toString(), "--max-in-flight", "100").err()).contains("--threads (RATELIMITER_THREADS) is the"
            + " deprecated name of --max-in-flight (RATELIMITER_MAX_IN_FLIGHT): give only --max-in-flight");
  }

  @Test
  void threadsIsADeprecatedAliasOfMaxInFlight() throws Exception {
    Path config = Files.writeString(dir.resolve("shop.yaml"), CONFIG);
    Running running = serve(Map.of(), "serve", "--store", "in-memory", "--config", config.toString(),
        "--grpc-port", "0", "--http-port", "0", "--threads", "8");
    assertThat(running.out().toString()).contains("warning: --threads (RATELIMITER_THREADS) is deprecated: no thread"
        + " waits for the store any more; it sets --max-in-flight 8 (RATELIMITER_MAX_IN_FLIGHT), the requests each"
        + " listener decides at once");
    assertThat(json(running.server(), "a").statusCode()).isEqualTo(200);
    running.server().close();
    assertThat(running.exit().get(60, TimeUnit.SECONDS)).isZero();
  }
}
