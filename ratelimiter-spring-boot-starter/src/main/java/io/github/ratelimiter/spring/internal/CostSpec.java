package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Quota;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;

/**
 * A cost written in an annotation ({@code RateLimited#estimate()}, {@code RateLimited#actual()}): a literal, {@code
 * "500"} or {@code "requests=1,tokens=500"}, or a SpEL expression whose value is a number, a {@code Map} of limit
 * names to numbers, such a string, or a {@link Cost}. A number {@code n} charges {@code n} to the cost limit (the
 * annotation's {@code costLimit}, else the quota's only limit) and the call's permits to every other limit of the
 * quota. Immutable and thread-safe.
 */
final class CostSpec {

  private static final SpelExpressionParser PARSER = new SpelExpressionParser();
  private static final Pattern NUMBER = Pattern.compile("\\s*\\d+\\s*");
  private static final Pattern AMOUNTS =
      Pattern.compile("\\s*[A-Za-z0-9_.-]+\\s*=\\s*\\d+\\s*(,\\s*[A-Za-z0-9_.-]+\\s*=\\s*\\d+\\s*)*");

  private final String text;
  private final Cost literal;
  private final Expression expression;
  private final Quota quota;
  private final String costLimit;
  private final long permits;

  private CostSpec(String text, Cost literal, Expression expression, Quota quota, String costLimit, long permits) {
    this.text = text;
    this.literal = literal;
    this.expression = expression;
    this.quota = quota;
    this.costLimit = costLimit;
    this.permits = permits;
  }

  /**
   * The cost {@code text} describes, checked against {@code quota}.
   *
   * @param attribute the attribute's name, for messages
   * @param costLimit the limit a number charges, or empty for the quota's only limit
   * @throws IllegalArgumentException naming the attribute, if the text is neither a literal cost of the quota nor a
   *     SpEL expression
   */
  static CostSpec parse(String attribute, String text, Quota quota, String costLimit, long permits) {
    String target = costLimit.isEmpty() && quota.size() == 1 ? quota.names().get(0) : costLimit;
    if (!target.isEmpty() && !quota.limits().containsKey(target)) {
      throw new IllegalArgumentException("costLimit '" + target + "' names no limit of the quota: its limits are "
          + quota.names());
    }
    CostSpec spec = new CostSpec(text, null, null, quota, target, permits);
    if (NUMBER.matcher(text).matches() || AMOUNTS.matcher(text).matches()) {
      try {
        Cost cost = spec.toCost(text);
        if (cost == null) {
          throw new IllegalArgumentException("a cost must charge some limit more than 0");
        }
        check(cost, quota);
        return new CostSpec(text, cost, null, quota, target, permits);
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new IllegalArgumentException(attribute + " '" + text + "': " + e.getMessage());
      }
    }
    try {
      return new CostSpec(text, null, PARSER.parseExpression(text), quota, target, permits);
    } catch (ParseException e) {
      throw new IllegalArgumentException(attribute + " is neither a cost (500, requests=1,tokens=500) nor a valid"
          + " SpEL expression: '" + text + "': " + e.getMessage());
    }
  }

  private static void check(Cost cost, Quota quota) {
    for (String name : cost.amounts().keySet()) {
      if (!quota.limits().containsKey(name)) {
        throw new IllegalArgumentException("names no limit of the quota '" + name + "': its limits are "
            + quota.names());
      }
    }
  }

  /** The cost of one call; {@code null} for a number 0 that leaves every limit at 0 (nothing used). */
  Cost cost(EvaluationContext context) {
    if (literal != null) {
      return literal;
    }
    Object value = expression.getValue(context);
    try {
      return toCost(value);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalStateException("'" + text + "' gave " + (value == null ? "nothing" : "'" + value + "'")
          + ", not a cost: " + e.getMessage(), e);
    }
  }

  /** The expression as written. */
  String text() {
    return text;
  }

  private Cost toCost(Object value) {
    if (value instanceof Cost cost) {
      return cost;
    }
    if (value instanceof Number number) {
      return ofNumber(number.longValue());
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Long> amounts = new LinkedHashMap<>();
      map.forEach((name, amount) -> amounts.put(String.valueOf(name), amount instanceof Number n ? n.longValue()
          : Long.parseLong(String.valueOf(amount).trim())));
      return Cost.of(amounts);
    }
    if (value instanceof CharSequence chars) {
      String string = chars.toString();
      if (NUMBER.matcher(string).matches()) {
        return ofNumber(Long.parseLong(string.trim()));
      }
      if (AMOUNTS.matcher(string).matches()) {
        Map<String, Long> amounts = new LinkedHashMap<>();
        for (String pair : string.split(",")) {
          String[] parts = pair.split("=");
          amounts.put(parts[0].trim(), Long.parseLong(parts[1].trim()));
        }
        return Cost.of(amounts);
      }
    }
    throw new IllegalStateException("a cost is a number, a Map of limit names to numbers, or a string like"
        + " requests=1,tokens=500");
  }

  private Cost ofNumber(long amount) {
    if (costLimit.isEmpty()) {
      throw new IllegalStateException("a number needs costLimit, the limit it charges, as the quota has several: "
          + quota.names());
    }
    if (amount < 0) {
      throw new IllegalArgumentException("a cost must be 0 or more: " + amount);
    }
    Map<String, Long> amounts = new LinkedHashMap<>();
    for (String name : quota.names()) {
      amounts.put(name, name.equals(costLimit) ? amount : permits);
    }
    return amounts.values().stream().allMatch(a -> a == 0) ? null : Cost.of(amounts);
  }
}
