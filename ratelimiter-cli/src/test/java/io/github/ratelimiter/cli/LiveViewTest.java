package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.Limit;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The live view fits an 80-column terminal, grows with a wider one and redraws over itself. */
class LiveViewTest {

  private final List<Demo.Tenant> tenants = Demo.WORKLOADS.stream()
      .map(w -> w.defaultQuota() != null ? new Demo.Tenant(w, w.defaultQuota(), 1)
          : new Demo.Tenant(w, w.tenant().equals("initech") ? Limit.of(15, Duration.ofSeconds(1))
              : Limit.of(50, Duration.ofSeconds(1)), 3))
      .toList();

  private LiveView view(int width) {
    return new LiveView(new PrintWriter(new StringWriter()), true, Duration.ofSeconds(20), width);
  }

  @Test
  void everyLineFitsEightyColumnsAndSaysWhatEachTenantDoes() {
    tenants.get(0).admitted.add(123_456);
    tenants.get(0).denied.add(1_234_567);
    List<String> lines = view(80).lines(Duration.ofSeconds(10), tenants, Map.of("acme", 3));
    assertThat(lines).allSatisfy(line -> assertThat(line.length()).isLessThan(80));
    assertThat(lines.size()).isLessThanOrEqualTo(24 - 4);
    assertThat(String.join("\n", lines)).contains("initech  polite: ~10 calls/s under its 15 per 1s")
        .contains("acme     greedy: ~400 calls/s for 50 per 1s")
        .contains("hooli    greedy: ~133 calls/s for 20/1s and 200/1m together; up to 1 cluster");
    assertThat(lines).as("the quota tenant: a row per limit, each with its bound after 10 s")
        .anySatisfy(line -> assertThat(line).startsWith("hooli    20/1s ").contains("  220 "))
        .anySatisfy(line -> assertThat(line).startsWith("         200/1m").contains("  233 "));
  }

  @Test
  void aWiderTerminalGetsLongerBars() {
    String narrow = view(80).lines(Duration.ofSeconds(5), tenants, Map.of()).get(2);
    String wide = view(120).lines(Duration.ofSeconds(5), tenants, Map.of()).get(2);
    assertThat(wide.length()).isGreaterThan(narrow.length()).isLessThan(120);
  }

  @Test
  void aRedrawGoesBackOverTheWholeBlockAndClearsWhatIsBelow() {
    LiveView view = view(80);
    String first = view.block(Duration.ofSeconds(1), tenants, Map.of());
    String second = view.block(Duration.ofSeconds(2), tenants, Map.of());
    long lines = first.chars().filter(c -> c == '\n').count();
    assertThat(first).startsWith("\033[2K").endsWith("\033[J");
    assertThat(second).startsWith("\033[" + lines + "F").endsWith("\033[J");
    assertThat(LiveView.terminalWidth(Map.of("COLUMNS", "132"))).isEqualTo(132);
    assertThat(LiveView.terminalWidth(Map.of())).isEqualTo(80);
  }
}
