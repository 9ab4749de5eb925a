package io.github.ratelimiter.internal;

import io.github.ratelimiter.AccountId;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.RateLimit;
import io.github.ratelimiter.RateLimiters;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Applies {@link RateLimit} annotations through a JDK dynamic proxy: the Python library's decorator. Every annotated
 * method is resolved once, when the proxy is made, so a method without an account id fails then, not on a call.
 */
final class RateLimitProxy {

  private record Plan(FungibleLimiter limiter, long permits, int accountIndex) {}

  private RateLimitProxy() {}

  static <T> T create(RateLimiters limiters, Class<T> type, T target) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(target, "target");
    if (!type.isInterface()) {
      throw new IllegalArgumentException("type must be an interface: " + type.getName());
    }
    Map<Method, Plan> plans = new HashMap<>();
    Map<Method, Method> callable = new HashMap<>();
    for (Method method : type.getMethods()) {
      // An interface that is not public (a nested test type, say) needs this for the call to the target.
      method.trySetAccessible();
      callable.put(method, method);
      RateLimit annotation = method.getAnnotation(RateLimit.class);
      if (annotation != null) {
        Limit limit = Limit.of(annotation.limit(), Duration.of(annotation.window(), annotation.unit()));
        plans.put(method, new Plan(limiters.fungible(annotation.resource(), limit),
            Arguments.requirePositive("permits of @RateLimit on " + method, annotation.permits()),
            accountIndex(method, annotation)));
      }
    }
    Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
      Plan plan = plans.get(method);
      if (plan != null) {
        Object account = args[plan.accountIndex()];
        if (!(account instanceof String accountId)) {
          throw new IllegalArgumentException("the account id argument " + plan.accountIndex() + " of " + method
              + " must be a non-null String: " + account);
        }
        plan.limiter().acquire(accountId, plan.permits());
      }
      try {
        return callable.getOrDefault(method, method).invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
    return type.cast(proxy);
  }

  private static int accountIndex(Method method, RateLimit annotation) {
    Parameter[] parameters = method.getParameters();
    if (annotation.accountIdParam() >= 0) {
      if (annotation.accountIdParam() >= parameters.length) {
        throw new IllegalArgumentException("accountIdParam " + annotation.accountIdParam() + " of @RateLimit on "
            + method + " is out of range: the method has " + parameters.length + " parameters");
      }
      return requireString(method, annotation.accountIdParam());
    }
    for (int i = 0; i < parameters.length; i++) {
      if (parameters[i].isAnnotationPresent(AccountId.class)) {
        return requireString(method, i);
      }
    }
    for (int i = 0; i < parameters.length; i++) {
      if (parameters[i].isNamePresent() && parameters[i].getName().equals("accountId")) {
        return requireString(method, i);
      }
    }
    throw new IllegalArgumentException("@RateLimit on " + method + " needs an account id: set accountIdParam,"
        + " annotate a parameter with @AccountId, or name one accountId (compiled with -parameters)");
  }

  private static int requireString(Method method, int index) {
    if (method.getParameterTypes()[index] != String.class) {
      throw new IllegalArgumentException("the account id parameter " + index + " of " + method
          + " must be a String, is " + method.getParameterTypes()[index].getName());
    }
    return index;
  }
}
