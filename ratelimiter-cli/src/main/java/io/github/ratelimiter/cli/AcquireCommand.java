package io.github.ratelimiter.cli;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.store.Deadline;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code acquire RESOURCE ACCOUNT [--permits N | --cost NAME=N,...]}: one real decision, as an application would ask
 * for it, against the account's row or, without one, the default quota given.
 */
@Command(name = "acquire", mixinStandardHelpOptions = true,
    description = {"Ask for permits or a cost on a fungible resource, as an application would (they are taken).",
        "The quota is the account's row; --default-limit is the application's default quota, for accounts without",
        "one (a row of one unnamed limit replaces its first limit).",
        "Exit 0 when allowed, 1 when denied or when the account has no limit row and no default is given."})
final class AcquireCommand implements Callable<Integer> {

  @ParentCommand RateLimiterCli root;

  @Parameters(index = "0", paramLabel = "RESOURCE") String resource;
  @Parameters(index = "1", paramLabel = "ACCOUNT") String account;

  @Option(names = "--permits", paramLabel = "N",
      description = "Permits to take at once from every limit (default 1)")
  Long permits;

  @Option(names = "--cost", paramLabel = "NAME=N[,NAME=N...]",
      description = "Amounts by limit name, e.g. tokens=800,requests=1 (a limit not named is charged 0)")
  String cost;

  @Option(names = "--default-limit", paramLabel = "N|NAME=N/WINDOW",
      description = {"The default quota, for an account without a row: N with --default-window, or named limits",
          "with their own windows, repeated, e.g. --default-limit requests=60/1m --default-limit tokens=100000/1m"})
  List<String> defaultLimits;

  @Option(names = "--default-window", paramLabel = "DURATION", converter = Durations.class,
      description = "Window of --default-limit N, e.g. 1s, 500ms, 1m")
  Duration defaultWindow;

  @Override
  public Integer call() {
    if (permits != null && cost != null) {
      throw new IllegalArgumentException("--permits and --cost are two ways to ask; give one");
    }
    if (defaultWindow != null && defaultLimits == null) {
      throw new IllegalArgumentException("--default-limit and --default-window go together");
    }
    Cost asked = cost != null ? LimitSpecs.cost("--cost", cost) : Cost.permits(permits == null ? 1 : permits);
    Quota given = defaultLimits == null ? null
        : LimitSpecs.quota("--default-limit", defaultLimits, defaultWindow, "--default-window");
    DynamoDbStore store = root.store();
    try (RateLimiters limiters = RateLimiters.builder().store(store).build()) {
      Optional<LimitRecord> row = store.limits().find(resource, account, Deadline.none());
      Quota quota;
      if (row.isPresent() && row.get().window() == null) {
        throw new IllegalArgumentException("the limit row of (" + resource + ", " + account
            + ") has no window: it is a non-fungible limit; use 'tokens' for it");
      }
      if (given != null) {
        quota = given; // what the application would pass; the limiter applies the row over it, as there
      } else if (row.isPresent()) {
        LimitRecord r = row.get();
        quota = r.quota(r.limitName() != null ? r.limitName() : LimitSpecs.windowName(r.window()));
      } else {
        root.err().println("no limit for (" + resource + ", " + account + "): set one with 'limits set', or pass"
            + " --default-limit and --default-window");
        root.err().flush();
        if (root.json) {
          Map<String, Object> result = new LinkedHashMap<>();
          result.put("resourceName", resource);
          result.put("accountId", account);
          result.put("permits", cost == null ? asked.amount("") : null);
          result.put("cost", cost == null ? null : asked.amounts());
          result.put("allowed", false);
          result.put("limitSource", "none");
          Output.json(root.out(), result);
        }
        return ExitCodes.DENIED_OR_NOT_FOUND;
      }
      FungibleLimiter limiter = limiters.fungible(resource, quota);
      Decision decision = cost == null ? limiter.tryAcquire(account, asked.amount("")) : limiter.tryAcquire(account,
          asked);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("resourceName", resource);
        result.put("accountId", account);
        result.put("permits", cost == null ? asked.amount("") : null);
        result.put("cost", cost == null ? null : asked.amounts());
        result.put("allowed", decision.allowed());
        result.put("remaining", decision.remaining());
        result.put("retryAfterMillis", decision.retryAfter().toMillis());
        result.put("retryAfter", decision.retryAfter().toString());
        result.put("limitName", decision.limitName());
        result.put("limit", decision.limit().limit());
        result.put("windowSec", Durations.seconds(decision.limit().window()));
        result.put("limitSource", row.isPresent() ? "table" : "default");
        Output.json(root.out(), result);
      } else {
        String costText = cost == null ? Long.toString(asked.amount("")) : costText(asked);
        Output.table(root.out(), List.of("RESOURCE", "ACCOUNT", "COST", "ALLOWED", "REMAINING", "RETRY-AFTER",
            "LIMIT"), List.of(List.of(resource, account, costText, decision.allowed() ? "yes" : "no",
                Long.toString(decision.remaining()), Durations.human(decision.retryAfter()),
                LimitSpecs.named(decision.limitName(), decision.limit()) + (row.isPresent() ? "" : " (default)"))));
      }
      return decision.allowed() ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
    }
  }

  /** {@code requests=1,tokens=800}. */
  private static String costText(Cost cost) {
    StringBuilder text = new StringBuilder();
    cost.amounts().forEach((name, amount) -> text.append(text.length() == 0 ? "" : ",").append(name).append('=')
        .append(amount));
    return text.toString();
  }
}
