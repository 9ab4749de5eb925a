package io.github.ratelimiter.cli;

import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.StoreHealth;
import io.github.ratelimiter.dynamodb.DynamoDbDoctor;
import io.github.ratelimiter.dynamodb.DynamoDbDoctor.Finding;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** {@code doctor}: the health probe, then each table's schema, indexes, TTL and the caller's permissions. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = {"Check the store as the limiters will use it: the health probe (RateLimiters.check()), each"
        + " table's key schema, indexes and TTL, and whether each IAM action of the README's Permissions table is"
        + " permitted, probed with calls that change nothing.",
        "Exit 0 when nothing failed (warnings allowed), 1 when a check failed."})
final class DoctorCommand implements Callable<Integer> {

  @ParentCommand RateLimiterCli root;

  @Override
  public Integer call() {
    TableNames names = root.tableNames();
    try (DynamoDbClient client = root.client()) {
      StoreHealth health;
      try (RateLimiters limiters = RateLimiters.builder()
          .store(DynamoDbStore.builder().client(client).tableNames(names).build()).build()) {
        health = limiters.check();
      }
      List<Finding> findings = new ArrayList<>();
      findings.add(new Finding("health probe", health.healthy() ? DynamoDbDoctor.Verdict.OK
          : DynamoDbDoctor.Verdict.FAIL, health.healthy() ? "the store answers and every table is the library's"
          : "unhealthy: " + String.join(", ", health.checks().stream().filter(c -> !c.ok())
              .map(StoreHealth.Check::name).toList()) + " (see below)"));
      findings.addAll(DynamoDbDoctor.examine(client, names));
      boolean failed = DynamoDbDoctor.failed(findings);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("healthy", health.healthy());
        result.put("verdict", failed ? "FAIL" : "OK");
        result.put("findings", findings);
        Output.json(root.out(), result);
      } else {
        Output.table(root.out(), List.of("VERDICT", "CHECK", "DETAIL"), findings.stream()
            .map(f -> List.of(f.verdict().name(), f.subject(), f.detail())).toList());
        long warnings = findings.stream().filter(f -> f.verdict() == DynamoDbDoctor.Verdict.WARN).count();
        long failures = findings.stream().filter(f -> f.verdict() == DynamoDbDoctor.Verdict.FAIL).count();
        root.out().println();
        root.out().println((failed ? "FAIL: " : "OK: ") + findings.size() + " checks, " + failures + " failed, "
            + warnings + " warning" + (warnings == 1 ? "" : "s"));
        root.out().flush();
      }
      return failed ? ExitCodes.DENIED_OR_NOT_FOUND : ExitCodes.OK;
    }
  }
}
