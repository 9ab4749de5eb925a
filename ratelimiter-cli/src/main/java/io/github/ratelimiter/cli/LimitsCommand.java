package io.github.ratelimiter.cli;

import io.github.ratelimiter.Limit;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.LimitLoader;
import io.github.ratelimiter.dynamodb.ServiceLimits;
import io.github.ratelimiter.dynamodb.SyncPlan;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** {@code limits get|set|delete|list|sync}. */
@Command(name = "limits", mixinStandardHelpOptions = true,
    description = "Read and write the limit table; sync a service's limits from a file.")
final class LimitsCommand {

  @ParentCommand RateLimiterCli root;

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Show the limit row of an account on a resource; exit 1 if there is none.")
  int get(@Parameters(index = "0", paramLabel = "RESOURCE") String resource,
      @Parameters(index = "1", paramLabel = "ACCOUNT") String account) {
    try (DynamoDbStore store = root.store()) {
      Optional<LimitRecord> row = store.limits().find(resource, account, Deadline.none());
      if (row.isEmpty()) {
        root.err().println("no limit row for (" + resource + ", " + account + "): limiters apply their default");
        root.err().flush();
        if (root.json) {
          Output.json(root.out(), List.of()); // the same document as for a row: the rows found, here none
        }
        return ExitCodes.DENIED_OR_NOT_FOUND;
      }
      print(List.of(row.get()));
      return ExitCodes.OK;
    }
  }

  /** How {@code limits set} says what kind of a single limit it writes: at most one of the two. */
  static final class Kind {
    @Option(names = "--window", required = true, paramLabel = "DURATION", converter = Durations.class,
        description = "Refill window of a fungible limit given as --limit N, in whole seconds, e.g. 1s, 90, 1m, 1h")
    Duration window;

