package io.github.ratelimiter.cli;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code charge RESOURCE ACCOUNT --cost NAME=N,...}: a post-paid charge, for work already done, applied even past the
 * limit ({@code FungibleLimiter.charge}), and the account's standing afterwards.
 */
@Command(name = "charge", mixinStandardHelpOptions = true,
    description = {"Charge a cost for work already done (post-paid): always applied, even past the limit (debt, up",
        "to the limiter's maximum debt). Prints whether the account is still within every limit, and if not, when",
        "it will be. The quota is chosen as for 'acquire'.",
        "Exit 0 when the account is still within its limits, 1 when it is over them (or has no limit)."})
final class ChargeCommand implements Callable<Integer> {

  @ParentCommand RateLimiterCli root;

  @Parameters(index = "0", paramLabel = "RESOURCE") String resource;
  @Parameters(index = "1", paramLabel = "ACCOUNT") String account;

  @Option(names = "--cost", paramLabel = "N|NAME=N[,NAME=N...]", required = true,
      description = "Permits from every limit, or amounts by limit name, e.g. tokens=800")
  String cost;

  @Mixin
  DefaultQuotaOption defaultQuota;

  @Override
  public Integer call() {
    Cost charged = AcquireCommand.costOf("--cost", cost);
    Quota given = defaultQuota.quota();
    DynamoDbStore store = root.store();
    try (RateLimiters limiters = RateLimiters.builder().store(store).build()) {
      Optional<LimitRecord> row = store.limits().find(resource, account, Deadline.none());
      Quota quota = AcquireCommand.quota(root, resource, account, row, given);
      if (quota == null) {
        return ExitCodes.DENIED_OR_NOT_FOUND;
      }
      Decision standing = limiters.fungible(resource, quota).charge(account, charged);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("resourceName", resource);
        result.put("accountId", account);
        result.put("cost", AcquireCommand.text(charged));
        result.put("withinLimits", standing.allowed());
        result.put("remaining", standing.remaining());
        result.put("retryAfterMillis", standing.retryAfter().toMillis());
        result.put("retryAfter", standing.retryAfter().toString());
        result.put("limitName", standing.limitName());
        result.put("limit", standing.limit().limit());
        result.put("windowSec", Durations.seconds(standing.limit().window()));
        result.put("limitSource", row.isPresent() ? "table" : "default");
        Output.json(root.out(), result);
      } else {
        Output.table(root.out(), List.of("RESOURCE", "ACCOUNT", "CHARGED", "WITHIN-LIMITS", "REMAINING",
            "WITHIN-AFTER", "LIMIT"), List.of(List.of(resource, account, AcquireCommand.text(charged),
                standing.allowed() ? "yes" : "no", Long.toString(standing.remaining()),
                Durations.human(standing.retryAfter()),
                LimitSpecs.named(standing.limitName(), standing.limit()) + (row.isPresent() ? "" : " (default)"))));
      }
      return standing.allowed() ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
    }
  }
}
