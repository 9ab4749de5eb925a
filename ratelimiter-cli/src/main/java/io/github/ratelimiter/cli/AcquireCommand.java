package io.github.ratelimiter.cli;

import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
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
 * {@code acquire RESOURCE ACCOUNT [--permits N | --cost NAME=N,... | --estimate COST [--settle COST]]}: one real
 * decision, as an application would ask for it, against the account's row or, without one, the default quota given;
 * with {@code --estimate}, a reserve and its settle.
 */
@Command(name = "acquire", mixinStandardHelpOptions = true,
    description = {"Ask for permits or a cost on a fungible resource, as an application would (they are taken).",
        "The quota is the account's row; --default-limit is the application's default quota, for accounts without",
        "one (a row of one unnamed limit replaces its first limit).",
        "--estimate reserves a cost and --settle settles the actual one afterwards, as an application whose costs",
        "are known only afterwards does (an LLM call's tokens).",
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

  @Option(names = "--estimate", paramLabel = "N|NAME=N[,NAME=N...]",
      description = {"Reserve this estimate instead (permits, or amounts by limit name), then settle --settle's",
          "actual cost; both decisions are printed"})
  String estimate;

  @Option(names = "--settle", paramLabel = "N|NAME=N[,NAME=N...]",
      description = "The actual cost to settle an admitted --estimate at (default: the estimate)")
  String settle;

  @Mixin
  DefaultQuotaOption defaultQuota;

  @Override
  public Integer call() {
    if (permits != null && cost != null) {
      throw new IllegalArgumentException("--permits and --cost are two ways to ask; give one");
    }
    if (estimate != null && (permits != null || cost != null)) {
      throw new IllegalArgumentException("--estimate is a third way to ask, beside --permits and --cost; give one");
    }
    if (settle != null && estimate == null) {
      throw new IllegalArgumentException("--settle needs --estimate (the cost reserved before the work)");
    }
    Quota given = defaultQuota.quota();
    if (estimate != null) {
      return reserveAndSettle(root, resource, account, costOf("--estimate", estimate),
          settle == null ? null : costOf("--settle", settle), given);
    }
    Cost asked = cost != null ? LimitSpecs.cost("--cost", cost) : Cost.permits(permits == null ? 1 : permits);
    DynamoDbStore store = root.store();
    try (RateLimiters limiters = RateLimiters.builder().store(store).build()) {
      Optional<LimitRecord> row = store.limits().find(resource, account, Deadline.none());
      Quota quota = quota(root, resource, account, row, given);
      if (quota == null) {
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

  /**
   * The quota a decision of {@code (resource, account)} uses: the default given (the limiter applies the row over it,
   * as in the application), else the account's row; {@code null} when there is neither, said on standard error.
   */
  static Quota quota(RateLimiterCli root, String resource, String account, Optional<LimitRecord> row, Quota given) {
    if (row.isPresent() && row.get().window() == null) {
      throw new IllegalArgumentException("the limit row of (" + resource + ", " + account
          + ") has no window: it is a non-fungible limit; use 'tokens' for it");
    }
    if (given != null) {
      return given;
    }
    if (row.isPresent()) {
      LimitRecord r = row.get();
      return r.quota(r.limitName() != null ? r.limitName() : LimitSpecs.windowName(r.window()));
    }
    root.err().println("no limit for (" + resource + ", " + account + "): set one with 'limits set', or pass"
        + " --default-limit and --default-window");
    root.err().flush();
    return null;
  }

  /** {@code N} permits from every limit, or {@code NAME=N,...}. */
  static Cost costOf(String option, String value) {
    String text = value == null ? "" : value.trim();
    if (text.matches("\\d+")) {
      try {
        return Cost.permits(Long.parseLong(text));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + ": not a number: '" + value + "'");
      }
    }
    return LimitSpecs.cost(option, value);
  }

  /** Reserves {@code estimate}, settles {@code actual} (or closes at the estimate), and prints both steps. */
  private static int reserveAndSettle(RateLimiterCli root, String resource, String account, Cost estimate,
      Cost actual, Quota given) {
    DynamoDbStore store = root.store();
    try (RateLimiters limiters = RateLimiters.builder().store(store).build()) {
      Optional<LimitRecord> row = store.limits().find(resource, account, Deadline.none());
      Quota quota = quota(root, resource, account, row, given);
      if (quota == null) {
        return ExitCodes.DENIED_OR_NOT_FOUND;
      }
      FungibleLimiter limiter = limiters.fungible(resource, quota);
      Decision decision;
      String settled;
      try (Charge charge = limiter.tryReserve(account, estimate)) {
        decision = charge.decision();
        if (decision.denied()) {
          settled = "nothing (denied)";
        } else if (actual == null || actual.equals(estimate)) {
          charge.settle(estimate);
          settled = "at the estimate";
        } else {
          charge.settle(actual);
          settled = difference(quota, estimate, actual);
        }
      }
      String limitText = LimitSpecs.named(decision.limitName(), decision.limit()) + (row.isPresent() ? ""
          : " (default)");
      if (root.json) {
        Map<String, Object> reserve = new LinkedHashMap<>();
        reserve.put("cost", text(estimate));
        reserve.put("allowed", decision.allowed());
        reserve.put("remaining", decision.remaining());
        reserve.put("retryAfterMillis", decision.retryAfter().toMillis());
        reserve.put("limitName", decision.limitName());
        Map<String, Object> settleStep = new LinkedHashMap<>();
        settleStep.put("cost", decision.denied() ? null : text(actual == null ? estimate : actual));
        settleStep.put("result", settled);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("resourceName", resource);
        result.put("accountId", account);
        result.put("reserve", reserve);
        result.put("settle", settleStep);
        result.put("limitSource", row.isPresent() ? "table" : "default");
        Output.json(root.out(), result);
      } else {
        Output.table(root.out(), List.of("STEP", "RESOURCE", "ACCOUNT", "COST", "ALLOWED", "REMAINING",
            "RETRY-AFTER", "LIMIT"), List.of(
                List.of("reserve", resource, account, text(estimate), decision.allowed() ? "yes" : "no",
                    Long.toString(decision.remaining()), Durations.human(decision.retryAfter()), limitText),
                List.of("settle", resource, account, decision.denied() ? "-" : text(actual == null ? estimate
                    : actual), "-", "-", "-", settled)));
      }
      return decision.allowed() ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
    }
  }

  /** What a settle moved, per limit: {@code tokens +312} (charged beyond the estimate), {@code tokens -188}. */
  private static String difference(Quota quota, Cost estimate, Cost actual) {
    StringBuilder text = new StringBuilder();
    for (String name : quota.names()) {
      long delta = actual.amount(name) - estimate.amount(name);
      if (delta != 0) {
        text.append(text.length() == 0 ? "" : ", ").append(name).append(delta > 0 ? " +" : " ").append(delta);
      }
    }
    return text.length() == 0 ? "at the estimate" : text.toString();
  }

  /** {@code 3} (permits from every limit) or {@code requests=1,tokens=800}. */
  static String text(Cost cost) {
    return cost.uniform() ? Long.toString(cost.amount("")) : costText(cost);
  }

  /** {@code requests=1,tokens=800}. */
  private static String costText(Cost cost) {
    StringBuilder text = new StringBuilder();
    cost.amounts().forEach((name, amount) -> text.append(text.length() == 0 ? "" : ",").append(name).append('=')
        .append(amount));
    return text.toString();
  }
}
