package io.github.ratelimiter.cli;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.store.LimitRecord;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Limits and costs as the command line writes them: a limit {@code N} (with a window given apart) or
 * {@code NAME=N/WINDOW} ({@code requests=60/1m}), a cost {@code NAME=N[,NAME=N...]} ({@code tokens=800,requests=1}),
 * and a row's limits as people read them.
 */
final class LimitSpecs {

  private static final Pattern NAMED = Pattern.compile("([^=/,]*)=([^/]*)/(.*)");
  private static final Pattern AMOUNT = Pattern.compile("([^=,]*)=(.*)");

  private LimitSpecs() {}

  /** One {@code --limit}: a bare amount ({@code name} null, {@code window} null), or a named limit. */
  record Spec(String name, long limit, Duration window) {}

  /**
   * Reads {@code N} or {@code NAME=N/WINDOW}.
   *
   * @throws IllegalArgumentException naming {@code option} and the value
   */
  static Spec parse(String option, String value) {
    Matcher named = NAMED.matcher(value);
    if (named.matches()) {
      String name = named.group(1);
      if (name.isBlank()) {
        throw new IllegalArgumentException(option + " '" + value + "': the name before '=' is empty");
      }
      long limit = amount(option, value, named.group(2));
      Duration window = DynamoDbClients.parseDuration(option + " '" + value + "': the window", named.group(3));
      return new Spec(name, limit, window);
    }
    if (value.contains("=") || value.contains("/")) {
      throw new IllegalArgumentException(option + " '" + value + "': expected NAME=N/WINDOW (e.g. requests=60/1m)"
          + " or a number");
    }
    return new Spec(null, amount(option, value, value), null);
  }

  private static long amount(String option, String value, String text) {
    long amount;
    try {
      amount = Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " '" + value + "': '" + text + "' is not a whole number", e);
    }
    if (amount < 0) {
      throw new IllegalArgumentException(option + " must not be negative: " + value + " (0 blocks the account)");
    }
    return amount;
  }

  /**
   * Several {@code --limit}s as a row's first limit and the others: either one bare {@code N} (whose window the
   * caller gives apart, {@code window}, possibly null for a cap) or every one {@code NAME=N/WINDOW}.
   *
   * @throws IllegalArgumentException if they mix the two forms, repeat a name, or name limits beside a window
   */
  static LimitRecord row(String option, List<String> values, Duration window, String windowOption, String resource,
      String account, String service, boolean leasing, String parent) {
    List<Spec> specs = values.stream().map(v -> parse(option, v)).toList();
    if (specs.stream().allMatch(s -> s.name() == null)) {
      if (specs.size() > 1) {
        throw new IllegalArgumentException("several " + option + " values must each be NAME=N/WINDOW (e.g. "
            + option + " requests=60/1m " + option + " tokens=100000/1m); one " + option + " N takes " + windowOption);
      }
      return new LimitRecord(resource, account, specs.get(0).limit(), window, service, leasing, null, Map.of(),
          parent);
    }
    if (specs.stream().anyMatch(s -> s.name() == null)) {
      throw new IllegalArgumentException("give every " + option + " as NAME=N/WINDOW, or one " + option + " N with "
          + windowOption + ", not both: " + values);
    }
    if (window != null) {
      throw new IllegalArgumentException(windowOption + " goes with one " + option + " N; a NAME=N/WINDOW limit"
          + " carries its own window");
    }
    Map<String, Limit> more = new LinkedHashMap<>();
    for (Spec spec : specs.subList(1, specs.size())) {
      if (spec.name().equals(specs.get(0).name()) || more.put(spec.name(), Limit.of(spec.limit(), spec.window()))
          != null) {
        throw new IllegalArgumentException(option + ": the name '" + spec.name() + "' is given twice; each limit"
            + " has its own name");
      }
    }
    Spec first = specs.get(0);
    return new LimitRecord(resource, account, first.limit(), first.window(), service, leasing, first.name(), more,
        parent);
  }

  /**
   * A quota from {@code --default-limit}s: one bare {@code N} with {@code window}, or every one
   * {@code NAME=N/WINDOW}.
   */
  static Quota quota(String option, List<String> values, Duration window, String windowOption) {
    List<Spec> specs = values.stream().map(v -> parse(option, v)).toList();
    if (specs.size() == 1 && specs.get(0).name() == null) {
      if (window == null) {
        throw new IllegalArgumentException(option + " N and " + windowOption + " go together (or give "
            + option + " NAME=N/WINDOW)");
      }
      return Quota.of(Limit.of(specs.get(0).limit(), window));
    }
    if (specs.stream().anyMatch(s -> s.name() == null)) {
      throw new IllegalArgumentException("give every " + option + " as NAME=N/WINDOW, or one " + option + " N with "
          + windowOption + ": " + values);
    }
    if (window != null) {
      throw new IllegalArgumentException(windowOption + " goes with one " + option + " N; a NAME=N/WINDOW limit"
          + " carries its own window");
    }
    Quota.Builder quota = Quota.builder();
    specs.forEach(s -> quota.limit(s.name(), Limit.of(s.limit(), s.window())));
    return quota.build();
  }

  /**
   * A cost, {@code NAME=N[,NAME=N...]}.
   *
   * @throws IllegalArgumentException naming the option and the part that is wrong
   */
  static Cost cost(String option, String value) {
    Map<String, Long> amounts = new LinkedHashMap<>();
    for (String part : value.split(",", -1)) {
      Matcher matcher = AMOUNT.matcher(part.trim());
      if (!matcher.matches() || matcher.group(1).isBlank()) {
        throw new IllegalArgumentException(option + " '" + value + "': expected NAME=N[,NAME=N...] (e.g."
            + " tokens=800,requests=1), was '" + part + "'");
      }
      String name = matcher.group(1).trim();
      if (amounts.put(name, amount(option, value, matcher.group(2))) != null) {
        throw new IllegalArgumentException(option + " '" + value + "': '" + name + "' is given twice");
      }
    }
    return Cost.of(amounts);
  }

  /** The default name of a limit in a quota: its window as {@link Limit#toString()} writes it ({@code 1m}). */
  static String windowName(Duration window) {
    return Quota.of(Limit.of(1, window)).names().get(0);
  }

  /** A limit with its name when the name is not the window's own: {@code tokens: 100000 per 1m}, {@code 5 per 1s}. */
  static String named(String name, Limit limit) {
    return name == null || name.equals(windowName(limit.window())) ? limit.toString() : name + ": " + limit;
  }

  /** Every limit of a row as people read them, with its leasing and parent: {@code requests: 60 per 1m, ...}. */
  static String describe(LimitRecord row) {
    if (row == null) {
      return "-";
    }
    StringBuilder text = new StringBuilder(row.window() == null ? row.limit() + " live"
        : named(row.limitName(), Limit.of(row.limit(), row.window())));
    row.moreLimits().forEach((name, limit) -> text.append(", ").append(named(name, limit)));
    if (row.leasing()) {
      text.append(", leased");
    }
    if (row.parentAccountId() != null) {
      text.append(", parent ").append(row.parentAccountId());
    }
    return text.toString();
  }
}
