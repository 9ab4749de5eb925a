package io.github.ratelimiter.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.ToLongFunction;
import javax.imageio.ImageIO;

/**
 * The demo's chart, one panel per tenant: above, cumulative admitted calls on the fungible API against the bound
 * {@code limit + floor(t * limit / window)} (for the tenant on a quota, each limit's bound, labelled with its name;
 * the admitted line stays under both); below, the tenant's live clusters (reservations and tokens in the
 * store) against its non-fungible cap. Each y-axis is scaled to its data with round ticks; the bound and the cap
 * are drawn over the measured lines, so they stay visible where those reach them. Drawn headless with java.awt.
 */
final class DemoChart {

  private static final int PANEL_W = 560;
  private static final int PANEL_H = 430;
  private static final int MARGIN_L = 64;
  private static final int MARGIN_R = 20;
  private static final int HEADER = 50;
  private static final int API_H = 220;
  private static final int GAP = 48;
  private static final int CAP_H = 80;
  private static final Color BOUND = new Color(0x222222);
  /** The other limits' bounds of a quota: lighter, with a longer dash. */
  private static final Color OTHER_BOUND = new Color(0x777777);
  private static final Stroke OTHER_LIMIT_LINE = new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND,
      10f, new float[] {12f, 5f}, 0f);
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)};
  private static final Stroke MEASURED = new BasicStroke(3.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  private static final Stroke LIMIT_LINE = new BasicStroke(1.3f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
      new float[] {6f, 4f}, 0f);

  private DemoChart() {}

  /** Writes the chart and returns its absolute path. */
  static Path write(Path path, List<Demo.Tenant> tenants, Duration elapsed) {
    int columns = Math.min(2, tenants.size());
    int rows = (tenants.size() + columns - 1) / columns;
    BufferedImage image = new BufferedImage(columns * PANEL_W, rows * PANEL_H + 34, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      String quotas = String.join(", ", tenants.stream().filter(Demo.Tenant::onQuota)
          .map(t -> t.name() + " on " + t.resource() + ", " + t.quota.size() + " limits").toList());
      g.drawString("Per tenant: calls admitted on " + Demo.API + (quotas.isEmpty() ? "" : " (" + quotas + ")")
          + " vs the exact bound, and live " + Demo.CLUSTERS + " tokens vs the cap", 12, 22);
      for (int i = 0; i < tenants.size(); i++) {
        panel(g, tenants.get(i), COLORS[i % COLORS.length], (i % columns) * PANEL_W, 34 + (i / columns) * PANEL_H,
            elapsed);
      }
    } finally {
      g.dispose();
    }
    Path target = path.toAbsolutePath();
    try {
      if (target.getParent() != null) {
        Files.createDirectories(target.getParent());
      }
      if (!ImageIO.write(image, "png", target.toFile())) {
        throw new IllegalStateException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the chart to " + target + ": " + e.getMessage(), e);
    }
    return target;
  }

  private static void panel(Graphics2D g, Demo.Tenant tenant, Color color, int x0, int y0, Duration elapsed) {
    int left = x0 + MARGIN_L;
    int right = x0 + PANEL_W - MARGIN_R;
    double seconds = Math.max(1, elapsed.toMillis()) / 1000.0;

    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(tenant.name() + (tenant.onQuota() ? " on " + tenant.resource() : "") + ": " + tenant.limits()
        + ", cap " + tenant.cap, left, y0 + 18);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.drawString("admitted " + tenant.admitted.sum() + " of " + tenant.bound(elapsed) + " allowed, "
        + tenant.denied.sum() + " denied; at most " + tenant.maxHeld.get() + " of " + tenant.cap + " clusters live",
        left, y0 + 34);

    // the fungible API: admitted vs bound
    int apiTop = y0 + HEADER;
    int apiBottom = apiTop + API_H;
    long maxCalls = 1;
    for (long[] s : tenant.samples) {
      maxCalls = Math.max(maxCalls, Math.max(s[1], s[2]));
      for (int i = 4; i < s.length; i++) {
        maxCalls = Math.max(maxCalls, s[i]);
      }
    }
    long[] callTicks = ticks(maxCalls);
    axes(g, left, right, apiTop, apiBottom, callTicks, "calls");
    plot(g, tenant, s -> s[1], seconds, left, right, apiTop, apiBottom, callTicks, color, MEASURED);
    plot(g, tenant, s -> s[2], seconds, left, right, apiTop, apiBottom, callTicks, BOUND, LIMIT_LINE);
    List<String> names = tenant.quota.names();
    for (int i = 1; i < names.size(); i++) {
      int column = 3 + i;
      plot(g, tenant, s -> s[column], seconds, left, right, apiTop, apiBottom, callTicks, OTHER_BOUND,
          OTHER_LIMIT_LINE);
    }
    if (names.size() > 1 && !tenant.samples.isEmpty()) {
      // each bound labelled with its limit's name where it ends
      long[] last = tenant.samples.get(tenant.samples.size() - 1);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int i = 0; i < names.size(); i++) {
        long value = i == 0 ? last[2] : last[3 + i];
        String label = names.get(i) + " " + String.format("%,d", value);
        int y = (int) Math.round(y(value, callTicks, apiTop, apiBottom));
        g.setColor(i == 0 ? BOUND : OTHER_BOUND);
        g.drawString(label, right - g.getFontMetrics().stringWidth(label) - 2, y + (i == 0 ? 14 : -5));
      }
    }
    legend(g, left + 10, apiTop + 4, color, "admitted", names.size() > 1
        ? "bounds: " + String.join(", ", names) + ", each limit + floor(t x limit / window)"
        : "bound = limit + floor(t x limit / window)");

    // the non-fungible cap: live tokens vs cap
    int capTop = apiBottom + GAP;
    int capBottom = capTop + CAP_H;
    long maxLive = tenant.cap;
    for (long[] s : tenant.samples) {
      maxLive = Math.max(maxLive, s[3]);
    }
    long[] liveTicks = ticks(Math.max(1, maxLive));
    axes(g, left, right, capTop, capBottom, liveTicks, "live");
    plot(g, tenant, s -> s[3], seconds, left, right, capTop, capBottom, liveTicks, color, MEASURED);
    g.setColor(BOUND);
    g.setStroke(LIMIT_LINE);
    int capY = (int) Math.round(y(tenant.cap, liveTicks, capTop, capBottom));
    g.drawLine(left, capY, right, capY);
    legend(g, left + 10, capTop - 20, color, "live clusters (reservations and tokens)", "cap");
    timeAxis(g, left, right, capBottom, seconds);
  }

  /** Round ticks from 0 past {@code max}: steps of 1, 2 or 5 times a power of ten, four or five of them. */
  static long[] ticks(long max) {
    long step = 1;
    while (true) {
      for (long m : new long[] {1, 2, 5}) {
        long candidate = step * m;
        long count = (max + candidate - 1) / candidate;
        if (count <= 5) {
          long[] ticks = new long[(int) Math.max(1, count) + 1];
          for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i * candidate;
          }
          return ticks;
        }
      }
      step *= 10;
    }
  }

  private static void axes(Graphics2D g, int left, int right, int top, int bottom, long[] ticks, String unit) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setStroke(new BasicStroke(1f));
    for (long tick : ticks) {
      int y = (int) Math.round(y(tick, ticks, top, bottom));
      g.setColor(new Color(0xe4e4e4));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      String label = String.format("%,d", tick);
      g.drawString(label, left - 6 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    g.setColor(Color.BLACK);
    g.drawLine(left, bottom, right, bottom);
    g.drawLine(left, top, left, bottom);
    g.drawString(unit, left - 6 - g.getFontMetrics().stringWidth(unit), top - 8);
  }

  private static void timeAxis(Graphics2D g, int left, int right, int bottom, double seconds) {
    long[] ticks = ticks((long) Math.ceil(seconds));
    g.setColor(Color.DARK_GRAY);
    for (long tick : ticks) {
      if (tick > seconds + 1e-9) {
        break;
      }
      int x = left + (int) Math.round((right - left) * tick / seconds);
      String label = tick + "s";
      g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, bottom + 15);
    }
    g.drawString("time", right - g.getFontMetrics().stringWidth("time"), bottom + 30);
  }

  private static void plot(Graphics2D g, Demo.Tenant tenant, ToLongFunction<long[]> value, double seconds, int left,
      int right, int top, int bottom, long[] ticks, Color color, Stroke stroke) {
    Path2D line = new Path2D.Double();
    boolean first = true;
    for (long[] s : tenant.samples) {
      double x = left + (right - left) * Math.min(1.0, s[0] / 1000.0 / seconds);
      double y = y(value.applyAsLong(s), ticks, top, bottom);
      if (first) {
        line.moveTo(x, y);
        first = false;
      } else {
        line.lineTo(x, y);
      }
    }
    g.setColor(color);
    g.setStroke(stroke);
    g.draw(line);
  }

  private static void legend(Graphics2D g, int x, int top, Color color, String measured, String limit) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    int measuredWidth = g.getFontMetrics().stringWidth(measured);
    int y = top + 10;
    g.setColor(color);
    g.setStroke(MEASURED);
    g.drawLine(x, y - 4, x + 22, y - 4);
    g.setColor(Color.BLACK);
    g.drawString(measured, x + 28, y);
    x += 28 + measuredWidth + 14;
    g.setColor(BOUND);
    g.setStroke(LIMIT_LINE);
    g.drawLine(x, y - 4, x + 22, y - 4);
    g.setColor(Color.BLACK);
    g.drawString(limit, x + 28, y);
  }

  private static double y(long value, long[] ticks, int top, int bottom) {
    return bottom - (bottom - top) * (double) value / ticks[ticks.length - 1];
  }
}
