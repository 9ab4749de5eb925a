package io.github.ratelimiter.testing;

/** {@link FungibleLimiterContract} on the in-memory store, through the limiters' non-blocking views. */
class InMemoryAsyncFungibleContractTest extends InMemoryFungibleContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
