package io.github.ratelimiter.spring;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.FailureMode;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.spring.internal.AccountSources;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * The {@code ratelimiter.*} properties, bound and validated at startup: a bad value fails the application's start
 * with a message that names the property and the value.
 *
 * <pre>{@code
 * ratelimiter:
 *   store: dynamodb                 # or in-memory
 *   tables.base-name: prod          # else FUNGIBLE_TABLE, LIMIT_TABLE, ... or LIMITER_TABLES_BASE_NAME
 *   failure-mode: fail-closed
 *   http:
 *     routes:
 *       - path: /api/orders/**
 *         methods: [POST]
 *         resource: orders-api
 *         limit: 10
 *         window: 1s
 *         account: header:X-Tenant-Id
 * }</pre>
 *
 * <p>Not thread-safe while being bound; read-only afterwards.
 */
@ConfigurationProperties(prefix = RateLimiterProperties.PREFIX)
public class RateLimiterProperties implements Validator {

  /** The prefix of every property. */
  public static final String PREFIX = "ratelimiter";

  /** A limit's name in a quota, as {@link Quota.Builder#limit(String, Limit)} accepts it. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** Which store keeps the limiters' state. */
  public enum StoreType {
    /** Amazon DynamoDB (or a compatible endpoint): one budget for every process that uses the same tables. */
    DYNAMODB,
    /** In this process's memory: for tests and single-instance applications. */
    IN_MEMORY
  }

  /** Whether the starter configures anything at all. */
  private boolean enabled = true;

  /** The store: dynamodb (the default: shared by every instance) or in-memory (this process only). */
  private StoreType store = StoreType.DYNAMODB;

  /**
   * What a decision answers when the store fails: fail-closed (the default: an HTTP route answers 503, a limited
   * method throws) or fail-open (the request passes and is counted as degraded).
   */
  private FailureMode failureMode = FailureMode.FAIL_CLOSED;

  /**
   * How long limit rows of the limit table (and the absence of a row) are cached: a changed row takes effect within
   * this time. Zero disables the cache, which doubles the cost of a decision.
   */
  private Duration limitCacheTtl = Duration.ofSeconds(30);

  /** The DynamoDB client the starter builds when the context has no DynamoDbClient bean. */
  private final DynamoDb dynamodb = new DynamoDb();

  /** The DynamoDB table and index names. */
  private final Tables tables = new Tables();

  /** Rate limits on HTTP routes, applied by a servlet filter. */
  private final Http http = new Http();

  /** Whether the starter configures anything at all. */
  public boolean isEnabled() {
    return enabled;
  }

  /** Sets {@link #isEnabled()}. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** The store: dynamodb (the default: shared by every instance) or in-memory (this process only). */
  public StoreType getStore() {
    return store;
  }

  /** Sets {@link #getStore()}. */
  public void setStore(StoreType store) {
    this.store = store;
  }

  /**
   * What a decision answers when the store fails: fail-closed (the default: an HTTP route answers 503, a limited method
   * throws) or fail-open (the request passes and is counted as degraded).
   */
  public FailureMode getFailureMode() {
    return failureMode;
  }

  /** Sets {@link #getFailureMode()}. */
  public void setFailureMode(FailureMode failureMode) {
    this.failureMode = failureMode;
  }

  /**
   * How long limit rows of the limit table (and the absence of a row) are cached: a changed row takes effect within
   * this time. Zero disables the cache, which doubles the cost of a decision.
   */
  public Duration getLimitCacheTtl() {
    return limitCacheTtl;
  }

  /** Sets {@link #getLimitCacheTtl()}. */
  public void setLimitCacheTtl(Duration limitCacheTtl) {
    this.limitCacheTtl = limitCacheTtl;
  }

  /** The DynamoDB client the starter builds when the context has no DynamoDbClient bean. */
  public DynamoDb getDynamodb() {
    return dynamodb;
  }

  /** The DynamoDB table and index names. */
  public Tables getTables() {
    return tables;
  }

  /** Rate limits on HTTP routes, applied by a servlet filter. */
  public Http getHttp() {
    return http;
  }

  @Override
  public boolean supports(Class<?> type) {
    return RateLimiterProperties.class.isAssignableFrom(type);
  }

  /** Checks every property; each error names the property (relative to {@code ratelimiter.}) and the value. */
  @Override
  public void validate(Object target, Errors errors) {
    RateLimiterProperties p = (RateLimiterProperties) target;
    if (p.limitCacheTtl == null || p.limitCacheTtl.isNegative()) {
      errors.rejectValue("limitCacheTtl", "negative", "must not be negative: " + p.limitCacheTtl);
    }
    if (p.dynamodb.endpoint != null && !p.dynamodb.endpoint.isBlank()) {
      try {
        URI uri = URI.create(p.dynamodb.endpoint.trim());
        if (uri.getScheme() == null || uri.getHost() == null) {
          errors.rejectValue("dynamodb.endpoint", "invalid",
              "must be an absolute URL such as http://127.0.0.1:8000: '" + p.dynamodb.endpoint + "'");
        }
      } catch (IllegalArgumentException e) {
        errors.rejectValue("dynamodb.endpoint", "invalid", "is not a URL: '" + p.dynamodb.endpoint + "'");
      }
    }
    positive(errors, "dynamodb.attemptTimeout", p.dynamodb.attemptTimeout);
    positive(errors, "dynamodb.callTimeout", p.dynamodb.callTimeout);
    if (p.dynamodb.maxAttempts != null && p.dynamodb.maxAttempts < 1) {
      errors.rejectValue("dynamodb.maxAttempts", "range", "must be at least 1: " + p.dynamodb.maxAttempts);
    }
    if (p.http.filterOrder == null) {
      errors.rejectValue("http.filterOrder", "required", "must be set");
    }
    for (int i = 0; i < p.http.routes.size(); i++) {
      p.http.routes.get(i).validate("http.routes[" + i + "].", errors);
    }
  }

  private static boolean goodWindow(Duration window) {
    return !window.isNegative() && !window.isZero() && window.compareTo(Limit.MAX_WINDOW) <= 0;
  }

  private static void positive(Errors errors, String field, Duration value) {
    if (value != null && (value.isNegative() || value.isZero())) {
      errors.rejectValue(field, "range", "must be positive: " + value);
    }
  }

  /** {@code ratelimiter.dynamodb.*}: how the starter builds its DynamoDB client. */
  public static class DynamoDb {

    /**
     * The endpoint, e.g. http://127.0.0.1:8000 for a local server; else the DYNAMODB_ENDPOINT environment variable,
     * else the region's DynamoDB endpoint.
     */
    private String endpoint;

    /** The AWS region, e.g. eu-west-1; else the SDK's default region chain (AWS_REGION, profile, ...). */
    private String region;

    /**
     * Whether to create the tables that do not exist yet at startup (on-demand billing), as
     * {@code ratelimiter tables create} does. For development and tests; production tables are best created by the
     * infrastructure's own templates.
     */
    private boolean createTables;

    /** How long one HTTP attempt may take; else RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT, else 200ms. */
    private Duration attemptTimeout;

    /** How long a whole call may take, retries included; else RATELIMITER_DYNAMODB_CALL_TIMEOUT, else 1s. */
    private Duration callTimeout;

    /** Attempts per call, 1 for no retry; else RATELIMITER_DYNAMODB_MAX_ATTEMPTS, else 3. */
    private Integer maxAttempts;

    /** How long one HTTP attempt may take; else RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT, else 200ms. */
    public Duration getAttemptTimeout() {
      return attemptTimeout;
    }

    /** Sets {@link #getAttemptTimeout()}. */
    public void setAttemptTimeout(Duration attemptTimeout) {
      this.attemptTimeout = attemptTimeout;
    }

    /** How long a whole call may take, retries included; else RATELIMITER_DYNAMODB_CALL_TIMEOUT, else 1s. */
    public Duration getCallTimeout() {
      return callTimeout;
    }

    /** Sets {@link #getCallTimeout()}. */
    public void setCallTimeout(Duration callTimeout) {
      this.callTimeout = callTimeout;
    }

    /** Attempts per call, 1 for no retry; else RATELIMITER_DYNAMODB_MAX_ATTEMPTS, else 3. */
    public Integer getMaxAttempts() {
      return maxAttempts;
    }

    /** Sets {@link #getMaxAttempts()}. */
    public void setMaxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    /**
     * The endpoint, e.g. http://127.0.0.1:8000 for a local server; else the DYNAMODB_ENDPOINT environment variable,
     * else the region's DynamoDB endpoint.
     */
    public String getEndpoint() {
      return endpoint;
    }

    /** Sets {@link #getEndpoint()}. */
    public void setEndpoint(String endpoint) {
      this.endpoint = endpoint;
    }

    /** The AWS region, e.g. eu-west-1; else the SDK's default region chain (AWS_REGION, profile, ...). */
    public String getRegion() {
      return region;
    }

    /** Sets {@link #getRegion()}. */
    public void setRegion(String region) {
      this.region = region;
    }

    /**
     * Whether to create the tables that do not exist yet at startup (on-demand billing), as {@code ratelimiter tables
     * create} does. For development and tests; production tables are best created by the infrastructure's own
     * templates.
     */
    public boolean isCreateTables() {
      return createTables;
    }

    /** Sets {@link #isCreateTables()}. */
    public void setCreateTables(boolean createTables) {
      this.createTables = createTables;
    }
  }

  /**
   * {@code ratelimiter.tables.*}: each name is its property, else its environment variable (as the library reads
   * it: FUNGIBLE_TABLE, LIMIT_TABLE, NON_FUNGIBLE_TABLE, NON_FUNGIBLE_RES_INDEX, LIMIT_SERVICE_INDEX), else derived
   * from the base name (this property, else LIMITER_TABLES_BASE_NAME).
   */
  public static class Tables {

    /** The base name from which unset names are derived: base-fungible-tokens, base-limits, and so on. */
    private String baseName;

    /** The fungible token table. */
    private String fungible;

    /** The limit table. */
    private String limits;

    /** The non-fungible token table. */
    private String nonFungible;

    /** The non-fungible table's index on resourceId. */
    private String resourceIndex;

    /** The limit table's index on serviceName. */
    private String limitsServiceIndex;

    /** The base name from which unset names are derived: base-fungible-tokens, base-limits, and so on. */
    public String getBaseName() {
      return baseName;
    }

    /** Sets {@link #getBaseName()}. */
    public void setBaseName(String baseName) {
      this.baseName = baseName;
    }

    /** The fungible token table. */
    public String getFungible() {
      return fungible;
    }

    /** Sets {@link #getFungible()}. */
    public void setFungible(String fungible) {
      this.fungible = fungible;
    }

    /** The limit table. */
    public String getLimits() {
      return limits;
    }

    /** Sets {@link #getLimits()}. */
    public void setLimits(String limits) {
      this.limits = limits;
    }

    /** The non-fungible token table. */
    public String getNonFungible() {
      return nonFungible;
    }

    /** Sets {@link #getNonFungible()}. */
    public void setNonFungible(String nonFungible) {
      this.nonFungible = nonFungible;
    }

    /** The non-fungible table's index on resourceId. */
    public String getResourceIndex() {
      return resourceIndex;
    }

    /** Sets {@link #getResourceIndex()}. */
    public void setResourceIndex(String resourceIndex) {
      this.resourceIndex = resourceIndex;
    }

    /** The limit table's index on serviceName. */
    public String getLimitsServiceIndex() {
      return limitsServiceIndex;
    }

    /** Sets {@link #getLimitsServiceIndex()}. */
    public void setLimitsServiceIndex(String limitsServiceIndex) {
      this.limitsServiceIndex = limitsServiceIndex;
    }
  }

  /** How a request that matches several routes is limited. */
  public enum MatchMode {
    /** The first matching route in the list applies; the others are ignored. The default. */
    FIRST,
    /**
     * Every matching route applies, in order; the first denial answers. Permits taken from the routes before a
     * denial stay taken.
     */
    ALL
  }

  /** {@code ratelimiter.http.*}: the servlet filter that limits HTTP routes. */
  public static class Http {

    /**
     * Whether the route filter (and the 429 exception handler) is installed in a web application: a servlet filter in
     * a servlet application, a non-blocking WebFilter in a reactive one.
     */
    private boolean enabled = true;

    /** Whether responses carry the RateLimit-Policy and RateLimit headers (draft-ietf-httpapi-ratelimit-headers). */
    private boolean headers = true;

    /** first: the first matching route applies (the default); all: every matching route applies, in order. */
    private MatchMode match = MatchMode.FIRST;

    /**
     * The filter's order among the servlet filters (among the WebFilters in a reactive application). The default, 0,
     * runs after Spring Security's filter chain (-100, servlet and reactive), so that claim: and principal account
     * sources see the authenticated user.
     */
    private Integer filterOrder = 0;

    /** The limited routes, in order. */
    private List<Route> routes = new ArrayList<>();

    /**
     * Whether the route filter (and the 429 exception handler) is installed in a web application: a servlet filter in
     * a servlet application, a non-blocking WebFilter in a reactive one.
     */
    public boolean isEnabled() {
      return enabled;
    }

    /** Sets {@link #isEnabled()}. */
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    /** Whether responses carry the RateLimit-Policy and RateLimit headers (draft-ietf-httpapi-ratelimit-headers). */
    public boolean isHeaders() {
      return headers;
    }

    /** Sets {@link #isHeaders()}. */
    public void setHeaders(boolean headers) {
      this.headers = headers;
    }

    /** first: the first matching route applies (the default); all: every matching route applies, in order. */
    public MatchMode getMatch() {
      return match;
    }

    /** Sets {@link #getMatch()}. */
    public void setMatch(MatchMode match) {
      this.match = match;
    }

    /**
     * The filter's order among the servlet filters (among the WebFilters in a reactive application). The default, 0,
     * runs after Spring Security's filter chain (-100, servlet and reactive), so that claim: and principal account
     * sources see the authenticated user.
     */
    public Integer getFilterOrder() {
      return filterOrder;
    }

    /** Sets {@link #getFilterOrder()}. */
    public void setFilterOrder(Integer filterOrder) {
      this.filterOrder = filterOrder;
    }

    /** The limited routes, in order. */
    public List<Route> getRoutes() {
      return routes;
    }

    /** Sets {@link #getRoutes()}. */
    public void setRoutes(List<Route> routes) {
      this.routes = routes;
    }
  }

  /** {@code ratelimiter.http.routes[n].*}: one limited route. */
  public static class Route {

    /** The Spring path pattern of the route, e.g. /api/orders/** or /api/tenants/{tenant}/orders. */
    private String path;

    /** The HTTP methods it applies to, e.g. [POST, PUT]; every method when empty. */
    private List<String> methods = new ArrayList<>();

    /** The limited resource: the bucket's name in the store, and the policy name in the RateLimit headers. */
    private String resource;

    /** The default limit (the bucket's capacity) for accounts without a row in the limit table. */
    private Long limit;

    /** The default window: the time in which an empty bucket refills, e.g. 1s or 1m. */
    private Duration window;

    /**
     * Several default limits decided together (a quota), instead of limit and window: a request is admitted only
     * when every one admits it, e.g. [{name: per-second, limit: 10, window: 1s}, {name: per-hour, limit: 1000,
     * window: 1h}]. Each is its own policy in the RateLimit-Policy header.
     */
    private List<NamedLimit> limits = new ArrayList<>();

    /**
     * What a request takes from each limit, by name, e.g. {requests: 1}; a limit left out is charged nothing. Unset:
     * permits from every limit.
     */
    private Map<String, Long> cost = new LinkedHashMap<>();

    /**
     * Where the request's account comes from: header:NAME (a request header), claim:NAME (a claim of the
     * authenticated JWT; needs Spring Security's OAuth2 resource server), param:NAME (a query or form parameter),
     * path:NAME (a variable of the path pattern), principal (the authenticated user's name), or expression:SPEL (a
     * SpEL expression on the request, e.g. expression:getHeader('X-Org') ?: 'anonymous').
     */
    private String account;

    /** The permits a request takes. */
    private long permits = 1;

    /**
     * The account to limit a request under when its account cannot be determined (the header is missing, say).
     * Unset: such a request is answered 400 with a problem detail naming the missing source.
     */
    private String fallbackAccount;

    /** What a decision on this route answers when the store fails; else ratelimiter.failure-mode. */
    private FailureMode failureMode;

    /**
     * A response header that the controller sets to the request's actual cost, e.g. X-Tokens-Used: the route's cost
     * is then reserved as an estimate before the controller runs, and settled afterwards with cost-header-limit's
     * amount replaced by the header's number (at the estimate when the header is missing or not a number; cancelled
     * when the controller throws). Servlet applications only: a reactive application refuses it at startup.
     */
    private String costHeader;

    /** The limit that cost-header's number is the amount of, e.g. tokens; unset for the route's only limit. */
    private String costHeaderLimit;

    /**
     * A response header that the controller sets to the request's actual cost, e.g. X-Tokens-Used: the route's cost is
     * then reserved as an estimate before the controller runs, and settled afterwards with cost-header-limit's amount
     * replaced by the header's number (at the estimate when the header is missing or not a number; cancelled when the
     * controller throws).
     */
    public String getCostHeader() {
      return costHeader;
    }

    /** Sets {@link #getCostHeader()}. */
    public void setCostHeader(String costHeader) {
      this.costHeader = costHeader;
    }

    /** The limit that cost-header's number is the amount of, e.g. tokens; unset for the route's only limit. */
    public String getCostHeaderLimit() {
      return costHeaderLimit;
    }

    /** Sets {@link #getCostHeaderLimit()}. */
    public void setCostHeaderLimit(String costHeaderLimit) {
      this.costHeaderLimit = costHeaderLimit;
    }


    /** The Spring path pattern of the route, e.g. /api/orders/** or /api/tenants/{tenant}/orders. */
    public String getPath() {
      return path;
    }

    /** Sets {@link #getPath()}. */
    public void setPath(String path) {
      this.path = path;
    }

    /** The HTTP methods it applies to, e.g. [POST, PUT]; every method when empty. */
    public List<String> getMethods() {
      return methods;
    }

    /** Sets {@link #getMethods()}. */
    public void setMethods(List<String> methods) {
      this.methods = methods;
    }

    /** The limited resource: the bucket's name in the store, and the policy name in the RateLimit headers. */
    public String getResource() {
      return resource;
    }

    /** Sets {@link #getResource()}. */
    public void setResource(String resource) {
      this.resource = resource;
    }

    /** The default limit (the bucket's capacity) for accounts without a row in the limit table. */
    public Long getLimit() {
      return limit;
    }

    /** Sets {@link #getLimit()}. */
    public void setLimit(Long limit) {
      this.limit = limit;
    }

    /** The default window: the time in which an empty bucket refills, e.g. 1s or 1m. */
    public Duration getWindow() {
      return window;
    }

    /** Sets {@link #getWindow()}. */
    public void setWindow(Duration window) {
      this.window = window;
    }

    /**
     * Where the request's account comes from: header:NAME (a request header), claim:NAME (a claim of the authenticated
     * JWT; needs Spring Security's OAuth2 resource server), param:NAME (a query or form parameter), path:NAME (a
     * variable of the path pattern), principal (the authenticated user's name), or expression:SPEL (a SpEL expression
     * on the request, e.g. expression:getHeader('X-Org') ?: 'anonymous').
     */
    public String getAccount() {
      return account;
    }

    /** Sets {@link #getAccount()}. */
    public void setAccount(String account) {
      this.account = account;
    }

    /**
     * Several default limits decided together (a quota), instead of limit and window: a request is admitted only when
     * every one admits it, e.g. [{name: per-second, limit: 10, window: 1s}, {name: per-hour, limit: 1000, window:
     * 1h}]. Each is its own policy in the RateLimit-Policy header.
     */
    public List<NamedLimit> getLimits() {
      return limits;
    }

    /** Sets {@link #getLimits()}. */
    public void setLimits(List<NamedLimit> limits) {
      this.limits = limits;
    }

    /**
     * What a request takes from each limit, by name, e.g. {requests: 1}; a limit left out is charged nothing. Unset:
     * permits from every limit.
     */
    public Map<String, Long> getCost() {
      return cost;
    }

    /** Sets {@link #getCost()}. */
    public void setCost(Map<String, Long> cost) {
      this.cost = cost;
    }

    /** The permits a request takes. */
    public long getPermits() {
      return permits;
    }

    /** Sets {@link #getPermits()}. */
    public void setPermits(long permits) {
      this.permits = permits;
    }

    /**
     * The account to limit a request under when its account cannot be determined (the header is missing, say). Unset:
     * such a request is answered 400 with a problem detail naming the missing source.
     */
    public String getFallbackAccount() {
      return fallbackAccount;
    }

    /** Sets {@link #getFallbackAccount()}. */
    public void setFallbackAccount(String fallbackAccount) {
      this.fallbackAccount = fallbackAccount;
    }

    /** What a decision on this route answers when the store fails; else ratelimiter.failure-mode. */
    public FailureMode getFailureMode() {
      return failureMode;
    }

    /** Sets {@link #getFailureMode()}. */
    public void setFailureMode(FailureMode failureMode) {
      this.failureMode = failureMode;
    }

    /** The route's default quota: its limit and window, or its limits; valid after validation. */
    public Quota defaultQuota() {
      if (limits.isEmpty()) {
        return Quota.of(Limit.of(limit, window));
      }
      Quota.Builder quota = Quota.builder();
      limits.forEach(l -> quota.limit(l.limitName(), l.limit()));
      return quota.build();
    }

    /** What a request takes: its cost by name, else its permits from every limit; valid after validation. */
    public Cost requestCost() {
      return cost.isEmpty() ? Cost.permits(permits) : Cost.of(cost);
    }

    void validate(String prefix, Errors errors) {
      if (path == null || path.isBlank()) {
        errors.rejectValue(prefix + "path", "required", "must be set, e.g. /api/orders/**");
      } else {
        try {
          PathPatternParser.defaultInstance.parse(path);
        } catch (RuntimeException e) {
          errors.rejectValue(prefix + "path", "invalid", "is not a Spring path pattern: '" + path + "': "
              + e.getMessage());
        }
      }
      for (int i = 0; i < methods.size(); i++) {
        String method = methods.get(i);
        if (method == null || !method.trim().toUpperCase(Locale.ROOT).matches("GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE")) {
          errors.rejectValue(prefix + "methods[" + i + "]", "invalid", "is not an HTTP method: '" + method + "'");
        }
      }
      if (resource == null || resource.isBlank()) {
        errors.rejectValue(prefix + "resource", "required", "must be set: the limited resource's name");
      }
      Map<String, Long> capacities = limits.isEmpty() ? oneLimit(prefix, errors) : severalLimits(prefix, errors);
      if (permits < 1) {
        errors.rejectValue(prefix + "permits", "range", "must be at least 1: " + permits);
      } else if (!cost.isEmpty() && permits != 1) {
        errors.rejectValue(prefix + "permits", "conflict", "must be left out when cost is set (cost says what a"
            + " request takes from each limit): " + permits);
      } else if (cost.isEmpty()) {
        capacities.forEach((name, capacity) -> {
          if (capacity > 0 && permits > capacity) {
            errors.rejectValue(prefix + "permits", "range", "must not exceed the limit " + capacity
                + (capacities.size() > 1 ? " of '" + name + "'" : "") + " (such a request could never be granted): "
                + permits);
          }
        });
      }
      validateCost(prefix, errors, capacities);
      validateCostHeader(prefix, errors, capacities);
      if (account == null || account.isBlank()) {
        errors.rejectValue(prefix + "account", "required", "must be set: " + AccountSources.SYNTAX);
      } else {
        String problem = AccountSources.problem(account, path);
        if (problem != null) {
          errors.rejectValue(prefix + "account", "invalid", problem);
        }
      }
      if (fallbackAccount != null && fallbackAccount.isBlank()) {
        errors.rejectValue(prefix + "fallbackAccount", "blank", "must not be blank when set");
      }
    }

    /** Checks limit and window; the limit by its quota name, or empty when either is missing or bad. */
    private Map<String, Long> oneLimit(String prefix, Errors errors) {
      boolean good = true;
      if (limit == null) {
        errors.rejectValue(prefix + "limit", "required", "must be set: the default limit, e.g. 10 (or give limits)");
        good = false;
      } else if (limit < 0 || limit > Limit.MAX_LIMIT) {
        errors.rejectValue(prefix + "limit", "range", "must be from 0 to " + Limit.MAX_LIMIT + ": " + limit);
        good = false;
      }
      if (window == null) {
        errors.rejectValue(prefix + "window", "required", "must be set: the default window, e.g. 1s (or give"
            + " limits)");
        good = false;
      } else if (!goodWindow(window)) {
        errors.rejectValue(prefix + "window", "range", "must be positive and at most " + Limit.MAX_WINDOW + ": "
            + window);
        good = false;
      }
      return good ? Map.of(Quota.of(Limit.of(limit, window)).names().get(0), limit) : Map.of();
    }

    /** Checks limits[n]; their capacities by name, those that are valid. */
    private Map<String, Long> severalLimits(String prefix, Errors errors) {
      if (limit != null || window != null) {
        errors.rejectValue(prefix + (limit != null ? "limit" : "window"), "conflict", "must be left out when limits"
            + " is set: give the route either limit and window, or limits");
      }
      if (limits.size() > Quota.MAX_LIMITS) {
        errors.rejectValue(prefix + "limits", "range", "must hold at most " + Quota.MAX_LIMITS + " limits: "
            + limits.size());
      }
      Map<String, Long> capacities = new LinkedHashMap<>();
      for (int i = 0; i < limits.size(); i++) {
        String at = prefix + "limits[" + i + "].";
        NamedLimit named = limits.get(i);
        if (named == null) {
          errors.rejectValue(prefix + "limits[" + i + "]", "required", "must not be empty");
          continue;
        }
        boolean good = true;
        if (named.name != null && !NAME.matcher(named.name).matches()) {
          errors.rejectValue(at + "name", "invalid", "must be 1 to 64 letters, digits, '_', '-' or '.': '"
              + named.name + "'");
          good = false;
        }
        if (named.limit == null) {
          errors.rejectValue(at + "limit", "required", "must be set, e.g. 10");
          good = false;
        } else if (named.limit < 0 || named.limit > Limit.MAX_LIMIT) {
          errors.rejectValue(at + "limit", "range", "must be from 0 to " + Limit.MAX_LIMIT + ": " + named.limit);
          good = false;
        }
        if (named.window == null) {
          errors.rejectValue(at + "window", "required", "must be set, e.g. 1s");
          good = false;
        } else if (!goodWindow(named.window)) {
          errors.rejectValue(at + "window", "range", "must be positive and at most " + Limit.MAX_WINDOW + ": "
              + named.window);
          good = false;
        }
        if (good) {
          String name = named.limitName();
          if (capacities.containsKey(name)) {
            errors.rejectValue(at + "name", "duplicate", "must differ from the other limits' names (a limit without"
                + " a name is named by its window): '" + name + "' is used twice");
          }
          capacities.put(name, named.limit);
        }
      }
      return capacities;
    }

    private void validateCostHeader(String prefix, Errors errors, Map<String, Long> capacities) {
      if (costHeader == null) {
        if (costHeaderLimit != null) {
          errors.rejectValue(prefix + "costHeaderLimit", "conflict", "must be left out when cost-header is not set: '"
              + costHeaderLimit + "'");
        }
        return;
      }
      if (!costHeader.trim().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
        errors.rejectValue(prefix + "costHeader", "invalid", "is not an HTTP header name: '" + costHeader + "'");
      }
      if (costHeaderLimit == null) {
        if (capacities.size() > 1) {
          errors.rejectValue(prefix + "costHeaderLimit", "required", "must be set when the route has several limits:"
              + " the limit whose amount cost-header gives, one of " + capacities.keySet());
        }
      } else if (!capacities.isEmpty() && !capacities.containsKey(costHeaderLimit.trim())) {
        errors.rejectValue(prefix + "costHeaderLimit", "unknown", "names no limit of the route: '" + costHeaderLimit
            + "'; its limits are " + capacities.keySet());
      }
    }

    private void validateCost(String prefix, Errors errors, Map<String, Long> capacities) {
      boolean positive = false;
      for (Map.Entry<String, Long> entry : cost.entrySet()) {
        String at = prefix + "cost[" + entry.getKey() + "]";
        Long amount = entry.getValue();
        if (amount == null || amount < 0) {
          errors.rejectValue(at, "range", "must be 0 or more: " + amount);
          continue;
        }
        positive |= amount > 0;
        Long capacity = capacities.get(entry.getKey());
        if (capacity == null) {
          if (!capacities.isEmpty()) {
            errors.rejectValue(at, "unknown", "names no limit of the route: its limits are " + capacities.keySet());
          }
        } else if (capacity > 0 && amount > capacity) {
          errors.rejectValue(at, "range", "must not exceed the limit " + capacity + " (such a request could never be"
              + " granted): " + amount);
        }
      }
      if (!cost.isEmpty() && !positive) {
        errors.rejectValue(prefix + "cost", "range", "must take more than 0 from some limit: " + cost);
      }
    }
  }

  /** {@code ratelimiter.http.routes[n].limits[m].*}: one limit of a route's quota. */
  public static class NamedLimit {

    /**
     * The limit's name: the policy's name in the RateLimit headers, and what cost refers to. Letters, digits, _ - .;
     * unset: the window as the library writes it (1s, 1h).
     */
    private String name;

    /** The limit (the bucket's capacity) for accounts without a row in the limit table. */
    private Long limit;

    /** The window: the time in which an empty bucket refills, e.g. 1s or 1h. */
    private Duration window;

    /**
     * The limit's name: the policy's name in the RateLimit headers, and what cost refers to. Letters, digits, _ - .;
     * unset: the window as the library writes it (1s, 1h).
     */
    public String getName() {
      return name;
    }

    /** Sets {@link #getName()}. */
    public void setName(String name) {
      this.name = name;
    }

    /** The limit (the bucket's capacity) for accounts without a row in the limit table. */
    public Long getLimit() {
      return limit;
    }

    /** Sets {@link #getLimit()}. */
    public void setLimit(Long limit) {
      this.limit = limit;
    }

    /** The window: the time in which an empty bucket refills, e.g. 1s or 1h. */
    public Duration getWindow() {
      return window;
    }

    /** Sets {@link #getWindow()}. */
    public void setWindow(Duration window) {
      this.window = window;
    }

    Limit limit() {
      return Limit.of(limit, window);
    }

    String limitName() {
      return name != null ? name : Quota.of(limit()).names().get(0);
    }
  }
}
