package io.github.ratelimiter.cli;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.Limit;
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

/** {@code acquire RESOURCE ACCOUNT [--permits N]}: one real decision, as an application would ask for it. */
@Command(name = "acquire", mixinStandardHelpOptions = true,
    description = {"Ask for permits on a fungible resource, as an application would (the permits are taken).",
        "Exit 0 when allowed, 1 when denied or when the account has no limit row and no default is given."})
final class AcquireCommand implements Callable<Integer> {

  @ParentCommand RateLimiterCli root;

  @Parameters(index = "0", paramLabel = "RESOURCE") String resource;
  @Parameters(index = "1", paramLabel = "ACCOUNT") String account;

  @Option(names = "--permits", defaultValue = "1", description = "Permits to take at once (default 1)")
  long permits;

  @Option(names = "--default-limit", paramLabel = "N",
      description = "Limit to apply when the account has no row (with --default-window)")
  Long defaultLimit;

  @Option(names = "--default-window", paramLabel = "DURATION", converter = Durations.class,
      description = "Window of --default-limit, e.g. 1s, 500ms, 1m")
  Duration defaultWindow;

  @Override
  public Integer call() {
    if ((defaultLimit == null) != (defaultWindow == null)) {
      throw new IllegalArgumentException("--default-limit and --default-window go together");
    }
    DynamoDbStore store = root.store();
    try (RateLimiters limiters = RateLimiters.builder().store(store).build()) {
      Optional<LimitRecord> row = store.limits().find(resource, account, Deadline.none());
      Limit fallback;
      if (row.isPresent()) {
        if (row.get().window() == null) {
          throw new IllegalArgumentException("the limit row of (" + resource + ", " + account
              + ") has no window: it is a non-fungible limit; use 'tokens' for it");
        }
        fallback = Limit.of(row.get().limit(), row.get().window());
      } else if (defaultLimit != null) {
        fallback = Limit.of(defaultLimit, defaultWindow);
      } else {
        root.err().println("no limit for (" + resource + ", " + account + "): set one with 'limits set', or pass"
            + " --default-limit and --default-window");
        root.err().flush();
        if (root.json) {
          Map<String, Object> result = new LinkedHashMap<>();
          result.put("resourceName", resource);
          result.put("accountId", account);
          result.put("permits", permits);
          result.put("allowed", false);
          result.put("limitSource", "none");
          Output.json(root.out(), result);
        }
        return ExitCodes.DENIED_OR_NOT_FOUND;
      }
      Decision decision = limiters.fungible(resource, fallback).tryAcquire(account, permits);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("resourceName", resource);
        result.put("accountId", account);
        result.put("permits", permits);
        result.put("allowed", decision.allowed());
        result.put("remaining", decision.remaining());
        result.put("retryAfterMillis", decision.retryAfter().toMillis());
        result.put("retryAfter", decision.retryAfter().toString());
        result.put("limit", decision.limit().limit());
        result.put("windowSec", Durations.seconds(decision.limit().window()));
        result.put("limitSource", row.isPresent() ? "table" : "default");
        Output.json(root.out(), result);
      } else {
        Output.table(root.out(), List.of("RESOURCE", "ACCOUNT", "PERMITS", "ALLOWED", "REMAINING", "RETRY-AFTER",
            "LIMIT"), List.of(List.of(resource, account, Long.toString(permits), decision.allowed() ? "yes" : "no",
                Long.toString(decision.remaining()), Durations.human(decision.retryAfter()),
                decision.limit() + (row.isPresent() ? "" : " (default)"))));
      }
      return decision.allowed() ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
    }
  }
}
