package io.github.ratelimiter.testing;

import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.store.BucketStore;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.LimitStore;
import io.github.ratelimiter.store.RateLimitStore;
import io.github.ratelimiter.store.SlotStore;
import java.io.IOException;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.BeforeEach;

class InMemoryFailurePolicyContractTest extends FailurePolicyContract {
  private InMemoryStore store;

  @BeforeEach
  void newStore() {
    store = InMemoryStore.create();
  }

  @Override
  protected RateLimitStore openStore() {
    return store;
  }

  /** A store wrapper whose every request fails as a store fails: a RateLimiterException with the cause. */
  @Override
  protected RateLimitStore openUnreachableStore() {
    return new RateLimitStore() {
      @Override
      public LimitStore limits() {
        return failing(LimitStore.class);
      }

      @Override
      public BucketStore buckets() {
        return failing(BucketStore.class);
      }

      @Override
      public SlotStore slots() {
        return failing(SlotStore.class);
      }
    };
  }

  private static <T> T failing(Class<T> type) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
      if (method.getName().equals("remote")) {
        return false; // what the store is, not a request
      }
      throw new RateLimiterException("in-memory store unreachable (test): " + method.getName(),
          new IOException("Connection refused"));
    }));
  }
}
