package io.github.ratelimiter.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's once-a-second view. On a terminal: a block redrawn in place (ANSI cursor movement), every line cut to
 * the terminal's width (80 columns unless {@code COLUMNS} says more), so no line wraps and a redraw leaves nothing
 * stale; the progress bars grow with the width. Under it, one line per tenant says what the tenant does. Otherwise
 * one plain progress line per refresh.
 */
final class LiveView {

  /** The fixed columns of a tenant row, before its bar: {@code %-8s %-7s %8s %8s %7s %8s  }. */
  private static final int FIXED = 53;
  /** The percentage after a bar: {@code " 100%"}. */
  private static final int PERCENT = 5;

  private final PrintWriter out;
  private final boolean terminal;
  private final Duration total;
  private final int width;
  private int linesDrawn;

  LiveView(PrintWriter out, boolean terminal, Duration total, int width) {
    this.out = out;
    this.terminal = terminal;
    this.total = total;
    this.width = Math.max(80, width);
  }

  /** The terminal's width: {@code COLUMNS} when set to a number, else 80 (the smallest that the view fits). */
  static int terminalWidth(Map<String, String> environment) {
    try {
      return Integer.parseInt(environment.getOrDefault("COLUMNS", "80").trim());
    } catch (NumberFormatException e) {
      return 80;
    }
  }

  void render(Duration elapsed, List<Demo.Tenant> tenants, Map<String, Integer> tokens) {
    if (!terminal) {
      StringBuilder line = new StringBuilder(String.format("t=%5.1fs", elapsed.toMillis() / 1000.0));
      for (Demo.Tenant t : tenants) {
        line.append(String.format("  %s %d/%s ok, %d denied, %d/%d clusters", t.name(), t.admitted.sum(),
            String.join("|", t.bounds(elapsed).values().stream().map(String::valueOf).toList()), t.denied.sum(),
            tokens.get(t.name()), t.cap));
      }
      out.println(line);
      out.flush();
      return;
    }
    out.print(block(elapsed, tenants, tokens));
    out.flush();
  }

  /** The lines of one redraw, with the escape codes that put them over the previous one. */
  String block(Duration elapsed, List<Demo.Tenant> tenants, Map<String, Integer> tokens) {
    List<String> lines = lines(elapsed, tenants, tokens);
    StringBuilder block = new StringBuilder();
    if (linesDrawn > 0) {
      block.append("\033[").append(linesDrawn).append('F');
    }
    for (String line : lines) {
      block.append("\033[2K").append(line).append('\n');
    }
    block.append("\033[J"); // anything below, from a taller earlier block or other output, goes
    linesDrawn = lines.size();
    return block.toString();
  }

  /** The view's lines, each shorter than the width. */
  List<String> lines(Duration elapsed, List<Demo.Tenant> tenants, Map<String, Integer> tokens) {
    int barWidth = Math.min(60, width - 1 - FIXED - 2 - PERCENT);
    List<String> lines = new ArrayList<>();
    double progress = Math.min(1.0, (double) elapsed.toNanos() / total.toNanos());
    lines.add(String.format("%5.1fs of %s %s", elapsed.toMillis() / 1000.0, Durations.human(total),
        bar(progress, barWidth)));
    lines.add(String.format("%-8s %-7s %8s %8s %7s %8s  %s", "TENANT", "LIMIT", "ADMITTED", "BOUND", "DENIED",
        "CLUSTERS", "ADMITTED / BOUND"));
    for (Demo.Tenant t : tenants) {
      long admitted = t.admitted.sum();
      boolean first = true;
      // one row per limit: a tenant on a quota has each limit's bound on a row of its own, under its name
      for (Map.Entry<String, Long> entry : t.bounds(elapsed).entrySet()) {
        long bound = entry.getValue();
        io.github.ratelimiter.Limit limit = t.quota.limit(entry.getKey());
        String bar = bar(bound == 0 ? 0 : (double) admitted / bound, barWidth);
        long percent = bound == 0 ? 0 : Math.round(100.0 * admitted / bound);
        String rate = limit.limit() + "/" + Durations.human(limit.window());
        lines.add(first
            ? String.format("%-8s %-7s %8d %8d %7d %5d/%-2d  %s %3d%%", t.name(), rate, admitted, bound,
                t.denied.sum(), tokens.getOrDefault(t.name(), 0), t.cap, bar, percent)
            : String.format("%-8s %-7s %8s %8d %7s %8s  %s %3d%%", "", rate, "", bound, "", "", bar, percent));
        first = false;
      }
    }
    lines.add("");
    for (Demo.Tenant t : tenants) {
      lines.add(String.format("%-8s %s", t.name(), t.description()));
    }
    return lines.stream().map(this::fit).toList();
  }

  private String fit(String line) {
    return line.length() < width ? line : line.substring(0, width - 1);
  }

  void finish() {
    out.println();
    out.flush();
  }

  private static String bar(double fraction, int width) {
    int inner = width - 2;
    int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * inner);
    return "[" + "#".repeat(filled) + "-".repeat(inner - filled) + "]";
  }
}
