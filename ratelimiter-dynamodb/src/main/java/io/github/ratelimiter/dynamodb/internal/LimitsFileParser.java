package io.github.ratelimiter.dynamodb.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.dynamodb.LimitKey;
import io.github.ratelimiter.store.LimitRecord;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads and validates limits files (see {@code ServiceLimits}). Collects every problem before failing, so one run
 * shows them all; each names the file, the entry's index and the field.
 */
public final class LimitsFileParser {

  /** The most problems listed in one message; the rest are counted. */
  static final int MAX_LISTED = 25;

  static final String RESOURCE_NAME = "resourceName";
  static final String ACCOUNT_ID = "accountId";
  static final String LIMIT = "limit";
  static final String WINDOW_SEC = "windowSec";
  static final String KIND = "kind";
  static final String LEASING = "leasing";
  static final String LIMITS = "limits";
  static final String NAME = "name";
  static final String PARENT_ACCOUNT_ID = "parentAccountId";
  static final String FUNGIBLE = "fungible";
  static final String NON_FUNGIBLE = "non-fungible";
  private static final Set<String> FIELDS = Set.of(RESOURCE_NAME, ACCOUNT_ID, LIMIT, WINDOW_SEC, LIMITS,
      PARENT_ACCOUNT_ID, KIND, LEASING);
  private static final String KNOWN = "resourceName, accountId, limit, windowSec, limits, parentAccountId, kind,"
      + " leasing";
  /** The fields of one element of an entry's {@code limits}. */
  private static final Set<String> LIMIT_FIELDS = Set.of(NAME, LIMIT, WINDOW_SEC);

