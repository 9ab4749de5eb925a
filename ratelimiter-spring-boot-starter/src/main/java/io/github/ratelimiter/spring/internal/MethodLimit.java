package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.AccountId;
import io.github.ratelimiter.CapacityExhaustedException;
import io.github.ratelimiter.Charge;
import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimit;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.spring.QuotaLimit;
import io.github.ratelimiter.spring.RateLimited;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/**
 * The limit of one annotated bean method ({@link RateLimited} or the core's {@link RateLimit}), checked when the
 * bean is created. Thread-safe.
 */
public final class MethodLimit {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MethodLimit.class);
  private static final SpelExpressionParser PARSER = new SpelExpressionParser();
  private static final ParameterNameDiscoverer NAMES = new DefaultParameterNameDiscoverer();
  private static final boolean WEB = org.springframework.util.ClassUtils.isPresent(
      "org.springframework.web.context.request.RequestContextHolder", MethodLimit.class.getClassLoader());

  private final Method method;
  private final String name;
  private final String resource;
  private final Quota defaultQuota;
  private final long permits;
  private final Cost cost;
  private final String accountSpec;
  private final Expression accountExpression;
  private final int accountIndex;
  private final BeanFactoryResolver beans;
  private final Returns returns;
  private CostSpec estimate;
  private CostSpec actual;
  private volatile FungibleLimiter limiter;

  private MethodLimit(Method method, String resource, Quota defaultQuota, long permits, String accountSpec,
      Expression accountExpression, int accountIndex, BeanFactory beanFactory) {
    this.method = method;
    this.name = describe(method);
    this.resource = resource;
    this.defaultQuota = defaultQuota;
    this.permits = permits;
    this.cost = Cost.permits(permits);
    this.accountSpec = accountSpec;
    this.accountExpression = accountExpression;
    this.accountIndex = accountIndex;
    this.beans = beanFactory == null ? null : new BeanFactoryResolver(beanFactory);
    this.returns = Returns.of(method.getReturnType());
  }

  /**
   * How a method's calls are decided, by its declared return type: {@link #BLOCKING} before the call, on the
   * calling thread (every type not below); {@link #MONO} and {@link #FLUX} per subscription, before the method's
   * publisher is subscribed ({@link ReactorMethods}); {@link #FUTURE} ({@code CompletableFuture},
   * {@code CompletionStage}) asynchronously, the method called once the call is admitted.
   */
  enum Returns {
    BLOCKING, MONO, FLUX, FUTURE;

    private static final boolean REACTOR = org.springframework.util.ClassUtils.isPresent(
        "reactor.core.publisher.Mono", MethodLimit.class.getClassLoader());

    static Returns of(Class<?> type) {
      if (type == CompletableFuture.class || type == CompletionStage.class) {
        return FUTURE;
      }
      if (REACTOR && type.getName().startsWith("reactor.core.publisher.")) {
        return ReactorMethods.isMono(type) ? MONO : ReactorMethods.isFlux(type) ? FLUX : BLOCKING;
      }
      return BLOCKING;
    }
  }

  /** Whether the method carries one of the annotations. */
  public static boolean isAnnotated(Method method) {
    return AnnotatedElementUtils.findMergedAnnotation(method, RateLimited.class) != null
        || AnnotatedElementUtils.findMergedAnnotation(method, RateLimit.class) != null;
  }

  /**
   * The method's limit.
   *
   * @throws IllegalArgumentException naming the method, if the annotation is invalid
   */
  public static MethodLimit of(Method method, BeanFactory beanFactory) {
    RateLimited spring = AnnotatedElementUtils.findMergedAnnotation(method, RateLimited.class);
    RateLimit core = spring != null ? null : AnnotatedElementUtils.findMergedAnnotation(method, RateLimit.class);
    String where = (spring != null ? "@RateLimited" : "@RateLimit") + " on " + describe(method);
    try {
      // The attributes the two annotations share, read once: @RateLimited is @RateLimit plus an account expression
      // and several limits, which make its limit and window optional.
      String resource = spring != null ? spring.resource() : core.resource();
      if (spring != null && spring.limits().length == 0 && (spring.limit() == -1 || spring.window() == -1)) {
        throw new IllegalArgumentException("limit and window must be set, or limits given");
      }
      Quota quota = spring != null && spring.limits().length > 0 ? quota(spring)
          : Quota.of(limit(spring != null ? spring.limit() : core.limit(), window(spring != null ? spring.window()
              : core.window(), spring != null ? spring.unit() : core.unit())));
      long permits = permits(spring != null ? spring.permits() : core.permits(), quota);
      String account = spring != null ? spring.account() : "";
      if (!account.isBlank()) {
        Expression expression;
        try {
          expression = PARSER.parseExpression(account);
        } catch (ParseException e) {
          throw new IllegalArgumentException("account is not a valid SpEL expression: '" + account + "': "
              + e.getMessage());
        }
        return new MethodLimit(method, resource, quota, permits, "expression " + account, expression, -1,
            beanFactory).costs(spring);
      }
      int accountIdParam = spring != null ? spring.accountIdParam() : core.accountIdParam();
      int index = accountIdParam >= 0 ? checkedIndex(method, accountIdParam) : annotatedAccount(method);
      if (index < 0) {
        Parameter[] parameters = method.getParameters();
        for (int i = 0; i < parameters.length; i++) {
          if (parameters[i].isNamePresent() && parameters[i].getName().equals("accountId")) {
            index = checkedIndex(method, i);
          }
        }
      }
      return new MethodLimit(method, resource, quota, permits, accountSpec(method, index), null, index, beanFactory)
          .costs(spring);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage());
    }
  }

  /** Reads {@link RateLimited#estimate()} and {@link RateLimited#actual()}; called once, before the limit is shared. */
  private MethodLimit costs(RateLimited spring) {
    if (spring == null) {
      return this;
    }
    if (spring.estimate().isBlank()) {
      if (!spring.actual().isBlank() || !spring.costLimit().isBlank()) {
        throw new IllegalArgumentException("actual and costLimit need an estimate (the cost reserved before the"
            + " call)");
      }
      return this;
    }
    Class<?> returns = method.getReturnType();
    if (java.util.concurrent.CompletionStage.class.isAssignableFrom(returns)
        || java.util.concurrent.Future.class.isAssignableFrom(returns)
        || returns.getName().startsWith("org.reactivestreams.") || returns.getName().startsWith("reactor.core.")) {
      throw new IllegalArgumentException("estimate and actual are not supported on a method returning "
          + returns.getSimpleName() + ": its work is not done when it returns (asynchronous settling is not"
          + " supported yet)");
    }
    if (!spring.actual().isBlank() && (returns == void.class || returns == Void.class)
        && spring.actual().contains("#result")) {
      throw new IllegalArgumentException("actual reads #result, but the method returns nothing");
    }
    estimate = CostSpec.parse("estimate", spring.estimate().trim(), defaultQuota, spring.costLimit().trim(),
        permits);
    actual = spring.actual().isBlank() ? null
        : CostSpec.parse("actual", spring.actual().trim(), defaultQuota, spring.costLimit().trim(), permits);
    return this;
  }

  /** The quota of {@link RateLimited#limits()}, each named (else by its window). */
  private static Quota quota(RateLimited spring) {
    if (spring.limit() != -1 || spring.window() != -1) {
      throw new IllegalArgumentException("give either limit and window, or limits, not both: limit " + spring.limit()
          + ", window " + spring.window() + " beside " + spring.limits().length + " limits");
    }
    Quota.Builder quota = Quota.builder();
    for (int i = 0; i < spring.limits().length; i++) {
      QuotaLimit named = spring.limits()[i];
      try {
        Limit limit = limit(named.limit(), window(named.window(), named.unit()));
        quota.limit(named.name().isEmpty() ? Quota.of(limit).names().get(0) : named.name(), limit);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("limits[" + i + "]" + (named.name().isEmpty() ? "" : " ('" + named.name()
            + "')") + ": " + e.getMessage());
      }
    }
    return quota.build();
  }

  private static Duration window(long window, ChronoUnit unit) {
    try {
      return Duration.of(window, unit);
    } catch (DateTimeException | ArithmeticException e) {
      throw new IllegalArgumentException("window " + window + " " + unit + " is not a duration: " + e.getMessage());
    }
  }

  private static Limit limit(long limit, Duration window) {
    if (limit < 0 || limit > Limit.MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be from 0 to " + Limit.MAX_LIMIT + ": " + limit);
    }
    if (window.isNegative() || window.isZero() || window.compareTo(Limit.MAX_WINDOW) > 0) {
      throw new IllegalArgumentException("window must be positive and at most " + Limit.MAX_WINDOW + ": " + window);
    }
    return Limit.of(limit, window);
  }

  private static long permits(long permits, Quota quota) {
    quota.limits().forEach((name, limit) -> {
      if (permits < 1 || (limit.limit() > 0 && permits > limit.limit())) {
        throw new IllegalArgumentException("permits must be from 1 to the limit " + limit.limit()
            + (quota.size() > 1 ? " of '" + name + "'" : "") + ": " + permits);
      }
    });
    return permits;
  }

  private static int annotatedAccount(Method method) {
    Parameter[] parameters = method.getParameters();
    for (int i = 0; i < parameters.length; i++) {
      if (parameters[i].isAnnotationPresent(AccountId.class)) {
        return checkedIndex(method, i);
      }
    }
    return -1;
  }

  private static int checkedIndex(Method method, int index) {
    if (index >= method.getParameterCount()) {
      throw new IllegalArgumentException("accountIdParam " + index + " is out of range: the method has "
          + method.getParameterCount() + " parameters");
    }
    if (method.getParameterTypes()[index] != String.class) {
      throw new IllegalArgumentException("the account id parameter " + index + " must be a String, is "
          + method.getParameterTypes()[index].getName());
    }
    return index;
  }

  private static String accountSpec(Method method, int index) {
    return index >= 0 ? "parameter " + index + " (" + method.getParameters()[index].getName() + ")"
        : "the current request's route";
  }

  static String describe(Method method) {
    StringBuilder out = new StringBuilder(method.getDeclaringClass().getSimpleName()).append('.')
        .append(method.getName()).append('(');
    Class<?>[] types = method.getParameterTypes();
    for (int i = 0; i < types.length; i++) {
      out.append(i == 0 ? "" : ", ").append(types[i].getSimpleName());
    }
    return out.append(')').toString();
  }

  private MethodBasedEvaluationContext context(Object target, Object[] arguments) {
    MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(target, method, arguments, NAMES);
    if (beans != null) {
      context.setBeanResolver(beans);
    }
    return context;
  }

  /** The account of one call. */
  String account(Object target, Object[] arguments) {
    Object value;
    if (accountExpression != null) {
      value = accountExpression.getValue(context(target, arguments));
    } else if (accountIndex >= 0) {
      value = arguments[accountIndex];
    } else {
      value = routeAccount();
    }
    return checkedAccount(value);
  }

  /**
   * Whether calls take their account from the current request's route: on the reactive path, from the subscriber's
   * context (see {@link ReactorMethods}) rather than the calling thread's request.
   */
  boolean accountFromRoute() {
    return accountExpression == null && accountIndex < 0;
  }

  /**
   * The account a route left for this call: {@code fromContext} (the Reactor context's) when given, else the
   * current servlet request's.
   *
   * @throws IllegalStateException as {@link #account}, when there is none
   */
  String routeAccount(Object fromContext) {
    return checkedAccount(fromContext != null ? fromContext : routeAccount());
  }

  private String checkedAccount(Object value) {
    String account = value == null ? null : value.toString().trim();
    if (account == null || account.isEmpty()) {
      throw new IllegalStateException(name + " has no account for this call: " + accountSpec + " gave "
          + (value == null ? "nothing" : "'" + value + "'")
          + (accountExpression == null && accountIndex < 0
              ? " (the call is not inside an HTTP request that a ratelimiter.http.routes entry matched)" : ""));
    }
    return account;
  }

  private static Object routeAccount() {
    if (!WEB) {
      return null;
    }
    RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
    return attributes == null ? null
        : attributes.getAttribute(HttpRoutes.ACCOUNT_ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
  }

  /** Binds the method to its resource's limiter in the registry; idempotent. */
  FungibleLimiter bind(LimiterRegistry registry) {
    FungibleLimiter bound = limiter;
    if (bound == null) {
      bound = registry.fungible(resource, defaultQuota, null, name);
      limiter = bound;
    }
    return bound;
  }

  /** The method, e.g. {@code Orders.create(NewOrder)}. */
  public String name() {
    return name;
  }

  /**
   * Takes the call's permits for the account, or throws {@link CapacityExhaustedException}: the limiter's own, but
   * with the decision and the account's quota left in the current request (when there is one) for
   * {@link io.github.ratelimiter.spring.RateLimitExceptionHandler}'s headers, {@link MethodDenial}.
   */
  void acquire(FungibleLimiter limiter, String account) {
    Decision decision = limiter.tryAcquire(account, cost);
    if (decision.allowed()) {
      return;
    }
    throw denied(limiter, account, decision);
  }

  /**
   * Decides one call without blocking: a future that completes with nothing when the call is admitted, and
   * exceptionally with the very {@link CapacityExhaustedException} that {@link #acquire} throws when it is denied, or
   * with the limiter's failure (a {@code RateLimiterException} of a fail-closed limiter). Never a
   * {@link java.util.concurrent.CompletionException}: the cause itself.
   */
  CompletableFuture<Void> acquireAsync(FungibleLimiter limiter, String account) {
    CompletableFuture<Decision> decision;
    try {
      decision = limiter.async().tryAcquire(account, cost);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Void> admitted = new CompletableFuture<>();
    decision.whenComplete((d, failure) -> {
      if (failure != null) {
        admitted.completeExceptionally(failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure);
      } else if (d.allowed()) {
        admitted.complete(null);
      } else {
        admitted.completeExceptionally(denied(limiter, account, d));
      }
    });
    return admitted;
  }

  /** How calls are decided, by the method's return type. */
  Returns returns() {
    return returns;
  }

  /** The estimate as written, or {@code null} when calls take their permits ({@link RateLimited#estimate()}). */
  public String estimate() {
    return estimate == null ? null : estimate.text();
  }

  /** The actual cost as written, or {@code null} when calls settle at the estimate ({@link RateLimited#actual()}). */
  public String actual() {
    return actual == null ? null : actual.text();
  }

  /** Whether calls reserve an estimate and settle afterwards ({@link RateLimited#estimate()}). */
  public boolean settles() {
    return estimate != null;
  }

  /**
   * Reserves the call's estimate (or throws {@link CapacityExhaustedException}), runs it, and settles its actual
   * cost; cancels the charge if it throws.
   */
  Object reserveAndCall(FungibleLimiter limiter, String account, Object target, Object[] arguments,
      org.aopalliance.intercept.MethodInvocation invocation) throws Throwable {
    MethodBasedEvaluationContext context = context(target, arguments);
    Cost estimated = estimate.cost(context);
    if (estimated == null) {
      throw new IllegalStateException(name + ": the estimate '" + estimate.text() + "' charges nothing");
    }
    Charge charge = limiter.tryReserve(account, estimated);
    if (charge.decision().denied()) {
      charge.close();
      throw denied(limiter, account, charge.decision());
    }
    Object result;
    try {
      result = invocation.proceed();
    } catch (Throwable e) {
      charge.cancel();
      throw e;
    }
    if (actual == null) {
      charge.close();
      return result;
    }
    try {
      context.setVariable("result", result);
      Cost used = actual.cost(context);
      if (used == null) {
        charge.cancel();
      } else {
        charge.settle(used);
      }
    } catch (RuntimeException e) {
      charge.close();
      log.warn("{}: the actual cost '{}' cannot be settled; settled at the estimate {}", name, actual.text(),
          estimated, e);
    }
    return result;
  }

  private CapacityExhaustedException denied(FungibleLimiter limiter, String account, Decision decision) {
    CapacityExhaustedException denied;
    if (decision.limit().blocks()) {
      denied = new CapacityExhaustedException("account '" + account + "' has no capacity for resource '" + resource
          + "' (its limit" + (defaultQuota.size() > 1 ? " '" + decision.limitName() + "'" : "") + " is 0)", resource,
          account, null);
    } else {
      denied = new CapacityExhaustedException("rate limit " + (defaultQuota.size() > 1 ? "'" + decision.limitName()
          + "' (" + decision.limit() + ")" : decision.limit()) + " of resource '" + resource
          + "' exhausted for account '" + account + "' (" + permits + " permits asked); retry after "
          + decision.retryAfter(), resource, account, decision.retryAfter());
    }
    if (WEB) {
      MethodDenial.record(denied, resource, decision, () -> quota(limiter, account, decision));
    }
    return denied;
  }

  private Quota quota(FungibleLimiter limiter, String account, Decision decision) {
    try {
      return limiter.quotaFor(account);
    } catch (RateLimiterException e) {
      return defaultQuota.limits().containsKey(decision.limitName()) ? defaultQuota : Quota.of(decision.limit());
    }
  }

  /** The limited resource. */
  public String resource() {
    return resource;
  }

  /** The default quota: one limit, or several decided together. */
  public Quota defaultQuota() {
    return defaultQuota;
  }

  /** Permits per call. */
  public long permits() {
    return permits;
  }

  /** Where the account comes from, for listings. */
  public String accountSource() {
    return accountSpec;
  }
}
