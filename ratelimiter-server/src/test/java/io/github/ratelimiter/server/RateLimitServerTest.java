package io.github.ratelimiter.server;

import static io.github.ratelimiter.server.Harness.descriptor;
import static io.github.ratelimiter.server.Harness.request;
import static io.github.ratelimiter.server.Harness.withHits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.DescriptorStatus;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.RateLimit.Unit;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A started server on dynalite, asked through grpc-java on the v3 protos and the JDK's HTTP client. Limits are per
 * hour or longer, so that the refill during a test is far below one request and every count is exact.
 */
class RateLimitServerTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  static final String CONFIG = """
      domain: shop
      descriptors:
        - key: user
          rate_limit: {unit: hour, requests_per_unit: 3}
        - key: user
          value: vip
          rate_limit: {unit: hour, requests_per_unit: 5}
        - key: path
          value: /api/*
          rate_limit: {unit: hour, requests_per_unit: 2}
        - key: tenant
          descriptors:
            - key: route
              rate_limit: {unit: hour, requests_per_unit: 2, name: tenant_route}
        - key: partner
          descriptors:
            - key: route
              rate_limit:
                unit: hour
                requests_per_unit: 4
                replaces:
                  - name: tenant_route
        - key: internal
          rate_limit: {unlimited: true}
        - key: canary
          shadow_mode: true
          rate_limit: {unit: hour, requests_per_unit: 1}
        - key: ip
          rate_limits:
            - {unit: hour, requests_per_unit: 2}
            - {unit: day, requests_per_unit: 10}
      """;

  @TempDir static Path dir;
  static Path config;
  static Harness harness;

  @BeforeAll
  static void start() throws IOException {
    config = Files.writeString(dir.resolve("shop.yaml"), CONFIG);
    harness = Harness.onDynamoDb(DYNAMO, config, b -> b);
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  private static RateLimitResponse ask(RateLimitRequest request) {
    return harness.ask(request);
  }

  private static List<Code> codes(int times, RateLimitRequest request) {
    return IntStream.range(0, times).mapToObj(i -> ask(request).getOverallCode()).toList();
  }

  @Test
  void nestedDescriptorsValuesAndWildcards() {
    RateLimitRequest alice = request("shop", descriptor("user", "alice"));
    RateLimitResponse first = ask(alice);
    assertThat(first.getOverallCode()).isEqualTo(Code.OK);
    DescriptorStatus status = first.getStatuses(0);
    assertThat(status.getCode()).isEqualTo(Code.OK);
    assertThat(status.getCurrentLimit().getRequestsPerUnit()).isEqualTo(3);
    assertThat(status.getCurrentLimit().getUnit()).isEqualTo(Unit.HOUR);
    assertThat(status.getLimitRemaining()).isEqualTo(2);
    assertThat(status.getDurationUntilReset().getSeconds()).isEqualTo(1200);
    assertThat(codes(3, alice)).containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
    assertThat(ask(alice).getStatuses(0).getLimitRemaining()).isZero();

    assertThat(codes(6, request("shop", descriptor("user", "vip"))))
        .containsExactly(Code.OK, Code.OK, Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT);
    assertThat(codes(3, request("shop", descriptor("path", "/api/a"))))
        .containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
    assertThat(codes(1, request("shop", descriptor("path", "/api/b")))).containsExactly(Code.OK);
    assertThat(codes(3, request("shop", descriptor("tenant", "t1", "route", "/orders"))))
        .containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
    // a descriptor that matches no limit is OK, with no limit
    RateLimitResponse unmatched = ask(request("shop", descriptor("tenant", "t1")));
    assertThat(unmatched.getOverallCode()).isEqualTo(Code.OK);
    assertThat(unmatched.getStatuses(0).hasCurrentLimit()).isFalse();
    assertThat(ask(request("no-such-domain", descriptor("user", "alice"))).getOverallCode()).isEqualTo(Code.OK);
  }

  @Test
  void unlimitedIsOkWithoutTheStore() {
    RateLimitResponse response = ask(request("shop", descriptor("internal", "x")));
    assertThat(response.getOverallCode()).isEqualTo(Code.OK);
    assertThat(Integer.toUnsignedLong(response.getStatuses(0).getLimitRemaining())).isEqualTo(4_294_967_295L);
    assertThat(response.getStatuses(0).hasCurrentLimit()).isFalse();
  }

  @Test
  void replacesDropsTheNamedLimitAndLeavesItsBucketAlone() {
    RateLimitRequest both = request("shop", descriptor("tenant", "t2", "route", "/r"),
        descriptor("partner", "p2", "route", "/r"));
    List<RateLimitResponse> responses = IntStream.range(0, 5).mapToObj(i -> ask(both)).toList();
    assertThat(responses).extracting(RateLimitResponse::getOverallCode)
        .containsExactly(Code.OK, Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT);
    assertThat(responses.get(0).getStatuses(0).hasCurrentLimit()).isFalse();
    assertThat(responses.get(0).getStatuses(1).getCurrentLimit().getRequestsPerUnit()).isEqualTo(4);
    // the replaced limit's bucket was never charged
    assertThat(codes(3, request("shop", descriptor("tenant", "t2", "route", "/r"))))
        .containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
  }

  @Test
  void shadowModeAnswersOkAndCountsWhatItWouldHaveDenied() {
    assertThat(codes(3, request("shop", descriptor("canary", "c1")))).containsOnly(Code.OK);
    assertThat(harness.get("/metrics").body())
        .contains("ratelimit_service_rate_limit_shadow_mode_total{key=\"shop.canary\"} 2.0")
        .contains("ratelimit_service_rate_limit_total_hits_total{key=\"shop.canary\"} 3.0");
  }

  @Test
  void hitsAddendPerRequestAndPerDescriptorZeroChecksWithoutCharging() {
    RateLimitResponse two = ask(request("shop", descriptor("user", "bob")).toBuilder().setHitsAddend(2).build());
    assertThat(two.getStatuses(0).getLimitRemaining()).isEqualTo(1);
    RateLimitRequest look = request("shop", withHits(descriptor("user", "bob"), 0));
    assertThat(ask(look).getOverallCode()).isEqualTo(Code.OK);
    assertThat(ask(look).getStatuses(0).getLimitRemaining()).isEqualTo(1);
    assertThat(ask(request("shop", withHits(descriptor("user", "bob"), 2))).getOverallCode())
        .isEqualTo(Code.OVER_LIMIT);
    assertThat(ask(request("shop", withHits(descriptor("user", "bob"), 1))).getOverallCode()).isEqualTo(Code.OK);
    RateLimitResponse exhausted = ask(look);
    assertThat(exhausted.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(exhausted.getStatuses(0).getLimitRemaining()).isZero();
    // more than the limit can ever admit at once: over, and nothing sent
    assertThat(ask(request("shop", withHits(descriptor("user", "bob2"), 4))).getOverallCode())
        .isEqualTo(Code.OVER_LIMIT);
    assertThat(codes(3, request("shop", descriptor("user", "bob2")))).containsOnly(Code.OK);
  }

  @Test
  void oneDescriptorOverIsOverLimitAndTheOthersAreNotCharged() {
    assertThat(codes(3, request("shop", descriptor("user", "carol")))).containsOnly(Code.OK);
    // carol is charged in a fixed order of keys (resource, then account): dave after her, so dave is only looked at
    RateLimitResponse response = ask(request("shop", descriptor("user", "carol"), descriptor("user", "dave")));
    assertThat(response.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(response.getStatusesList()).extracting(DescriptorStatus::getCode)
        .containsExactly(Code.OVER_LIMIT, Code.OK);
    assertThat(codes(4, request("shop", descriptor("user", "dave"))))
        .containsExactly(Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT);
    // aaron sorts before carol: he is charged, then carol denies and his charge is refunded, in whichever order the
    // request lists them
    for (RateLimitRequest both : List.of(request("shop", descriptor("user", "aaron"), descriptor("user", "carol")),
        request("shop", descriptor("user", "carol"), descriptor("user", "aaron")))) {
      RateLimitResponse denied = ask(both);
      assertThat(denied.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    }
    assertThat(codes(4, request("shop", descriptor("user", "aaron"))))
        .as("aaron's two refunded charges left his 3 per hour whole")
        .containsExactly(Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT);
  }

  @Test
  void severalLimitsOnOneDescriptor() {
    RateLimitResponse first = ask(request("shop", descriptor("ip", "10.0.0.1")));
    assertThat(first.getStatuses(0).getCurrentLimit().getUnit()).isEqualTo(Unit.HOUR);
    assertThat(first.getStatuses(0).getLimitRemaining()).isEqualTo(1);
    assertThat(codes(2, request("shop", descriptor("ip", "10.0.0.1")))).containsExactly(Code.OK, Code.OVER_LIMIT);
  }

  @Test
  void badRequestsAreInvalidArgumentNamingTheField() {
    assertInvalid(RateLimitRequest.newBuilder().addDescriptors(descriptor("user", "x")).build(),
        "domain: rate limit domain must not be empty");
    assertInvalid(request("shop"), "descriptors: rate limit descriptor list must not be empty");
    assertInvalid(request("shop", descriptor("user", "x"), descriptor()),
        "descriptors[1].entries: a descriptor must have at least one entry");
    assertInvalid(request("shop", descriptor("", "x")), "descriptors[0].entries[0].key: must not be empty");
    assertInvalid(request("shop", descriptor("user", "x".repeat(1025))),
        "descriptors[0].entries[0].value: 1025 UTF-8 bytes, at most 1024");
    assertInvalid(request("shop", IntStream.range(0, 65).mapToObj(i -> descriptor("user", "u" + i))
        .toArray(io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor[]::new)),
        "descriptors: 65 descriptors, at most 64");
    assertInvalid(request("shop", withHits(descriptor("user", "x"), -1)),
        "descriptors[0].hits_addend: at most 1000000000: 18446744073709551615");

    HttpResponse<String> negative = harness.json("{\"domain\":\"shop\",\"hitsAddend\":-1,"
        + "\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"x\"}]}]}");
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(negative.body()).isEqualTo("hits_addend: must not be negative: -1\n");
    HttpResponse<String> noDomain = harness.json("{\"descriptors\":[{\"entries\":[{\"key\":\"user\"}]}]}");
    assertThat(noDomain.statusCode()).isEqualTo(400);
    assertThat(noDomain.body()).isEqualTo("domain: rate limit domain must not be empty\n");
    assertThat(harness.json("{not json").statusCode()).isEqualTo(400);
    assertThat(harness.json("{\"domain\":\"shop\",\"colour\":1}").body()).contains("colour");
  }

  private static void assertInvalid(RateLimitRequest request, String message) {
    assertThatThrownBy(() -> ask(request)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).isEqualTo(message);
    });
  }

  @Test
  void theJsonEndpointAnswersAsEnvoyproxyRatelimitDoes() {
    String body = "{\"domain\":\"shop\",\"descriptors\":[{\"entries\":[{\"key\":\"user\",\"value\":\"erin\"}]}]}";
    HttpResponse<String> ok = harness.json(body);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(ok.body()).isEqualTo("{\"overallCode\":\"OK\",\"statuses\":[{\"code\":\"OK\",\"currentLimit\":"
        + "{\"requestsPerUnit\":3,\"unit\":\"HOUR\"},\"limitRemaining\":2,\"durationUntilReset\":\"1200s\"}]}");
    harness.json(body);
    harness.json(body);
    HttpResponse<String> over = harness.json(body);
    assertThat(over.statusCode()).isEqualTo(429);
    assertThat(over.body()).startsWith("{\"overallCode\":\"OVER_LIMIT\",\"statuses\":[{\"code\":\"OVER_LIMIT\"");
    assertThat(harness.get("/json").statusCode()).isEqualTo(405);
  }

  @Test
  void healthReflectionHealthcheckAndMetrics() throws Exception {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(harness.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder()
        .setService("envoy.service.ratelimit.v3.RateLimitService").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);

    CompletableFuture<ServerReflectionResponse> listed = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> reflection = ServerReflectionGrpc.newStub(harness.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS).serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            listed.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            listed.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    reflection.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    assertThat(listed.get(30, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
        .extracting(ServiceResponse::getName)
        .contains("envoy.service.ratelimit.v3.RateLimitService", "grpc.health.v1.Health");
    reflection.onCompleted();

    HttpResponse<String> healthcheck = harness.get("/healthcheck");
    assertThat(healthcheck.statusCode()).isEqualTo(200);
    assertThat(healthcheck.body()).isEqualTo("OK\n");
    ask(request("shop", descriptor("user", "metered")));
    assertThat(harness.get("/metrics").body())
        .contains("ratelimit_service_rate_limit_total_hits_total{key=\"shop.user\"}")
        .contains("ratelimit_service_config_load_total{outcome=\"success\"}")
        .contains("ratelimiter_decisions_total{");
  }
}
