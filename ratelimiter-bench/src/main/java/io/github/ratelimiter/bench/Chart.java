package io.github.ratelimiter.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** Draws grouped bar charts with java.awt (headless): one panel per figure, one bar per contender and scenario. */
final class Chart {

  /** One panel: values per scenario (outer key order) and contender; bars above {@code clip} are cut and labelled. */
  record Panel(String title, String unit, List<String> scenarios, Map<String, Map<String, Double>> values,
      double clip) {}

  static final List<String> CONTENDERS = List.of("ratelimiter", "bucket4j", "floor", "ratelimiter-leased");
  static final List<Color> COLORS = List.of(new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x7f7f7f),
      new Color(0x2ca02c));

  private Chart() {}

  static void write(Path file, String title, List<Panel> panels) throws IOException {
    int width = 1200;
    int panelHeight = 380;
    int height = 70 + panels.size() * panelHeight;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString(title, 20, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    for (int c = 0; c < CONTENDERS.size(); c++) {
      int x = 20 + c * 160;
      g.setColor(COLORS.get(c));
      g.fillRect(x, 44, 14, 14);
      g.setColor(Color.BLACK);
      g.drawString(CONTENDERS.get(c), x + 20, 56);
    }
    for (int p = 0; p < panels.size(); p++) {
      draw(g, panels.get(p), 70 + p * panelHeight, width, panelHeight);
    }
    g.dispose();
    Files.createDirectories(file.toAbsolutePath().getParent());
    ImageIO.write(image, "png", file.toFile());
  }

  private static void draw(Graphics2D g, Panel panel, int top, int width, int height) {
    int left = 80;
    int right = width - 20;
    int plotTop = top + 40;
    int plotBottom = top + height - 60;
    double max = 0;
    boolean clipped = false;
    for (Map<String, Double> byContender : panel.values().values()) {
      for (double v : byContender.values()) {
        max = Math.max(max, Math.min(v, panel.clip()));
        clipped |= v > panel.clip();
      }
    }
    // A cut panel's axis ends at the cut, as its title says, so cut bars reach the top; whole-number ticks then.
    max = clipped ? panel.clip() : niceCeiling(max);
    int ticks = clipped && max == Math.rint(max) && max <= 10 ? (int) max : 5;
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(panel.title(), left, top + 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int i = 0; i <= ticks; i++) {
      double v = max * i / ticks;
      int y = plotBottom - (int) ((plotBottom - plotTop) * i / (double) ticks);
      g.setColor(new Color(0xdddddd));
      g.drawLine(left, y, right, y);
      g.setColor(Color.DARK_GRAY);
      String label = max >= 100 ? String.format("%,.0f", v) : String.format("%.1f", v);
      g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1));
    g.drawLine(left, plotBottom, right, plotBottom);
    g.drawString(panel.unit(), 10, plotTop - 10);
    int groups = panel.scenarios().size();
    double groupWidth = (right - left) / (double) groups;
    double barWidth = groupWidth * 0.8 / CONTENDERS.size();
    // scenario names go on two rows, alternately, when any is wider than its group: neighbours then never overlap
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    boolean stagger = false;
    for (String scenario : panel.scenarios()) {
      stagger |= g.getFontMetrics().stringWidth(scenario) > groupWidth - 4;
    }
    for (int s = 0; s < groups; s++) {
      String scenario = panel.scenarios().get(s);
      Map<String, Double> byContender = panel.values().getOrDefault(scenario, Map.of());
      double x0 = left + s * groupWidth + groupWidth * 0.1;
      for (int c = 0; c < CONTENDERS.size(); c++) {
        Double v = byContender.get(CONTENDERS.get(c));
        if (v == null) {
          continue;
        }
        double shown = Math.min(v, panel.clip());
        int h = (int) Math.round((plotBottom - plotTop) * shown / max);
        int x = (int) (x0 + c * barWidth);
        g.setColor(COLORS.get(c));
        g.fillRect(x, plotBottom - h, (int) barWidth - 2, h);
        g.setColor(Color.BLACK);
        String label = v >= 100 ? String.format("%,.0f", v) : String.format("%.2f", v);
        if (v > panel.clip()) {
          label = label + " (cut)";
        }
        // upright along the bar, so that the labels of neighbouring narrow bars do not run into each other; inside
        // the bar (in white) when it would reach past the plot's top
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        int textWidth = g.getFontMetrics().stringWidth(label);
        boolean inside = plotBottom - h - 4 - textWidth < plotTop - 12;
        Graphics2D upright = (Graphics2D) g.create();
        upright.translate(x + (int) barWidth / 2 + 3, inside ? plotBottom - h + 4 + textWidth : plotBottom - h - 4);
        upright.rotate(-Math.PI / 2);
        upright.setColor(inside ? Color.WHITE : Color.BLACK);
        upright.drawString(label, 0, 0);
        upright.dispose();
      }
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      int labelWidth = g.getFontMetrics().stringWidth(scenario);
      int labelX = Math.min((int) (left + s * groupWidth + (groupWidth - labelWidth) / 2), width - 4 - labelWidth);
      g.drawString(scenario, labelX, plotBottom + 18 + (stagger ? 15 * (s % 2) : 0));
    }
  }

  private static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= v * 1.1) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }
}
