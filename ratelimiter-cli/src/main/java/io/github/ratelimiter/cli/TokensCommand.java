package io.github.ratelimiter.cli;

import io.github.ratelimiter.ActiveToken;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.RateLimiters;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code tokens list|release}: the non-fungible tokens operators need to see and free. */
@Command(name = "tokens", mixinStandardHelpOptions = true,
    description = "List an account's live non-fungible reservations and tokens, or release a stuck token.")
final class TokensCommand {

  @ParentCommand RateLimiterCli root;

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = {"The account's live reservations and tokens on the resource (expired rows left out).",
          "Rows another library wrote into the table (rate-limiter-py) are listed too, marked 'python'."})
  int list(@Parameters(index = "0", paramLabel = "RESOURCE") String resource,
      @Parameters(index = "1", paramLabel = "ACCOUNT") String account) {
    try (RateLimiters limiters = RateLimiters.builder().store(root.store()).build()) {
      NonFungibleLimiter limiter = limiters.nonFungible(resource, 0);
      List<ActiveToken> tokens = limiter.activeTokens(account);
      if (root.json) {
        Output.json(root.out(), tokens.stream().map(t -> {
          Map<String, Object> json = new LinkedHashMap<>();
          json.put("resourceName", t.resourceName());
          json.put("accountId", t.accountId());
          json.put("reservationId", t.reservationId());
          json.put("kind", t.isReservation() ? "reservation" : "token");
          json.put("resourceId", t.resourceId());
          json.put("expiresAt", t.expiresAt().toString());
          json.put("foreign", t.foreign());
          return json;
        }).toList());
      } else {
        Output.table(root.out(), List.of("RESERVATION", "KIND", "RESOURCE-ID", "EXPIRES", "WRITER"), tokens.stream()
            .map(t -> List.of(t.reservationId(), t.isReservation() ? "reservation" : "token",
                t.resourceId() == null ? "-" : t.resourceId(), t.expiresAt().toString(),
                t.foreign() ? "python" : "java"))
            .toList());
        root.out().println(tokens.size() + " live on " + resource + " for " + account);
        root.out().flush();
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "release", mixinStandardHelpOptions = true,
      description = {"Release the token that carries the resource id, as the event Lambda does, whichever library",
          "wrote it; exit 1 if none."})
  int release(@Parameters(index = "0", paramLabel = "RESOURCE") String resource,
      @Parameters(index = "1", paramLabel = "RESOURCE-ID", description = "e.g. an EMR cluster id") String resourceId) {
    try (RateLimiters limiters = RateLimiters.builder().store(root.store()).build()) {
      boolean released = limiters.nonFungible(resource, 0).release(resourceId);
      if (root.json) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("resourceName", resource);
        result.put("resourceId", resourceId);
        result.put("released", released);
        Output.json(root.out(), result);
      } else {
        root.out().println(released ? "released the " + resource + " token of " + resourceId
            : "no live " + resource + " token carries " + resourceId + ": nothing released");
        root.out().flush();
      }
      return released ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
    }
  }
}
