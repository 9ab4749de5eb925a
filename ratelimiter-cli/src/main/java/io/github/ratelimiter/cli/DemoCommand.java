package io.github.ratelimiter.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code demo}: the product working, out of the box. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Show the limiter at work: a multi-tenant workload with a live view, a summary and a chart.",
        "Runs against a local DynamoDB-compatible server (dynalite, started and stopped by the demo; the in-memory",
        "store when Node.js is missing) or against --endpoint. The summary checks each tenant's admitted calls",
        "against the exact bound limit + floor(elapsed * limit / window) and its live clusters against its cap.",
        "Exit 0 when every tenant stayed within its bound and cap, 1 otherwise."})
final class DemoCommand implements Callable<Integer> {

  @ParentCommand RateLimiterCli root;

  @Option(names = "--duration", defaultValue = "20s", converter = Durations.class, paramLabel = "DURATION",
      description = "How long the workload runs (default ${DEFAULT-VALUE}), e.g. 3s, 1m")
  Duration duration;

  @Option(names = "--chart", paramLabel = "PATH",
      description = "Where to write the PNG chart (default: ratelimiter-demo.png in the temp directory)")
  Path chart;

  @Option(names = "--in-memory", description = "Use the in-memory store instead of a DynamoDB server")
  boolean inMemory;

  @Option(names = "--plain", description = "Plain progress lines even on a terminal")
  boolean plain;

  @Override
  public Integer call() {
    if (duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("--duration must be positive and at most 1h: " + duration);
    }
    Path chartPath = (chart != null ? chart
        : Path.of(System.getProperty("java.io.tmpdir"), "ratelimiter-demo.png")).toAbsolutePath();
    // checked before the workload runs, not after it
    Path folder = chartPath.getParent();
    if (java.nio.file.Files.isDirectory(chartPath)) {
      throw new IllegalArgumentException("--chart is a directory, not a PNG file: " + chartPath);
    }
    try {
      java.nio.file.Files.createDirectories(folder);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("--chart: cannot create the directory " + folder + ": " + e, e);
    }
    if (!java.nio.file.Files.isWritable(folder)) {
      throw new IllegalArgumentException("--chart: cannot write in " + folder);
    }
    return new Demo(root, duration, chartPath, inMemory, root.interactive() && !plain).run();
  }
}
