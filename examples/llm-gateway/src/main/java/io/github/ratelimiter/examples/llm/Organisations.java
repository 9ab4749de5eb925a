package io.github.ratelimiter.examples.llm;

import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * The API keys and the organisation each belongs to: in code here, a table or an identity provider in a real
 * gateway. Immutable and thread-safe.
 */
@Component("organisations")
public class Organisations {

  private final Map<String, String> byKey = Map.of(
      "key-alice", "acme",
      "key-bob", "acme",
      "key-dave", "acme",
      "key-carol", "globex");

  /** The organisation of an API key, or {@code null} for a key we do not know. */
  public String of(String apiKey) {
    return apiKey == null ? null : byKey.get(apiKey);
  }
}
