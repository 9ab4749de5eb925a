package io.github.ratelimiter.testing;

/** {@link NonFungibleLimiterContract} on the in-memory store, through the limiters' non-blocking views. */
class InMemoryAsyncNonFungibleContractTest extends InMemoryNonFungibleContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
