package io.github.ratelimiter.examples.llm;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.springframework.stereotype.Component;

/**
 * A stand-in for a language model: answers at once, and counts tokens as a real one reports them (a prompt token per
 * four characters; as many completion tokens as the prompt's, twice over, plus 16, at most {@code max_tokens}).
 * Thread-safe.
 */
@Component
public class Model {

  /** A completion request, as the OpenAI-style API takes it. */
  public record CompletionRequest(String prompt, @JsonProperty("max_tokens") Integer maxTokens) {
    /** A missing prompt is empty; a missing {@code max_tokens} is 256. */
    public CompletionRequest {
      prompt = prompt == null ? "" : prompt;
      maxTokens = maxTokens == null ? 256 : maxTokens;
      if (maxTokens < 1 || maxTokens > 4096) {
        throw new IllegalArgumentException("max_tokens must be from 1 to 4096: " + maxTokens);
      }
    }
  }

  /** The tokens a completion used. */
  public record Usage(@JsonProperty("prompt_tokens") long promptTokens,
      @JsonProperty("completion_tokens") long completionTokens, @JsonProperty("total_tokens") long totalTokens) {}

  /** The model's answer. */
  public record Completion(String model, String text, Usage usage) {}

  /** Completes the prompt. */
  public Completion complete(CompletionRequest request) {
    long prompt = Math.max(1, (request.prompt().length() + 3) / 4);
    long completion = Math.min(request.maxTokens(), 2 * prompt + 16);
    return new Completion("stand-in", "lorem ipsum ".repeat((int) Math.min(completion, 8)).trim(),
        new Usage(prompt, completion, prompt + completion));
  }
}