    @Option(names = "--non-fungible", required = true,
        description = "A cap on live resources (tokens), which has no window")
    boolean nonFungible;
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = {"Write the limit row of an account on a resource (replacing any).",
          "One limit (--limit N with --window or --non-fungible), or a quota of several named limits",
          "(--limit NAME=N/WINDOW, repeated; the first is the one the Python library reads)."})
  int set(@Parameters(index = "0", paramLabel = "RESOURCE") String resource,
      @Parameters(index = "1", paramLabel = "ACCOUNT") String account,
      @Option(names = "--limit", required = true, paramLabel = "N|NAME=N/WINDOW",
          description = {"The limit (0 blocks the account), with --window or --non-fungible; or a named limit with its",
              "own window, e.g. requests=60/1m, repeated for a quota (the first is the one the Python library reads)"})
      List<String> limits,
      @ArgGroup(exclusive = true, multiplicity = "0..1") Kind kind,
      @Option(names = "--service", paramLabel = "NAME",
          description = "Owning service (a later 'limits sync' of another service reports the row as a conflict)")
      String service,
      @Option(names = "--leasing",
          description = "Lease this account's bucket when it is hot (a fungible limit only; README: Hot keys)")
      boolean leasing,
      @Option(names = "--parent", paramLabel = "ACCOUNT",
          description = "The account above this one (e.g. its organisation), stored as parentAccountId")
      String parent) {
    Duration window = kind == null ? null : kind.window;
    boolean nonFungible = kind != null && kind.nonFungible;
    boolean named = limits.stream().anyMatch(l -> l.contains("="));
    if (!named && kind == null) {
      throw new IllegalArgumentException("--limit N needs --window (a fungible limit) or --non-fungible (a cap on"
          + " live resources); or give named limits, --limit NAME=N/WINDOW");
    }
    if (named && nonFungible) {
      throw new IllegalArgumentException("--non-fungible is one cap, --limit N; named limits (NAME=N/WINDOW) are a"
          + " fungible quota");
    }
    if (parent != null && parent.equals(account)) {
      throw new IllegalArgumentException("--parent: an account cannot be its own parent, was '" + parent + "'");
    }
    LimitRecord row = LimitSpecs.row("--limit", limits, window, "--window", resource, account, service, leasing,
        parent);
    try (DynamoDbStore store = root.store()) {
      // The store's put checks the row as a limits file's entries are checked (ids, limit, whole-second windows up
      // to ten years, names) and throws before anything is sent.
      store.limits().put(row);
      print(List.of(row));
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete the limit row of an account on a resource; exit 1 if there was none.")
  int delete(@Parameters(index = "0", paramLabel = "RESOURCE") String resource,
      @Parameters(index = "1", paramLabel = "ACCOUNT") String account) {
    try (DynamoDbStore store = root.store()) {
      boolean deleted = store.limits().delete(resource, account);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("resourceName", resource);
        result.put("accountId", account);
        result.put("deleted", deleted);
        Output.json(root.out(), result);
      } else {
        root.out().println(deleted ? "deleted (" + resource + ", " + account + ")"
            : "no limit row for (" + resource + ", " + account + ")");
        root.out().flush();
      }
      return deleted ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
    }
  }

  /** What {@code limits list} lists: one service's rows, or one resource's (never a scan). */
  static final class Selection {
    @Option(names = "--service", required = true, paramLabel = "NAME", description = "Rows owned by a service")
    String service;

    @Option(names = "--resource", required = true, paramLabel = "NAME", description = "Rows of a resource")
    String resource;
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the rows of a service (through its index) or of a resource.")
  int list(@ArgGroup(exclusive = true, multiplicity = "1") Selection selection) {
    try (DynamoDbStore store = root.store()) {
      List<LimitRecord> rows = new ArrayList<>(selection.service != null
          ? store.limits().listByService(selection.service)
          : store.limits().listByResource(selection.resource));
      rows.sort(java.util.Comparator.comparing(LimitRecord::resourceName).thenComparing(LimitRecord::accountId));
      print(rows);
      return ExitCodes.OK;
    }
  }

  @Command(name = "sync", mixinStandardHelpOptions = true,
      description = {"Make the limit table hold exactly the service's limits from a JSON or YAML file: delete the",
          "service's rows the file no longer lists, write new and changed rows, leave equal rows alone.",
          "Rows of other services (or set by hand) are reported as conflicts and left alone unless --force.",
          "Exit 0 when done, 1 when conflicts were left alone, 2 for an invalid file."})
  int sync(@Parameters(index = "0", paramLabel = "FILE", description = "limits file (.json, .yaml or .yml)")
      Path file,
      @Option(names = "--service", required = true, paramLabel = "NAME", description = "The service whose limits"
          + " the file lists") String service,
      @Option(names = "--dry-run", description = "Show what would change; write nothing") boolean dryRun,
      @Option(names = "--force", description = "Take over rows owned by other services") boolean force) {
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new IllegalArgumentException((java.nio.file.Files.exists(file) ? "not a file: " : "no such file: ") + file);
    }
    ServiceLimits limits = ServiceLimits.read(service, file);
    try (DynamoDbClient client = root.client()) {
      LimitLoader loader = LimitLoader.create(client, root.tableNames());
      SyncPlan plan = dryRun ? loader.plan(limits, force) : loader.sync(limits, force);
      if (root.json) {
        Output.json(root.out(), planJson(plan));
      } else {
        printPlan(plan);
      }
      return plan.hasConflicts() ? ExitCodes.DENIED_OR_NOT_FOUND : ExitCodes.OK;
    }
  }

  private void printPlan(SyncPlan plan) {
    List<List<String>> rows = new ArrayList<>();
    for (SyncPlan.Change c : plan.changes()) {
      rows.add(List.of(c.action().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
          c.key().resourceName(), c.key().accountId(), describe(c.before()), describe(c.after())));
    }
    for (SyncPlan.Conflict c : plan.conflicts()) {
      rows.add(List.of("conflict", c.key().resourceName(), c.key().accountId(),
          describe(c.stored()) + " owned by " + (c.owner() == null ? "no service (set by hand)" : c.owner()),
          describe(c.wanted()) + " (left alone; --force takes it)"));
    }
    if (!rows.isEmpty()) {
      Output.table(root.out(), List.of("ACTION", "RESOURCE", "ACCOUNT", "BEFORE", "AFTER"), rows);
    }
    root.out().println(plan.summary());
    root.out().flush();
  }

  private static Map<String, Object> planJson(SyncPlan plan) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("serviceName", plan.serviceName());
    json.put("applied", plan.applied());
    json.put("unchanged", plan.unchanged());
    Map<String, Object> counts = new LinkedHashMap<>();
    for (SyncPlan.Action action : SyncPlan.Action.values()) {
      counts.put(action.name(), plan.count(action));
    }
    json.put("counts", counts);
    json.put("changes", plan.changes().stream().map(c -> {
      Map<String, Object> change = new LinkedHashMap<>();
      change.put("action", c.action().name());
      change.put("resourceName", c.key().resourceName());
      change.put("accountId", c.key().accountId());
      change.put("before", c.before() == null ? null : rowJson(c.before()));
      change.put("after", c.after() == null ? null : rowJson(c.after()));
      return change;
    }).toList());
    json.put("conflicts", plan.conflicts().stream().map(c -> {
      Map<String, Object> conflict = new LinkedHashMap<>();
      conflict.put("resourceName", c.key().resourceName());
      conflict.put("accountId", c.key().accountId());
      conflict.put("owner", c.owner());
      conflict.put("stored", c.stored() == null ? null : rowJson(c.stored()));
      conflict.put("wanted", rowJson(c.wanted()));
      return conflict;
    }).toList());
    return json;
  }

