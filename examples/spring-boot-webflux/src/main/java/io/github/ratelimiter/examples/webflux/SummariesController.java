package io.github.ratelimiter.examples.webflux;

import java.util.Arrays;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Summaries of a text, whose cost is known only once made: the {@code summaries-api} route reserves an estimate
 * (500 tokens) before this runs, and the starter's WebFilter settles the tokens this answer reports in
 * {@code X-Tokens-Used} (here, one per word read) when the response is committed.
 */
@RestController
class SummariesController {

  /** A summary: its first words, and the tokens it took. */
  record Summary(String summary, long tokens) {}

  @PostMapping("/api/summaries")
  Mono<ResponseEntity<Summary>> summarize(@RequestBody String text) {
    return Mono.fromSupplier(() -> {
      String[] words = text.trim().split("\\s+");
      String summary = String.join(" ", Arrays.copyOf(words, Math.min(words.length, 5)));
      return ResponseEntity.ok().header("X-Tokens-Used", Long.toString(words.length))
          .body(new Summary(summary, words.length));
    });
  }
}
