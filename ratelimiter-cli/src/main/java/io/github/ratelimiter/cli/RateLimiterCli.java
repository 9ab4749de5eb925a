package io.github.ratelimiter.cli;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The root command: global options (endpoint, region, table names, output format) and what every subcommand needs
 * from them. Parsing is picocli's; running is each subcommand's {@code call()}.
 */
@Command(name = "ratelimiter", mixinStandardHelpOptions = true, version = "ratelimiter 0.1.0-SNAPSHOT",
    description = "Administer and try the DynamoDB rate limiter: tables, limits, decisions, tokens, and a demo.",
    subcommands = {TablesCommand.class, LimitsCommand.class, AcquireCommand.class, ChargeCommand.class,
        TokensCommand.class, DemoCommand.class, DoctorCommand.class, ServeCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 success, 1 denied or not found (or a sync left conflicts, or a doctor check"
        + " failed), 2 usage error,"
        + " 3 store error.", "Table names default to the library's environment variables: LIMITER_TABLES_BASE_NAME,"
        + " FUNGIBLE_TABLE, LIMIT_TABLE, NON_FUNGIBLE_TABLE, NON_FUNGIBLE_RES_INDEX, LIMIT_SERVICE_INDEX."})
final class RateLimiterCli implements Callable<Integer> {

  /**
   * The CLI's client timeouts, longer than a request path's: administration (table creation, batch writes of a
   * limits file) and the demo's many threads on one local server may take seconds.
   * {@code RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT} and {@code RATELIMITER_DYNAMODB_CALL_TIMEOUT} override them.
   */
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  @Spec CommandSpec spec;

  @Option(names = "--endpoint", scope = ScopeType.INHERIT, paramLabel = "URL", converter = Endpoints.class,
      description = "DynamoDB endpoint, e.g. http://127.0.0.1:8000 (default: $DYNAMODB_ENDPOINT, else AWS)")
  URI endpoint;

  @Option(names = "--region", scope = ScopeType.INHERIT, paramLabel = "REGION",
      description = "AWS region (default: the SDK's chain)")
  String region;

  @Option(names = "--base-name", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "Derive every table name from NAME (overrides $LIMITER_TABLES_BASE_NAME)")
  String baseName;

  @Option(names = "--fungible-table", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "Overrides $FUNGIBLE_TABLE")
  String fungibleTable;

  @Option(names = "--limit-table", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "Overrides $LIMIT_TABLE")
  String limitTable;

  @Option(names = "--non-fungible-table", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "Overrides $NON_FUNGIBLE_TABLE")
  String nonFungibleTable;

  @Option(names = "--resource-index", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "Overrides $NON_FUNGIBLE_RES_INDEX")
  String resourceIndex;

  @Option(names = "--service-index", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "Overrides $LIMIT_SERVICE_INDEX")
  String serviceIndex;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON instead of tables")
  boolean json;

  private final Map<String, String> environment;
  private final boolean interactive;

  RateLimiterCli(Map<String, String> environment, boolean interactive) {
    this.environment = Map.copyOf(environment);
    this.interactive = interactive;
  }

  /**
   * The command line with the documented exit codes: a store failure is 3, a bad argument, file or configuration 2.
   * Tests call {@code execute} on it with their own writers.
   */
  static CommandLine commandLine(Map<String, String> environment, boolean interactive) {
    RateLimiterCli root = new RateLimiterCli(environment, interactive);
    CommandLine commandLine = new CommandLine(root);
    // picocli's own usage errors ('abc' is not a long, a missing parameter, an unknown option): one line, exit 2.
    commandLine.setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      boolean json = java.util.Arrays.asList(args).contains("--json");
      return fail(cmd, json, ExitCodes.USAGE, e.getMessage() + " (see '"
          + cmd.getCommandSpec().qualifiedName() + " --help')");
    });
    commandLine.setExecutionExceptionHandler((e, cmd, parseResult) -> {
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
          || e instanceof UncheckedIOException) {
        return fail(cmd, root.json, ExitCodes.USAGE, e.getMessage());
      }
      if (e instanceof RateLimiterException || e instanceof SdkException) {
        return fail(cmd, root.json, ExitCodes.STORE_ERROR, e.getMessage());
      }
      e.printStackTrace(cmd.getErr());
      return fail(cmd, root.json, ExitCodes.STORE_ERROR, e.toString());
    });
    return commandLine;
  }

  /**
   * Reports a failure as one {@code error:} line on standard error, and with {@code --json} also as the one JSON
   * document on standard output ({@code {"error": ..., "exitCode": ...}}), so a script always gets a document.
   */
  private static int fail(CommandLine cmd, boolean json, int code, String message) {
    PrintWriter err = cmd.getErr();
    err.println("error: " + message);
    err.flush();
    if (json) {
      Map<String, Object> document = new LinkedHashMap<>();
      document.put("error", message);
      document.put("exitCode", code);
      Output.json(cmd.getOut(), document);
    }
    return code;
  }

  /** No command: the usage on standard error, exit 2. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  boolean interactive() {
    return interactive;
  }

  /** The environment the command runs in. */
  Map<String, String> environment() {
    return environment;
  }

  /** Whether a flag or variable names the tables (the demo otherwise uses its own). */
  boolean tablesConfigured() {
    return baseName != null || fungibleTable != null || limitTable != null || nonFungibleTable != null
        || environment.containsKey(TableNames.LIMITER_TABLES_BASE_NAME)
        || environment.containsKey(TableNames.FUNGIBLE_TABLE) || environment.containsKey(TableNames.LIMIT_TABLE)
        || environment.containsKey(TableNames.NON_FUNGIBLE_TABLE);
  }

  /**
   * The table names: each flag in place of its variable, as {@link TableNames.Builder} takes them.
   *
   * @throws IllegalStateException if none is configured, naming the flags and variables
   */
  TableNames tableNames() {
    try {
      return TableNames.builder().baseName(baseName).fungibleTable(fungibleTable).limitTable(limitTable)
          .nonFungibleTable(nonFungibleTable).resourceIndex(resourceIndex).limitServiceIndex(serviceIndex)
          .environment(environment::get).build();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + "; or pass --base-name NAME (or --limit-table etc.)", e);
    }
  }

  /** The endpoint from the flag, else $DYNAMODB_ENDPOINT, else null (AWS). */
  URI endpointOrNull() {
    if (endpoint != null) {
      return endpoint;
    }
    String configured = environment.get(DynamoDbClients.DYNAMODB_ENDPOINT);
    if (configured == null || configured.isBlank()) {
      return null;
    }
    try {
      return Endpoints.parse(configured);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(DynamoDbClients.DYNAMODB_ENDPOINT + " is " + e.getMessage(), e);
    }
  }

  /**
   * A client for the endpoint and region, built by {@link DynamoDbClients} (a loopback endpoint gets dummy
   * credentials and {@code us-east-1} unless a region is given; others the SDK's default chains) with the CLI's
   * timeouts, unless the environment sets others.
   *
   * @throws IllegalStateException if no region can be found, naming the flag and the variables
   */
  DynamoDbClient client(URI endpoint, ExecutionInterceptor... interceptors) {
    DynamoDbClients.Builder builder = DynamoDbClients.builder()
        .attemptTimeout(ATTEMPT_TIMEOUT)
        .callTimeout(CALL_TIMEOUT)
        .maxConnections(64)
        .environment(withoutEndpoint(environment));
    if (endpoint != null) {
      builder.endpoint(endpoint);
    }
    if (region != null) {
      builder.region(region);
    }
    for (ExecutionInterceptor interceptor : interceptors) {
      builder.addInterceptor(interceptor);
    }
    try {
      return builder.build();
    } catch (RateLimiterException e) {
      throw new IllegalStateException(e.getMessage() + "; or pass --region", e);
    }
  }

  /** The endpoint is the caller's choice (flag, variable or a demo server), never the variable behind its back. */
  private static Map<String, String> withoutEndpoint(Map<String, String> environment) {
    Map<String, String> copy = new HashMap<>(environment);
    copy.remove(DynamoDbClients.DYNAMODB_ENDPOINT);
    return copy;
  }

  DynamoDbClient client() {
    return client(endpointOrNull());
  }

  /** A store over a new client; closing the store closes the client. */
  DynamoDbStore store() {
    TableNames names = tableNames();
    return DynamoDbStore.builder().client(client()).ownsClient(true).tableNames(names).build();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
