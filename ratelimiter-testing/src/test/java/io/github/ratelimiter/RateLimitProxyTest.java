package io.github.ratelimiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.testing.ManualClock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Python decorator's Java form: {@link RateLimit} on interface methods, applied by a proxy. */
class RateLimitProxyTest {

  interface Clusters {
    @RateLimit(resource = "describe", limit = 2, window = 10)
    String describe(String clusterId, String accountId);

    @RateLimit(resource = "create", limit = 1, window = 1, unit = ChronoUnit.MINUTES)
    String create(@AccountId String tenant, String name);

    @RateLimit(resource = "list", limit = 3, window = 1, permits = 3, accountIdParam = 1)
    List<String> list(int page, String owner);

    String unlimited(String accountId);

    default String greeting() {
      return "hello";
    }
  }

  static final class RealClusters implements Clusters {
    final List<String> calls = new ArrayList<>();

    @Override
    public String describe(String clusterId, String accountId) {
      calls.add("describe " + clusterId);
      return clusterId;
    }

    @Override
    public String create(String tenant, String name) {
      if (name.isEmpty()) {
        throw new IllegalArgumentException("name is empty");
      }
      calls.add("create " + name);
      return name;
    }

    @Override
    public List<String> list(int page, String owner) {
      return List.of(owner);
    }

    @Override
    public String unlimited(String accountId) {
      return accountId;
    }
  }

  private final ManualClock clock = ManualClock.create();
  private final RateLimiters limiters =
      RateLimiters.builder().store(InMemoryStore.create()).clock(clock).build();
  private final RealClusters target = new RealClusters();
  private final Clusters proxy = limiters.proxy(Clusters.class, target);

  @Test
  void theParameterNamedAccountIdIsTheDefault() {
    assertThat(proxy.describe("j-1", "a")).isEqualTo("j-1");
    assertThat(proxy.describe("j-2", "a")).isEqualTo("j-2");
    assertThatThrownBy(() -> proxy.describe("j-3", "a"))
        .isInstanceOfSatisfying(CapacityExhaustedException.class, e -> {
          assertThat(e.resourceName()).isEqualTo("describe");
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(5));
        });
    assertThat(proxy.describe("j-3", "b")).isEqualTo("j-3");
    assertThat(target.calls).containsExactly("describe j-1", "describe j-2", "describe j-3");
    clock.advance(Duration.ofSeconds(5));
    assertThat(proxy.describe("j-4", "a")).isEqualTo("j-4");
  }

  @Test
  void theParameterAnnotatedAccountIdWins() {
    assertThat(proxy.create("tenant", "c1")).isEqualTo("c1");
    assertThatThrownBy(() -> proxy.create("tenant", "c2")).isInstanceOf(CapacityExhaustedException.class);
    assertThat(proxy.create("other", "c3")).isEqualTo("c3");
  }

  @Test
  void accountIdParamPicksByPositionAndPermitsAreTaken() {
    assertThat(proxy.list(0, "owner")).containsExactly("owner");
    assertThatThrownBy(() -> proxy.list(1, "owner")).isInstanceOf(CapacityExhaustedException.class);
  }

  @Test
  void theTargetsExceptionsPassThroughUnwrapped() {
    assertThatThrownBy(() -> proxy.create("t", "")).isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessage("name is empty");
  }

  @Test
  void unannotatedAndDefaultMethodsPassThrough() {
    for (int i = 0; i < 100; i++) {
      assertThat(proxy.unlimited("a")).isEqualTo("a");
    }
    assertThat(proxy.greeting()).isEqualTo("hello");
  }

  @Test
  void objectMethodsAreTheProxysOwnAsForAnyJdkProxy() {
    Clusters other = limiters.proxy(Clusters.class, target);
    assertThat(proxy.equals(proxy)).isTrue();
    assertThat(proxy.equals(other)).as("another proxy of the same target").isFalse();
    assertThat(proxy.equals(target)).isFalse();
    assertThat(proxy.equals(null)).isFalse();
    assertThat(proxy.hashCode()).isEqualTo(System.identityHashCode(proxy)).isEqualTo(proxy.hashCode());
    assertThat(proxy).hasToString("RateLimitProxy[" + Clusters.class.getName() + " -> " + target + "]");
    assertThat(java.util.Set.of(proxy, other)).hasSize(2);
    assertThat(target.calls).isEmpty();
  }

  interface NoAccount {
    @RateLimit(resource = "x", limit = 1, window = 1)
    void call(String tenant);
  }

  interface NotAString {
    @RateLimit(resource = "x", limit = 1, window = 1)
    void call(long accountId);
  }

  @Test
  void aMethodWithoutAnAccountIdFailsWhenTheProxyIsMade() {
    assertThatThrownBy(() -> limiters.proxy(NoAccount.class, tenant -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs an account id")
        .hasMessageContaining("compile with javac -parameters");
    assertThatThrownBy(() -> limiters.proxy(NotAString.class, accountId -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be a String");
  }

  @Test
  void aNullAccountIdIsRejectedBeforeTheTargetRuns() {
    assertThatThrownBy(() -> proxy.describe("j-1", null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("non-null String");
    assertThat(target.calls).isEmpty();
  }
}
