package io.github.ratelimiter.examples.llm;

import io.github.ratelimiter.examples.llm.Model.Completion;
import io.github.ratelimiter.examples.llm.Model.CompletionRequest;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/completions}: the API key from {@code Authorization: Bearer KEY} or {@code X-Api-Key}. The route's
 * per-key limits were reserved before this runs ({@code application.yml}); the controller reports the tokens used in
 * {@code X-Tokens-Used}, which the route settles.
 */
@RestController
class CompletionsController {

  static final String TOKENS_USED = "X-Tokens-Used";

  private final Gateway gateway;
  private final Organisations organisations;

  CompletionsController(Gateway gateway, Organisations organisations) {
    this.gateway = gateway;
    this.organisations = organisations;
  }

  @PostMapping("/v1/completions")
  ResponseEntity<?> complete(@RequestHeader(name = "Authorization", required = false) String authorization,
      @RequestHeader(name = "X-Api-Key", required = false) String apiKeyHeader,
      @RequestBody CompletionRequest request) {
    String apiKey = apiKeyHeader != null ? apiKeyHeader
        : authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7).trim() : null;
    if (organisations.of(apiKey) == null) {
      return ResponseEntity.status(HttpStatus.UNAUTHORIZED).header(TOKENS_USED, "0")
          .body(Map.of("error", "unknown API key"));
    }
    Completion completion = gateway.complete(apiKey, request);
    return ResponseEntity.ok().header(TOKENS_USED, Long.toString(completion.usage().totalTokens())).body(completion);
  }

  @ExceptionHandler(IllegalArgumentException.class)
  ResponseEntity<Map<String, String>> badRequest(IllegalArgumentException e) {
    return ResponseEntity.badRequest().header(TOKENS_USED, "0").body(Map.of("error", e.getMessage()));
  }
}
