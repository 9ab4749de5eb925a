package io.github.ratelimiter.examples.llm;

import io.github.ratelimiter.examples.llm.Model.Completion;
import io.github.ratelimiter.examples.llm.Model.CompletionRequest;
import io.github.ratelimiter.spring.RateLimited;
import java.time.temporal.ChronoUnit;
import org.springframework.stereotype.Service;

/**
 * Calls the model under the organisation's daily token budget: reserves the request's {@code max_tokens} of the
 * organisation's tokens before the call, settles the tokens the model reports after it, and gives the reservation back
 * when the call throws. A denial is a {@link io.github.ratelimiter.CapacityExhaustedException}: a 429 through the
 * starter's exception handler.
 */
@Service
public class Gateway {

  private final Model model;

  Gateway(Model model) {
    this.model = model;
  }

  /** Completes the request for an organisation's key. */
  @RateLimited(resource = "llm-org-tokens", limit = 5000, window = 1, unit = ChronoUnit.DAYS,
      account = "@organisations.of(#apiKey)", estimate = "#request.maxTokens",
      actual = "#result.usage.totalTokens")
  public Completion complete(String apiKey, CompletionRequest request) {
    return model.complete(request);
  }
}
