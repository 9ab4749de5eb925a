package io.github.ratelimiter.cli;

import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.DynamoDbTables.TableInfo;
import io.github.ratelimiter.dynamodb.TableNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** {@code tables create|describe|delete}. */
@Command(name = "tables", description = "Create, describe or delete the limiter's tables.",
    mixinStandardHelpOptions = true)
final class TablesCommand {

  @ParentCommand RateLimiterCli root;

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create the configured tables that do not exist yet (idempotent), and wait until active.")
  int create() {
    TableNames names = root.tableNames();
    try (DynamoDbClient client = root.client()) {
      List<String> created = DynamoDbTables.createIfMissing(client, names);
      List<TableInfo> tables = DynamoDbTables.describe(client, names);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("created", created);
        result.put("tables", tables);
        Output.json(root.out(), result);
      } else {
        Output.table(root.out(), List.of("ROLE", "TABLE", "STATUS", "ACTION"), tables.stream()
            .map(t -> List.of(t.role(), t.name(), t.status(), created.contains(t.name()) ? "created" : "exists"))
            .toList());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "Show each configured table's status; exit 1 if one is missing.")
  int describe() {
    TableNames names = root.tableNames();
    try (DynamoDbClient client = root.client()) {
      List<TableInfo> tables = DynamoDbTables.describe(client, names);
      if (root.json) {
        Output.json(root.out(), tables);
      } else {
        Output.table(root.out(), List.of("ROLE", "TABLE", "STATUS", "ITEMS (approx.)"), tables.stream()
            .map(t -> List.of(t.role(), t.name(), t.status(), t.itemCount() < 0 ? "-" : Long.toString(t.itemCount())))
            .toList());
      }
      return tables.stream().anyMatch(t -> "MISSING".equals(t.status())) ? ExitCodes.DENIED_OR_NOT_FOUND
          : ExitCodes.OK;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete the configured tables and everything in them; exit 1 if none existed.")
  int delete(@Option(names = "--yes", description = "Confirm: every bucket, limit and token is lost")
      boolean yes) {
    TableNames names = root.tableNames();
    if (!yes) {
      throw new IllegalArgumentException("refusing to delete " + tableList(names)
          + " and everything in them without --yes");
    }
    try (DynamoDbClient client = root.client()) {
      List<String> deleted = DynamoDbTables.deleteIfExists(client, names);
      if (root.json) {
        Output.json(root.out(), Map.of("deleted", deleted));
      } else if (deleted.isEmpty()) {
        root.out().println("no table to delete");
      } else {
        deleted.forEach(t -> root.out().println("deleted " + t));
      }
      root.out().flush();
      return deleted.isEmpty() ? ExitCodes.DENIED_OR_NOT_FOUND : ExitCodes.OK;
    }
  }

  private static String tableList(TableNames names) {
    return String.join(", ", java.util.stream.Stream.of(names.fungibleTable(), names.limitTable(),
        names.nonFungibleTable()).filter(java.util.Objects::nonNull).toList());
  }
}
