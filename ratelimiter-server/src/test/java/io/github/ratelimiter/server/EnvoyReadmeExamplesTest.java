package io.github.ratelimiter.server;

import static io.github.ratelimiter.server.Harness.descriptor;
import static io.github.ratelimiter.server.Harness.request;
import static io.github.ratelimiter.server.Harness.withHits;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.DescriptorStatus;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.testing.ManualClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The configuration examples of envoyproxy/ratelimit's README (src/test/resources/envoy-readme, copied as they are),
 * each with a request sequence and the codes expected. The clock stands still, so nothing refills: a limit of N per
 * unit admits exactly N hits. Where the sequence would differ from envoyproxy/ratelimit it says so (one difference
 * is intended: a denied request charges nothing; and GCRA limits are smooth, which a standing clock does not show).
 */
class EnvoyReadmeExamplesTest {

  private static Harness serve(String example) throws Exception {
    Path config = Path.of(EnvoyReadmeExamplesTest.class.getResource("/envoy-readme/" + example).toURI());
    return new Harness(RateLimitServer.builder().store(InMemoryStore.create()).config(config).grpcPort(0)
        .httpPort(0).clock(ManualClock.at(Instant.parse("2026-12-01T00:00:00Z"))).start());
  }

  private static Code hits(Harness harness, long hits, String domain, String... keyValues) {
    return harness.ask(request(domain, withHits(descriptor(keyValues), hits))).getOverallCode();
  }

  /** Spends exactly the limit in one request, then one more: OK, then OVER_LIMIT. */
  private static void limitIs(Harness harness, long limit, String domain, String... keyValues) {
    assertThat(List.of(hits(harness, limit, domain, keyValues), hits(harness, 1, domain, keyValues)))
        .as("%s %s", domain, String.join(",", keyValues)).containsExactly(Code.OK, Code.OVER_LIMIT);
  }

  private static void unlimited(Harness harness, String domain, String... keyValues) {
    RateLimitResponse response = harness.ask(request(domain, withHits(descriptor(keyValues), 1_000_000)));
    assertThat(response.getOverallCode()).isEqualTo(Code.OK);
    assertThat(response.getStatuses(0).hasCurrentLimit()).isFalse();
  }

  @Test
  void example1TwoValuesOfOneKey() throws Exception {
    try (Harness h = serve("example01.yaml")) {
      limitIs(h, 500, "mongo_cps", "database", "users");
      limitIs(h, 500, "mongo_cps", "database", "default");
      unlimited(h, "mongo_cps", "database", "other");
    }
  }