  /** A repeated key (a second "limits", a field twice in one entry) is an error, never last-wins. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private LimitsFileParser() {}

  /**
   * The rows of a limits file, without a service name yet.
   *
   * @throws IllegalArgumentException listing every problem
   */
  public static List<LimitRecord> parse(String source, String text, boolean yaml) {
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("source must name the limits file: '" + source + "'");
    }
    if (text == null) {
      throw new IllegalArgumentException(source + ": the limits file is missing");
    }
    JsonNode root;
    try {
      root = (yaml ? YAML : JSON).readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new IllegalArgumentException(source + ": not valid " + (yaml ? "YAML" : "JSON") + where + ": "
          + e.getOriginalMessage(), e);
    }
    if (root == null || root.isMissingNode() || !root.isObject()) {
      throw new IllegalArgumentException(source + ": expected an object with a \"limits\" list, as in "
          + "{\"limits\": [{\"resourceName\": ..., \"accountId\": ..., \"limit\": ..., \"windowSec\": ...}]}");
    }
    Problems problems = new Problems(source);
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!"limits".equals(name)) {
        problems.add(name + ": unknown field (a limits file has only \"limits\")");
      }
    }
    JsonNode limits = root.get("limits");
    if (limits == null || !limits.isArray()) {
      problems.add("limits: missing or not a list (an empty list [] deletes every limit of the service)");
      problems.throwIfAny();
    }
    List<LimitRecord> rows = new ArrayList<>();
    Map<LimitKey, Integer> firstIndex = new HashMap<>();
    for (int i = 0; i < limits.size(); i++) {
      JsonNode node = limits.get(i);
      LimitRecord row = entry(node, "limits[" + i + "]", problems);
      if (row != null) {
        rows.add(row);
      }
      // Duplicates are looked for among every entry whose key is readable, valid or not, so that one run reports
      // them all.
      JsonNode resource = node == null ? null : node.get(RESOURCE_NAME);
      JsonNode account = node == null ? null : node.get(ACCOUNT_ID);
      if (resource != null && resource.isTextual() && account != null && account.isTextual()) {
        Integer first = firstIndex.putIfAbsent(new LimitKey(resource.asText(), account.asText()), i);
        if (first != null) {
          problems.add("limits[" + i + "]: duplicate of limits[" + first + "] (resourceName '" + resource.asText()
              + "', accountId '" + account.asText() + "'); each (resource, account) may appear once");
        }
      }
    }
    problems.throwIfAny();
    return rows;
  }

  /**
   * Sets the service on each row and checks that no two rows share a key; {@code what} names the list in messages.
   */
  public static List<LimitRecord> normalize(String serviceName, String what, List<LimitRecord> rows) {
    Problems problems = new Problems(null);
    Map<LimitKey, Integer> firstIndex = new HashMap<>();
    List<LimitRecord> normalized = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      LimitRecord row = rows.get(i);
      if (row == null) {
        problems.add(what + "[" + i + "]: null");
        continue;
      }
      String at = what + "[" + i + "]";
      LimitRecord owned = new LimitRecord(row.resourceName(), row.accountId(), row.limit(), row.window(),
          serviceName, row.leasing(), row.limitName(), row.moreLimits(), row.parentAccountId());
      LimitItems.problems(owned).forEach(problem -> problems.add(at + "." + problem));
      if (row.serviceName() != null && !row.serviceName().equals(serviceName)) {
        problems.add(at + ".serviceName: '" + row.serviceName() + "' is not the service being loaded, '"
            + serviceName + "'");
      }
      Integer first = firstIndex.putIfAbsent(new LimitKey(row.resourceName(), row.accountId()), i);
      if (first != null) {
        problems.add(at + ": duplicate of " + what + "[" + first + "] (resourceName '" + row.resourceName()
            + "', accountId '" + row.accountId() + "')");
      }
      normalized.add(owned);
    }
    problems.throwIfAny();
    return List.copyOf(normalized);
  }

  /** Requires a service name that can key the service index. */
  public static void requireServiceName(String serviceName) {
    if (serviceName == null) {
      throw new IllegalArgumentException("serviceName must not be null");
    }
    if (serviceName.isBlank()) {
      throw new IllegalArgumentException("serviceName must not be blank: '" + serviceName + "'");
    }
    if (serviceName.getBytes(StandardCharsets.UTF_8).length > 1024) {
      throw new IllegalArgumentException("serviceName must be at most 1024 UTF-8 bytes: '"
          + serviceName.substring(0, 40) + "...'");
    }
  }

  private static LimitRecord entry(JsonNode node, String at, Problems problems) {
    if (node == null || !node.isObject()) {
      problems.add(at + ": expected an object with resourceName, accountId, limit and windowSec");
      return null;
    }
    int before = problems.count();
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        problems.add(at + "." + name + ": unknown field (known: " + KNOWN + ")");
      }
    }
    String resource = id(node, at, RESOURCE_NAME, problems);
    String account = id(node, at, ACCOUNT_ID, problems);
    String kind = FUNGIBLE;
    JsonNode kindNode = node.get(KIND);
    if (kindNode != null && !kindNode.isNull()) {
      if (kindNode.isTextual() && (FUNGIBLE.equals(kindNode.asText()) || NON_FUNGIBLE.equals(kindNode.asText()))) {
        kind = kindNode.asText();
      } else {
        problems.add(at + "." + KIND + ": must be \"fungible\" or \"non-fungible\", was " + kindNode);
      }
    }
    JsonNode limitsNode = node.get(LIMITS);
    boolean quota = limitsNode != null && !limitsNode.isNull();
    Long limit = null;
    Duration window = null;
    String limitName = null;
    Map<String, Limit> moreLimits = new LinkedHashMap<>();
    if (quota) {
      for (String single : List.of(LIMIT, WINDOW_SEC)) {
        if (node.has(single)) {
          problems.add(at + "." + single + ": give either limit and windowSec, or limits (whose first element is the"
              + " row's limit and windowSec), not both");
        }
      }
      if (NON_FUNGIBLE.equals(kind)) {
        problems.add(at + "." + LIMITS + ": a non-fungible limit is one cap with no window; give limit alone, or"
            + " drop \"kind\": \"non-fungible\" for a fungible quota");
      }
      List<NamedLimit> list = limits(limitsNode, at + "." + LIMITS, problems);
      if (!list.isEmpty()) {
        limit = list.get(0).limit();
        window = list.get(0).window();
        limitName = list.get(0).name();
        list.subList(1, list.size()).forEach(l -> moreLimits.put(l.name(), Limit.of(l.limit(), l.window())));
      }
    } else {
      limit = limit(node.get(LIMIT), at + "." + LIMIT, problems);
      window = window(node.get(WINDOW_SEC), at + "." + WINDOW_SEC, problems);
    }
    String parent = null;
    JsonNode parentNode = node.get(PARENT_ACCOUNT_ID);
    if (parentNode != null && !parentNode.isNull()) {
      parent = id(node, at, PARENT_ACCOUNT_ID, problems);
      if (parent != null && parent.equals(account)) {
        problems.add(at + "." + PARENT_ACCOUNT_ID + ": an account cannot be its own parent, was '" + parent + "'");
        parent = null;
      }
    }
    boolean leasing = false;
    JsonNode leasingNode = node.get(LEASING);
    if (leasingNode != null && !leasingNode.isNull()) {
      if (leasingNode.isBoolean()) {
        leasing = leasingNode.asBoolean();
      } else {
        problems.add(at + "." + LEASING + ": must be true or false, was " + leasingNode);
      }
    }
    if (leasing && NON_FUNGIBLE.equals(kind)) {
      problems.add(at + "." + LEASING + ": only a fungible limit is leased (a non-fungible limit has no bucket)");
    } else if (leasing && window == null && !quota) {
      problems.add(at + "." + LEASING + ": a leased limit needs its own windowSec");
    } else if (leasing && !moreLimits.isEmpty()) {
      problems.add(at + "." + LEASING + ": a quota of several limits is not leased; drop leasing or keep one limit");
    }
    if (NON_FUNGIBLE.equals(kind)) {
      if (window != null && !quota) {
        problems.add(at + "." + WINDOW_SEC + ": a non-fungible limit has no window; remove windowSec (or give 0),"
            + " or drop \"kind\": \"non-fungible\" for a fungible limit");
      }
      if (resource != null && resource.indexOf(':') >= 0) {
        problems.add(at + "." + RESOURCE_NAME + ": a non-fungible resource name must not contain ':', was '"
            + resource + "'");
      }
    }
    if (problems.count() > before || resource == null || account == null || limit == null) {
      return null;
    }
    return new LimitRecord(resource, account, limit, window, null, leasing, limitName, moreLimits, parent);
  }

  /** One element of an entry's {@code limits}. */
  private record NamedLimit(String name, long limit, Duration window) {}

  /**
   * An entry's {@code limits}: a list of 1 to {@link Quota#MAX_LIMITS} objects {@code {name, limit, windowSec}},
   * each with its own positive window, names unique; empty when any is wrong (each problem added).
   */
  private static List<NamedLimit> limits(JsonNode node, String at, Problems problems) {
    if (!node.isArray() || node.isEmpty()) {
      problems.add(at + ": must be a list of 1 to " + Quota.MAX_LIMITS + " limits, each {name, limit, windowSec},"
          + " was " + node);
      return List.of();
    }
    int before = problems.count();
    if (node.size() > Quota.MAX_LIMITS) {
      problems.add(at + ": at most " + Quota.MAX_LIMITS + " limits (one write decides them all), was "
          + node.size());
    }
    List<NamedLimit> list = new ArrayList<>();
    Map<String, Integer> firstIndex = new HashMap<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode element = node.get(i);
      String where = at + "[" + i + "]";
      if (!element.isObject()) {
        problems.add(where + ": expected an object with name, limit and windowSec, was " + element);
        continue;
      }
      for (Iterator<String> names = element.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!LIMIT_FIELDS.contains(name)) {
          problems.add(where + "." + name + ": unknown field (known: name, limit, windowSec)");
        }
      }
      String name = null;
      JsonNode nameNode = element.get(NAME);
      if (nameNode == null || nameNode.isNull()) {
        problems.add(where + "." + NAME + ": missing (the name a cost charges, e.g. \"requests\" or \"tokens\")");
      } else if (!nameNode.isTextual()) {
        problems.add(where + "." + NAME + ": must be a string, was " + nameNode);
      } else {
        name = nameNode.asText();
        Optional<String> problem = LimitItems.nameProblem(where + "." + NAME, name);
        problem.ifPresent(problems::add);
        Integer first = problem.isEmpty() ? firstIndex.putIfAbsent(name, i) : null;
        if (first != null) {
          problems.add(where + "." + NAME + ": '" + name + "' is also the name of " + at + "[" + first
              + "]; each limit of an entry has its own name");
        }
      }
      Long limit = limit(element.get(LIMIT), where + "." + LIMIT, problems);
      JsonNode windowNode = element.get(WINDOW_SEC);
      Duration window = window(windowNode, where + "." + WINDOW_SEC, problems);
      if (window == null && (windowNode == null || windowNode.isNull() || windowNode.isNumber()
          && windowNode.decimalValue().signum() == 0)) {
        problems.add(where + "." + WINDOW_SEC + ": missing (each limit of a list has its own window, a positive"
            + " whole number of seconds)");
      }
      if (name != null && limit != null && window != null) {
        list.add(new NamedLimit(name, limit, window));
      }
    }
    return problems.count() > before ? List.of() : list;
  }

  private static String id(JsonNode node, String at, String field, Problems problems) {
    JsonNode value = node.get(field);
    String where = at + "." + field;
    if (value == null || value.isNull()) {
      problems.add(where + ": missing");
      return null;
    }
    if (!value.isTextual()) {
      problems.add(where + ": must be a string, was " + value + (value.isNumber() ? " (quote it: \"" + value
          + "\"; a number loses leading zeros)" : ""));
      return null;
    }
    return checkId(value.asText(), where, problems) ? value.asText() : null;
  }

  private static boolean checkId(String value, String where, Problems problems) {
    Optional<String> problem = LimitItems.idProblem(where, value);
    problem.ifPresent(problems::add);
    return problem.isEmpty();
  }

  private static Long limit(JsonNode value, String where, Problems problems) {
    if (value == null || value.isNull()) {
      problems.add(where + ": missing (an integer, at least 0; 0 blocks the account)");
      return null;
    }
    if (!value.isNumber()) {
      problems.add(where + ": must be an integer, was " + value);
      return null;
    }
    BigDecimal number = value.decimalValue();
    if (number.signum() < 0) {
      problems.add(where + ": must not be negative, was " + value + " (0 blocks the account)");
      return null;
    }
    BigDecimal integral = number.stripTrailingZeros();
    if (integral.scale() > 0) {
      problems.add(where + ": must be an integer, was " + value);
      return null;
    }
    if (integral.compareTo(BigDecimal.valueOf(Limit.MAX_LIMIT)) > 0) {
      problems.add(where + ": must be at most " + Limit.MAX_LIMIT + ", was " + value);
      return null;
    }
    return integral.longValueExact();
  }

  /**
   * The window: {@code null} when {@code windowSec} is absent, null or 0, which is what the Python loader writes for
   * an entry without one ("no window": a non-fungible cap, or a fungible limit on the limiter's default window).
   */
  private static Duration window(JsonNode value, String where, Problems problems) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isNumber()) {
      problems.add(where + ": must be a number of seconds, was " + value);
      return null;
    }
    BigDecimal seconds = value.decimalValue();
    if (seconds.signum() < 0) {
      problems.add(where + ": must not be negative, was " + value + " (0 or no windowSec: no window)");
      return null;
    }
    if (seconds.signum() == 0) {
      return null;
    }
    BigDecimal max = BigDecimal.valueOf(Limit.MAX_WINDOW.getSeconds());
    if (seconds.compareTo(max) > 0) {
      problems.add(where + ": must be at most " + max.toPlainString() + " seconds, was " + value);
      return null;
    }
    if (seconds.stripTrailingZeros().scale() > 0) {
      problems.add(where + ": must be a whole number of seconds (the Python library reads windowSec as an"
          + " integer), was " + value);
      return null;
    }
    return Duration.ofSeconds(seconds.longValueExact());
  }

  /** Problems found so far, prefixed with the file. */
  private static final class Problems {
    private final String source;
    private final List<String> list = new ArrayList<>();

    Problems(String source) {
      this.source = source;
    }

    void add(String problem) {
      list.add(source == null ? problem : source + ": " + problem);
    }

    int count() {
      return list.size();
    }

    void throwIfAny() {
      if (list.isEmpty()) {
        return;
      }
      if (list.size() == 1) {
        throw new IllegalArgumentException(list.get(0));
      }
      StringBuilder message = new StringBuilder(list.size() + " problems");
      if (source != null) {
        message.append(" in ").append(source);
      }
      message.append(':');
      list.stream().limit(MAX_LISTED).forEach(p -> message.append("\n  ").append(p));
      if (list.size() > MAX_LISTED) {
        message.append("\n  ... and ").append(list.size() - MAX_LISTED).append(" more");
      }
      throw new IllegalArgumentException(message.toString());
    }
  }
}
