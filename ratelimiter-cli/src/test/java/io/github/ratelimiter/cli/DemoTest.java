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
    assertThat(summary.get("tenants")).hasSize(5).allSatisfy(t -> {
      assertThat(t.get("admitted").asLong()).isPositive().isLessThanOrEqualTo(t.get("bound").asLong());
      assertThat(t.get("limits")).isNotEmpty().allSatisfy(limit ->
          assertThat(t.get("admitted").asLong()).isLessThanOrEqualTo(limit.get("bound").asLong()));
      assertThat(t.get("maxClustersHeld").asLong()).isLessThanOrEqualTo(t.get("clusterCap").asLong());
    });
    JsonNode quota = summary.get("tenants").get(4);
    assertThat(quota.get("tenant").asText()).isEqualTo("hooli");
    assertThat(quota.get("resource").asText()).isEqualTo("search-api");
    assertThat(quota.get("limits")).hasSize(2);
    assertThat(quota.get("limits").get(0).get("name").asText()).isEqualTo("per-second");
    assertThat(quota.get("limits").get(0).get("limit").asLong()).isEqualTo(20);
    assertThat(quota.get("limits").get(1).get("name").asText()).isEqualTo("per-minute");
    assertThat(quota.get("limits").get(1).get("limit").asLong()).isEqualTo(200);
    assertThat(quota.get("bound").asLong()).as("the tightest bound")
        .isEqualTo(Math.min(quota.get("limits").get(0).get("bound").asLong(),
            quota.get("limits").get(1).get("bound").asLong()));
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
        .contains("search-api (fungible, a quota of limits decided together)")
        .containsPattern("hooli +per-second: 20/1s +\\d+ +\\d+ +\\d+ +\\d+ ")
        .containsPattern("hooli +per-minute: 200/1m +\\d+ +\\d+ +\\d+ +\\d+ ")
        .contains("every tenant stayed within its bound and its cap").contains("chart: " + chart.toAbsolutePath());
    String summary = result.out().substring(result.out().indexOf("orders-api (fungible)"));
    assertThat(summary.lines()).as("the summary fits 80 columns").allSatisfy(line ->
        assertThat(line.length()).isLessThanOrEqualTo(80));
    assertThat(chart).isRegularFile();
  }
}
