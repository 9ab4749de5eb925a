package io.github.ratelimiter.testing;

/** {@link LeaseContract} on the in-memory store, through the limiters' non-blocking views. */
class InMemoryAsyncLeaseContractTest extends InMemoryLeaseContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
