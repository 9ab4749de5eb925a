package io.github.ratelimiter.testing;

import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import org.junit.jupiter.api.BeforeEach;

class InMemorySettleContractTest extends SettleContract {

  private InMemoryStore store;

  @BeforeEach
  void newStore() {
    store = InMemoryStore.create();
  }

  @Override
  protected RateLimitStore openStore() {
    return store;
  }
}
