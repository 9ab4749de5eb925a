package io.github.ratelimiter.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.store.BucketStore.BucketRequest;
import io.github.ratelimiter.store.BucketStore.BucketResult;
import org.junit.jupiter.api.Test;

/** The GCRA step every store applies: 10 per second is a cost of 100 and a tolerance of 1,000 (nanoseconds here). */
class BucketRequestTest {

  private static BucketRequest at(long now) {
    return new BucketRequest("api", "acct", now, 100, 1_000, BucketStore.UNKNOWN, Deadline.none());
  }

  @Test
  void aMissingRowCountsAsAFullBucket() {
    assertThat(at(5_000).applyTo(BucketStore.UNKNOWN)).isEqualTo(new BucketResult(true, 5_100));
  }

  @Test
  void aTatInThePastCountsAsNow() {
    assertThat(at(5_000).applyTo(3_000)).isEqualTo(new BucketResult(true, 5_100));
  }

  @Test
  void theLastPermitIsAdmittedAtTheToleranceAndTheNextIsDeniedUnchanged() {
    assertThat(at(5_000).maxAdmittedTat()).isEqualTo(5_900);
    assertThat(at(5_000).applyTo(5_900)).isEqualTo(new BucketResult(true, 6_000));
    assertThat(at(5_000).applyTo(5_901)).isEqualTo(new BucketResult(false, 5_901));
  }
}
