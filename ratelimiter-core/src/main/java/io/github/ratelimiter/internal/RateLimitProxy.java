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
 * Applies {@link RateLimit} annotations through a JDK dynamic proxy. Every method is resolved once, when the proxy
 * is made, so a method without an account id fails then, not on a call. {@code equals}, {@code hashCode} and
 * {@code toString} are the proxy's own, as for any {@link Proxy}: a proxy equals only itself, and is not the target.
 */
final class RateLimitProxy {

  /**
   * How a call to one interface method goes: {@code limiter} (null for a method without {@link RateLimit}) takes
   * {@code permits} for the argument at {@code accountIndex}, then {@code target} (made accessible, for interfaces
   * that are not public) is invoked on the proxied object.
   */
  private record Route(Method target, FungibleLimiter limiter, long permits, int accountIndex) {}

  private RateLimitProxy() {}

  static <T> T create(RateLimiters limiters, Class<T> type, T target) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(target, "target");
    if (!type.isInterface()) {
      throw new IllegalArgumentException("type must be an interface: " + type.getName());
    }
    Map<Method, Route> routes = new HashMap<>();
    for (Method method : type.getMethods()) {
      method.trySetAccessible();
      RateLimit annotation = method.getAnnotation(RateLimit.class);
      if (annotation == null) {
        routes.put(method, new Route(method, null, 0, -1));
      } else {
        Limit limit = Limit.of(annotation.limit(), Duration.of(annotation.window(), annotation.unit()));
        routes.put(method, new Route(method, limiters.fungible(annotation.resource(), limit),
            Arguments.requirePositive("permits of @RateLimit on " + method, annotation.permits()),
            accountIndex(method, annotation)));
      }
    }
    String description = "RateLimitProxy[" + type.getName() + " -> " + target + "]";
    Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> self == args[0];
          case "hashCode" -> System.identityHashCode(self);
          default -> description; // toString: the only other Object method a proxy is asked for
        };
      }
      Route route = routes.get(method);
      if (route.limiter() != null) {
        Object account = args[route.accountIndex()];
        if (!(account instanceof String accountId)) {
          throw new IllegalArgumentException("the account id argument " + route.accountIndex() + " of " + method
              + " must be a non-null String: " + account);
        }
        route.limiter().acquire(accountId, route.permits());
      }
      try {
        return route.target().invoke(target, args);
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
        + " annotate a parameter with @AccountId, or name one accountId and compile with javac -parameters"
        + " (maven-compiler-plugin <parameters>true</parameters>; without it parameter names are arg0, arg1, ...)");
  }

  private static int requireString(Method method, int index) {
    if (method.getParameterTypes()[index] != String.class) {
      throw new IllegalArgumentException("the account id parameter " + index + " of " + method
          + " must be a String, is " + method.getParameterTypes()[index].getName());
    }
    return index;
  }
}
