package io.github.ratelimiter.testing;

/** {@link SettleContract} on the in-memory store, through the limiters' non-blocking views. */
class InMemoryAsyncSettleContractTest extends InMemorySettleContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
