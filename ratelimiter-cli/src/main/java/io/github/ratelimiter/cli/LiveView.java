package io.github.ratelimiter.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The demo's once-a-second view: on a terminal, one line per tenant redrawn in place (ANSI cursor movement);
 * otherwise one plain progress line per refresh.
 */
final class LiveView {

  private static final int BAR = 24;

  private final PrintWriter out;
  private final boolean terminal;
  private final Duration total;
  private int linesDrawn;

  LiveView(PrintWriter out, boolean terminal, Duration total) {
    this.out = out;
    this.terminal = terminal;
    this.total = total;
  }

  void render(Duration elapsed, List<Demo.Tenant> tenants, Map<String, Integer> tokens) {
    if (!terminal) {
      StringBuilder line = new StringBuilder(String.format("t=%5.1fs", elapsed.toMillis() / 1000.0));
      for (Demo.Tenant t : tenants) {
        line.append(String.format("  %s %d/%d ok, %d denied, %d/%d clusters", t.name(), t.admitted.sum(),
            t.bound(elapsed), t.denied.sum(), tokens.get(t.name()), t.cap));
      }
      out.println(line);
      out.flush();
      return;
    }
    StringBuilder block = new StringBuilder();
    if (linesDrawn > 0) {
      block.append("\033[").append(linesDrawn).append('F');
    }
    double progress = Math.min(1.0, (double) elapsed.toNanos() / total.toNanos());
    block.append("\033[2K").append(String.format("%5.1fs / %s %s%n", elapsed.toMillis() / 1000.0,
        Durations.human(total), bar(progress)));
    block.append("\033[2K").append(String.format("%-9s %-10s %9s %9s %9s %8s  %s%n", "TENANT", "LIMIT",
        "ADMITTED", "ALLOWED", "DENIED", "CLUSTERS", "ADMITTED / ALLOWED"));
    for (Demo.Tenant t : tenants) {
      long bound = t.bound(elapsed);
      long admitted = t.admitted.sum();
      block.append("\033[2K").append(String.format("%-9s %-10s %9d %9d %9d %5d/%-2d  %s %3d%%%n", t.name(),
          t.limit.limit() + "/" + Durations.human(t.limit.window()), admitted, bound, t.denied.sum(),
          tokens.get(t.name()), t.cap, bar(bound == 0 ? 0 : (double) admitted / bound),
          bound == 0 ? 0 : Math.round(100.0 * admitted / bound)));
    }
    linesDrawn = 2 + tenants.size();
    out.print(block);
    out.flush();
  }

  void finish() {
    out.println();
    out.flush();
  }

  private static String bar(double fraction) {
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * BAR);
    return "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "]";
  }
}
