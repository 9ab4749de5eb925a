package io.github.ratelimiter.spring.internal;

import io.github.ratelimiter.RateLimit;
import io.github.ratelimiter.spring.RateLimited;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.BridgeMethodResolver;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Applies {@link RateLimited} (and the core's {@link RateLimit}) to the methods of Spring beans through class-based
 * proxies. Each annotated method is checked when its bean is created, and bound to its resource's limiter once the
 * context has started, so a bad annotation or a resource declared with two limits fails the startup. Calls are decided
 * by the method's return type ({@link MethodLimit.Returns}): before the call, blocking; per subscription for
 * {@code Mono} and {@code Flux} ({@link ReactorMethods}); asynchronously for {@code CompletableFuture} and
 * {@code CompletionStage}.
 */
public final class RateLimitedMethods extends AbstractBeanFactoryAwareAdvisingPostProcessor
    implements SmartInitializingSingleton {

  private static final long serialVersionUID = 1L;

  private final transient ObjectProvider<LimiterRegistry> registry;
  private final transient Map<Method, MethodLimit> limits = new ConcurrentHashMap<>();
  private transient BeanFactory beanFactory;

  /** Limits methods with the resources' limiters from the registry. */
  public RateLimitedMethods(ObjectProvider<LimiterRegistry> registry) {
    this.registry = registry;
    setProxyTargetClass(true);
    setBeforeExistingAdvisors(true);
    ComposablePointcut pointcut = new ComposablePointcut(new AnnotationMatchingPointcut(null, RateLimited.class, true))
        .union(new AnnotationMatchingPointcut(null, RateLimit.class, true));
    this.advisor = new DefaultPointcutAdvisor(pointcut, (MethodInterceptor) this::invoke);
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    super.setBeanFactory(beanFactory);
    this.beanFactory = beanFactory;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    Class<?> type = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
    if (type.getName().startsWith("org.springframework.")) {
      return super.postProcessAfterInitialization(bean, beanName);
    }
    ReflectionUtils.doWithMethods(type, method -> limitOf(method),
        method -> !method.isBridge() && MethodLimit.isAnnotated(method));
    return super.postProcessAfterInitialization(bean, beanName);
  }

  @Override
  public void afterSingletonsInstantiated() {
    LimiterRegistry registry = this.registry.getObject();
    limits.values().forEach(limit -> limit.bind(registry));
  }

  /** Every limited method seen so far. */
  public List<MethodLimit> limits() {
    return new ArrayList<>(limits.values());
  }

  private MethodLimit limitOf(Method method) {
    return limits.computeIfAbsent(method, m -> MethodLimit.of(m, beanFactory));
  }

  private Object invoke(MethodInvocation invocation) throws Throwable {
    Object target = invocation.getThis();
    Method method = invocation.getMethod();
    if (target != null) {
      method = BridgeMethodResolver.findBridgedMethod(
          ClassUtils.getMostSpecificMethod(method, AopUtils.getTargetClass(target)));
    }
    MethodLimit limit = limitOf(method);
    MethodLimit.Returns returns = limit.returns();
    if (returns == MethodLimit.Returns.MONO || returns == MethodLimit.Returns.FLUX) {
      String account = limit.accountFromRoute() ? null : limit.account(target, invocation.getArguments());
      return ReactorMethods.limit(limit, limit.bind(registry.getObject()), account, invocation.proceed());
    }
    String account = limit.account(target, invocation.getArguments());
    if (returns == MethodLimit.Returns.FUTURE) {
      return callWhenAdmitted(limit.acquireAsync(limit.bind(registry.getObject()), account), invocation);
    }
    if (limit.settles()) {
      return limit.reserveAndCall(limit.bind(registry.getObject()), account, target, invocation.getArguments(),
          invocation);
    }
    limit.acquire(limit.bind(registry.getObject()), account);
    return invocation.proceed();
  }

  /**
   * A method returning a {@code CompletableFuture} or {@code CompletionStage}: called once the call is admitted (on
   * the thread that completes the decision: the caller's for a decision made in process); the returned future
   * completes as the method's stage does, or exceptionally with the decision's failure (the blocking path's
   * {@code CapacityExhaustedException} when denied), the method not called.
   */
  private static CompletableFuture<Object> callWhenAdmitted(CompletableFuture<Void> admitted,
      MethodInvocation invocation) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    admitted.whenComplete((ok, failure) -> {
      if (failure != null) {
        result.completeExceptionally(failure);
        return;
      }
      Object stage;
      try {
        stage = invocation.proceed();
      } catch (Throwable e) {
        result.completeExceptionally(e);
        return;
      }
      if (stage == null) {
        result.complete(null);
        return;
      }
      ((CompletionStage<?>) stage).whenComplete((value, error) -> {
        if (error != null) {
          result.completeExceptionally(error);
        } else {
          result.complete(value);
        }
      });
    });
    return result;
  }
}
