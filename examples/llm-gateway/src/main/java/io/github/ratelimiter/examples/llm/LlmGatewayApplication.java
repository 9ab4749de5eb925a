package io.github.ratelimiter.examples.llm;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An LLM gateway in front of a model whose cost, in tokens, is known only once it has answered. Three limits:
 * <ul>
 *   <li>requests per minute and tokens per minute per API key: the route {@code /v1/completions} in
 *       {@code application.yml} reserves {@code requests=1,tokens=500} before the controller runs, and settles the
 *       tokens the controller reports in {@code X-Tokens-Used};
 *   <li>tokens per day per organisation: {@link Gateway#complete} is {@code @RateLimited} with an estimate (the
 *       request's {@code max_tokens}) and the actual read from the model's answer ({@code #result.usage.totalTokens}).
 * </ul>
 *
 * <p>{@code ./examples/llm-gateway/run} starts it in the {@code dev} profile, against a local dynalite.
 */
@SpringBootApplication
public class LlmGatewayApplication {

  /** Starts the application. */
  public static void main(String[] args) {
    SpringApplication.run(LlmGatewayApplication.class, args);
  }
}
