package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo runs headless for a short while, keeps every tenant within its bound and cap, and draws its chart. */
class DemoTest {

  @TempDir Path dir;

  @Test
  void theDemoStartsItsOwnServerStaysWithinBoundsAndWritesAPngChart() throws Exception {
    Path chart = dir.resolve("charts/demo.png");

    CliRunner.Result result = new CliRunner(Map.of()).run("demo", "--duration", "2s", "--chart", chart.toString(),
        "--json");

    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(result.err()).contains("dynalite").contains("LimitLoader").contains("8 created");
    JsonNode summary = result.json();
    assertThat(summary.get("withinBounds").asBoolean()).isTrue();
    assertThat(summary.get("withinCaps").asBoolean()).isTrue();
    assertThat(summary.get("tenants")).hasSize(4).allSatisfy(t -> {
      assertThat(t.get("admitted").asLong()).isPositive().isLessThanOrEqualTo(t.get("bound").asLong());
      assertThat(t.get("maxClustersHeld").asLong()).isLessThanOrEqualTo(t.get("clusterCap").asLong());
    });
    assertThat(summary.get("requests").get("UpdateItem").asLong()).isPositive();
    assertThat(summary.get("chart").asText()).isEqualTo(chart.toAbsolutePath().toString());
    BufferedImage image = ImageIO.read(chart.toFile());
    assertThat(image).isNotNull();
    assertThat(image.getWidth()).isGreaterThan(500);
  }

  @Test
  void theInMemoryDemoPrintsASummaryTable() {
    Path chart = dir.resolve("memory.png");

    CliRunner.Result result = new CliRunner(Map.of()).run("demo", "--in-memory", "--duration", "1s", "--chart",
        chart.toString());

    assertThat(result.exit()).as(result.toString()).isZero();
    assertThat(result.out()).contains("store: in-memory").contains("TENANT").contains("acme").contains("BOUND")
        .contains("every tenant stayed within its bound and its cap").contains("chart: " + chart.toAbsolutePath());
    assertThat(chart).isRegularFile();
  }
}