  private void print(List<LimitRecord> rows) {
    if (root.json) {
      Output.json(root.out(), rows.stream().map(LimitsCommand::rowJson).toList());
      return;
    }
    // One line per limit: a quota's other limits on lines of their own, resource and account repeated.
    List<List<String>> lines = new ArrayList<>();
    for (LimitRecord r : rows) {
      String service = r.serviceName() == null ? "-" : r.serviceName();
      String parent = r.parentAccountId() == null ? "-" : r.parentAccountId();
      lines.add(List.of(r.resourceName(), r.accountId(), r.limitName() == null ? "-" : r.limitName(),
          Long.toString(r.limit()), r.window() == null ? "-" : Durations.human(r.window()), kind(r), service, parent));
      r.moreLimits().forEach((name, limit) -> lines.add(List.of(r.resourceName(), r.accountId(), name,
          Long.toString(limit.limit()), Durations.human(limit.window()), kind(r), service, parent)));
    }
    Output.table(root.out(), List.of("RESOURCE", "ACCOUNT", "NAME", "LIMIT", "WINDOW", "KIND", "SERVICE", "PARENT"),
        lines);
  }

  /**
   * A row for scripts: the first limit where the table keeps it ({@code limit}, {@code windowSec}, {@code limitName}),
   * every limit in {@code limits} (the first included; empty for a non-fungible row), and the parent.
   */
  static Map<String, Object> rowJson(LimitRecord row) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("resourceName", row.resourceName());
    json.put("accountId", row.accountId());
    json.put("limit", row.limit());
    json.put("windowSec", row.window() == null ? null : Durations.seconds(row.window()));
    json.put("kind", row.window() == null ? "non-fungible" : "fungible");
    json.put("leasing", row.leasing());
    json.put("serviceName", row.serviceName());
    json.put("limitName", row.limitName());
    List<Map<String, Object>> limits = new ArrayList<>();
    if (row.window() != null) {
      limits.add(limitJson(row.limitName(), Limit.of(row.limit(), row.window())));
      row.moreLimits().forEach((name, limit) -> limits.add(limitJson(name, limit)));
    }
    json.put("limits", limits);
    json.put("parentAccountId", row.parentAccountId());
    return json;
  }

  private static Map<String, Object> limitJson(String name, Limit limit) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", name);
    json.put("limit", limit.limit());
    json.put("windowSec", Durations.seconds(limit.window()));
    return json;
  }

  private static String kind(LimitRecord row) {
    return row.window() == null ? "non-fungible" : row.leasing() ? "fungible, leased" : "fungible";
  }

  private static String describe(LimitRecord row) {
    return LimitSpecs.describe(row);
  }

}