  @Test
  void example2NestedListsAndSeveralDescriptorsInOneRequest() throws Exception {
    try (Harness h = serve("example02.yaml")) {
      RateLimitRequest marketing = request("messaging", descriptor("message_type", "marketing", "to_number",
          "2061111111"), descriptor("to_number", "2061111111"));
      for (int i = 0; i < 5; i++) {
        assertThat(h.ask(marketing).getOverallCode()).isEqualTo(Code.OK);
      }
      RateLimitResponse sixth = h.ask(marketing);
      assertThat(sixth.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
      assertThat(sixth.getStatusesList()).extracting(DescriptorStatus::getCode)
          .containsExactly(Code.OVER_LIMIT, Code.OK);
      // the denied sixth request charged nothing: to_number has 95 of its 100 left (envoyproxy/ratelimit: 94)
      limitIs(h, 95, "messaging", "to_number", "2061111111");
      limitIs(h, 5, "messaging", "message_type", "marketing", "to_number", "2062222222");
    }
  }

  @Test
  void example3KeyValueIsTriedBeforeKey() throws Exception {
    try (Harness h = serve("example03.yaml")) {
      limitIs(h, 10, "edge_proxy_per_ip", "remote_address", "50.0.0.1");
      limitIs(h, 10, "edge_proxy_per_ip", "remote_address", "50.0.0.2");
      assertThat(hits(h, 1, "edge_proxy_per_ip", "remote_address", "50.0.0.5")).isEqualTo(Code.OVER_LIMIT);
    }
  }

  @Test
  void example4TheRequestAndTheConfigurationMustHaveTheSameDepth() throws Exception {
    try (Harness h = serve("example04a.yaml")) {
      unlimited(h, "example4", "key", "value", "subkey", "subvalue");
      limitIs(h, 300, "example4", "key", "value");
    }
    try (Harness h = serve("example04b.yaml")) {
      limitIs(h, 300, "example4", "key", "value", "subkey", "subvalue");
      unlimited(h, "example4", "key", "value");
    }
  }

  @Test
  void example5Unlimited() throws Exception {
    try (Harness h = serve("example05.yaml")) {
      RateLimitResponse ldap = h.ask(request("internal", withHits(descriptor("ldap", "x"), 1_000_000)));
      assertThat(ldap.getOverallCode()).isEqualTo(Code.OK);
      assertThat(Integer.toUnsignedLong(ldap.getStatuses(0).getLimitRemaining())).isEqualTo(4_294_967_295L);
      limitIs(h, 100, "internal", "azure", "x");
    }
  }

  @Test
  void example6ShadowMode() throws Exception {
    try (Harness h = serve("example06.yaml")) {
      assertThat(hits(h, 10, "example6", "service", "auth-service", "user", "user-a")).isEqualTo(Code.OK);
      assertThat(hits(h, 1, "example6", "service", "auth-service", "user", "user-a")).isEqualTo(Code.OK);
      limitIs(h, 20, "example6", "service", "auth-service", "user", "user-b");
      assertThat(h.get("/metrics").body())
          .contains("ratelimit_service_rate_limit_shadow_mode_total{key=\"example6.service.user_user-a\"} 1.0");
    }
  }

  @Test
  void example7Replaces() throws Exception {
    try (Harness h = serve("example07.yaml")) {
      RateLimitDescriptor first = descriptor("key_1", "value_1", "user", "bkthomps");
      RateLimitDescriptor second = descriptor("key_2", "value_2", "user", "bkthomps");
      RateLimitRequest both = request("example7", withHits(first, 10), withHits(second, 10));
      assertThat(h.ask(both).getOverallCode()).isEqualTo(Code.OK);
      // the replaced 5 / sec limit was not affected; the replacing one is spent
      limitIs(h, 5, "example7", "key_1", "value_1", "user", "bkthomps");
      assertThat(hits(h, 1, "example7", "key_2", "value_2", "user", "bkthomps")).isEqualTo(Code.OVER_LIMIT);
    }
  }

  @Test
  void example8DetailedMetric() throws Exception {
    try (Harness h = serve("example08.yaml")) {
      limitIs(h, 10, "example8", "key1", "unspecified_value");
      limitIs(h, 10, "example8", "key1", "unspecified_value2");
      limitIs(h, 20, "example8", "key1", "value1");
      assertThat(h.get("/metrics").body())
          .contains("total_hits_total{key=\"example8.key1_unspecified_value\"} 11.0")
          .contains("total_hits_total{key=\"example8.key1_unspecified_value2\"} 11.0")
          .contains("total_hits_total{key=\"example8.key1_value1\"} 21.0");
    }
  }

  @Test
  void example9Wildcards() throws Exception {
    try (Harness h = serve("example09a.yaml")) {
      limitIs(h, 20, "example9", "key1", "value1");
      limitIs(h, 20, "example9", "key1", "valueXYZ");
      unlimited(h, "example9", "key1", "other");
    }
    try (Harness h = serve("example09b.yaml")) {
      limitIs(h, 20, "example9", "path", "/api/123/action");
      unlimited(h, "example9", "path", "/api/123/other");
    }
    try (Harness h = serve("example09c.yaml")) {
      limitIs(h, 20, "example9", "route", "/api/v1/resource/123/action");
      unlimited(h, "example9", "route", "/api/v1/other/123/action");
    }
  }

  @Test
  void example10ValueToMetric() throws Exception {
    try (Harness h = serve("example10a.yaml")) {
      limitIs(h, 60, "example10", "route", "api", "http_method", "GET", "subject_id", "123");
      assertThat(h.get("/metrics").body())
          .contains("total_hits_total{key=\"example10.route_api.http_method_GET.subject_id\"} 61.0");
    }
    try (Harness h = serve("example10b.yaml")) {
      limitIs(h, 100, "example10_wildcard", "user", "alice", "action", "readfile", "resource", "documents");
      assertThat(h.get("/metrics").body())
          .contains("total_hits_total{key=\"example10_wildcard.user_alice.action_readfile.resource\"} 101.0");
    }
  }

  @Test
  void example11ShareThreshold() throws Exception {
    try (Harness h = serve("example11a.yaml")) {
      assertThat(hits(h, 5, "example11", "files", "files/a.pdf")).isEqualTo(Code.OK);
      assertThat(hits(h, 5, "example11", "files", "files/b.csv")).isEqualTo(Code.OK);
      assertThat(hits(h, 1, "example11", "files", "files/c.txt")).isEqualTo(Code.OVER_LIMIT);
      limitIs(h, 10, "example11", "files_no_share", "files_no_share/a.pdf");
      limitIs(h, 10, "example11", "files_no_share", "files_no_share/b.csv");
    }
    try (Harness h = serve("example11b.yaml")) {
      limitIs(h, 60, "example11_metrics", "route", "api/v1", "method", "GET");
      assertThat(hits(h, 1, "example11_metrics", "route", "api/v2", "method", "GET")).isEqualTo(Code.OVER_LIMIT);
    }
  }
}
