package io.github.ratelimiter.cli;

import io.github.ratelimiter.Quota;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The {@code --default-limit} and {@code --default-window} options of the commands that decide against an account's
 * quota ({@code acquire}, {@code charge}): the default quota for an account without a limit row. A picocli mixin,
 * so that the options, their help and their checks are written once.
 */
final class DefaultQuotaOption {

  @Option(names = "--default-limit", paramLabel = "N|NAME=N/WINDOW",
      description = {"The default quota, for an account without a row: N with --default-window, or named limits",
          "with their own windows, repeated, e.g. --default-limit requests=60/1m --default-limit tokens=100000/1m"})
  List<String> defaultLimits;

  @Option(names = "--default-window", paramLabel = "DURATION", converter = Durations.class,
      description = "Window of --default-limit N, e.g. 1s, 500ms, 1m")
  Duration defaultWindow;

  /**
   * The default quota given, or {@code null} when none is.
   *
   * @throws IllegalArgumentException if a window is given without a limit, or a limit cannot be read
   */
  Quota quota() {
    if (defaultWindow != null && defaultLimits == null) {
      throw new IllegalArgumentException("--default-limit and --default-window go together");
    }
    return defaultLimits == null ? null
        : LimitSpecs.quota("--default-limit", defaultLimits, defaultWindow, "--default-window");
  }
}
