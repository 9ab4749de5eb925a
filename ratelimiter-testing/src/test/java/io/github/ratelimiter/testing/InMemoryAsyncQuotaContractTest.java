package io.github.ratelimiter.testing;

/** {@link QuotaContract} on the in-memory store, through the limiters' non-blocking views. */
class InMemoryAsyncQuotaContractTest extends InMemoryQuotaContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
