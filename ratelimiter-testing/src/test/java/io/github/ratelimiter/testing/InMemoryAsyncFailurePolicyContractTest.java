package io.github.ratelimiter.testing;

/** {@link FailurePolicyContract} on the in-memory store, through the limiters' non-blocking views. */
class InMemoryAsyncFailurePolicyContractTest extends InMemoryFailurePolicyContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
