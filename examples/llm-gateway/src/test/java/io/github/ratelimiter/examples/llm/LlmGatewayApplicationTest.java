package io.github.ratelimiter.examples.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.ActiveProfiles;

/**
 * The gateway as its README runs it (the dev profile: dynalite, tables created), with real HTTP and a frozen clock, so
 * that "per minute" does not depend on how fast this machine is. Each test uses its own keys or organisation.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.main.allow-bean-definition-overriding=true")
@ActiveProfiles("dev")
class LlmGatewayApplicationTest {

  @TestConfiguration
  static class FrozenClock {
    @Bean
    Clock clock() {
      return Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
    }

    /** Keys test-ORG-NAME belong to ORG, so that each test has organisations of its own. */
    @Bean
    Organisations organisations() {
      return new Organisations() {
        @Override
        public String of(String apiKey) {
          return apiKey == null || !apiKey.startsWith("test-") ? super.of(apiKey) : apiKey.split("-")[1];
        }
      };
    }
  }

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @LocalServerPort int port;

  @Test
  void aCompletionReportsItsTokensAndTheKeysPolicies() throws Exception {
    HttpResponse<String> done = complete("Authorization", "Bearer key-alice", "Say hello to the gateway.", 200);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
    assertThat(done.body()).contains("\"total_tokens\":37");
    assertThat(done.headers().firstValue("X-Tokens-Used")).hasValue("37");
    assertThat(done.headers().firstValue("RateLimit-Policy")).hasValue(
        "\"requests\";q=5;w=60, \"tokens\";q=2000;w=60");
  }

  @Test
  void theSixthRequestOfAMinuteIs429ByTheRequestsLimit() throws Exception {
    for (int i = 1; i <= 5; i++) {
      assertThat(complete("X-Api-Key", "test-org1-k1", "hi", 10).statusCode()).as("request %d", i).isEqualTo(200);
    }
    HttpResponse<String> denied = complete("X-Api-Key", "test-org1-k1", "hi", 10);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.headers().firstValue("Retry-After")).hasValue("12");
    assertThat(denied.body()).contains("\"resource\":\"llm-key\"", "\"limit\":\"requests\"");
  }

  @Test
  void tokensAreSettledAtWhatTheModelUsedAndABigAnswerPutsTheKeyInDebt() throws Exception {
    // 500 tokens reserved per request, 11 used: were the estimates kept, 2000 would be spent after four
    for (int i = 1; i <= 4; i++) {
      HttpResponse<String> small = complete("X-Api-Key", "test-org2-k1", "hi", 10);
      assertThat(small.statusCode()).as("request %d", i).isEqualTo(200);
      assertThat(small.headers().firstValue("X-Tokens-Used")).hasValue("11");
    }
    // 4000 prompt characters: 1000 prompt tokens and 2016 completion tokens, 1016 past the key's 2000 a minute
    HttpResponse<String> big = complete("X-Api-Key", "test-org2-k1", "x".repeat(4000), 3000);
    assertThat(big.statusCode()).isEqualTo(200);
    assertThat(big.headers().firstValue("X-Tokens-Used")).hasValue("3016");
    HttpResponse<String> denied = complete("X-Api-Key", "test-org2-k1", "hi", 10);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.body()).contains("\"resource\":\"llm-key\"", "\"limit\":\"tokens\"");
    assertThat(Long.parseLong(denied.headers().firstValue("Retry-After").orElseThrow()))
        .as("the debt (1060 tokens) and the next estimate (500) at 30 ms a token").isEqualTo(47);
  }

  @Test
  void theOrganisationsDailyTokensAreSharedByItsKeysAndSettledFromTheAnswer() throws Exception {
    // 4000 prompt characters: 1000 prompt tokens + at most max_tokens 1000 completion tokens = 2000 per call,
    // reserved at max_tokens (1000) of the organisation's 5000 a day, then settled at 2000
    assertThat(complete("X-Api-Key", "test-org3-k1", "x".repeat(4000), 1000).headers().firstValue("X-Tokens-Used"))
        .hasValue("2000");
    assertThat(complete("X-Api-Key", "test-org3-k2", "x".repeat(4000), 1000).statusCode()).isEqualTo(200);
    // 4000 used: 1000 more fits, the settle takes the organisation 1000 past its budget
    assertThat(complete("X-Api-Key", "test-org3-k3", "x".repeat(4000), 1000).statusCode()).isEqualTo(200);
    HttpResponse<String> denied = complete("X-Api-Key", "test-org3-k4", "hi", 10);
    assertThat(denied.statusCode()).isEqualTo(429);
    assertThat(denied.body()).contains("\"resource\":\"llm-org-tokens\"");
    assertThat(denied.headers().firstValue("RateLimit-Policy")).hasValue(
        "\"requests\";q=5;w=60, \"tokens\";q=2000;w=60, \"llm-org-tokens\";q=5000;w=86400");
    assertThat(denied.headers().firstValue("Retry-After")).isPresent();
  }

  @Test
  void aRequestWithoutAKeyIs400AndAnUnknownKeyIs401() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hi\"}"))
        .build();
    assertThat(CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    assertThat(complete("X-Api-Key", "key-mallory", "hi", 10).statusCode()).isEqualTo(401);
  }

  private HttpResponse<String> complete(String header, String value, String prompt, int maxTokens) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
        .header(header, value).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"" + prompt + "\",\"max_tokens\":" + maxTokens + "}"))
        .build();
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
