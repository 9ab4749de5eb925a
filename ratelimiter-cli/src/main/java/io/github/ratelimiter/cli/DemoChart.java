package io.github.ratelimiter.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The demo's chart: one panel per tenant, cumulative admitted calls (solid) against the most the limit allows
 * (dashed), over time. Drawn headless with java.awt into a PNG.
 */
final class DemoChart {

  private static final int PANEL_W = 520;
  private static final int PANEL_H = 300;
  private static final int MARGIN_L = 70;
  private static final int MARGIN_R = 20;
  private static final int MARGIN_T = 40;
  private static final int MARGIN_B = 45;
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b)};

  private DemoChart() {}

  /** Writes the chart and returns its absolute path. */
  static Path write(Path path, List<Demo.Tenant> tenants, Duration elapsed) {
    int columns = Math.min(2, tenants.size());
    int rows = (tenants.size() + columns - 1) / columns;
    BufferedImage image = new BufferedImage(columns * PANEL_W, rows * PANEL_H + 30, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.drawString("orders-api: admitted (solid) vs allowed = limit + floor(t * limit / window) (dashed)", 12, 21);
      for (int i = 0; i < tenants.size(); i++) {
        panel(g, tenants.get(i), COLORS[i % COLORS.length], (i % columns) * PANEL_W, 30 + (i / columns) * PANEL_H,
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
    int top = y0 + MARGIN_T;
    int bottom = y0 + PANEL_H - MARGIN_B;
    double maxT = Math.max(1, elapsed.toMillis()) / 1000.0;
    long maxY = Math.max(1, tenant.bound(elapsed));
    for (long[] s : tenant.samples) {
      maxY = Math.max(maxY, Math.max(s[1], s[2]));
    }
    maxY = niceCeiling(maxY);

    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(tenant.name() + "  (" + tenant.limit.limit() + " per " + Durations.human(tenant.limit.window())
        + ", admitted " + tenant.admitted.sum() + " of " + tenant.bound(elapsed) + " allowed)", left, top - 12);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setStroke(new BasicStroke(1f));
    for (int i = 0; i <= 4; i++) {
      int y = bottom - (bottom - top) * i / 4;
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      String label = Long.toString(maxY * i / 4);
      g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    int ticks = (int) Math.min(10, Math.max(1, Math.floor(maxT)));
    for (int i = 0; i <= ticks; i++) {
      int x = left + (int) ((right - left) * (double) i / ticks);
      String label = String.format("%.0fs", maxT * i / ticks);
      g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, bottom + 16);
    }
    g.setColor(Color.BLACK);
    g.drawLine(left, bottom, right, bottom);
    g.drawLine(left, top, left, bottom);
    g.drawString("time", (left + right) / 2 - 10, bottom + 32);

    Path2D admitted = new Path2D.Double();
    Path2D allowed = new Path2D.Double();
    admitted.moveTo(left, bottom);
    allowed.moveTo(left, y(tenant.limit.limit(), maxY, top, bottom));
    for (long[] s : tenant.samples) {
      double x = left + (right - left) * Math.min(1.0, s[0] / 1000.0 / maxT);
      admitted.lineTo(x, y(s[1], maxY, top, bottom));
      allowed.lineTo(x, y(s[2], maxY, top, bottom));
    }
    g.setColor(color.darker());
    g.setStroke(new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 5f}, 0f));
    g.draw(allowed);
    g.setColor(color);
    g.setStroke(new BasicStroke(2.4f));
    g.draw(admitted);
  }

  private static double y(long value, long maxY, int top, int bottom) {
    return bottom - (bottom - top) * (double) value / maxY;
  }

  private static long niceCeiling(long value) {
    long step = 1;
    while (step * 10 < value) {
      step *= 10;
    }
    for (long m : new long[] {1, 2, 4, 5, 8, 10}) {
      if (step * m >= value) {
        return step * m;
      }
    }
    return step * 10;
  }
}
