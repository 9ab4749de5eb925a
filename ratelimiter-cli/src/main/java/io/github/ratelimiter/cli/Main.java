package io.github.ratelimiter.cli;

/**
 * The {@code ratelimiter} command: {@code java -jar ratelimiter.jar --help}, or {@code ./ratelimiter} from the
 * repository. See {@code docs/cli.md} for the commands, options and exit codes.
 */
public final class Main {

  private Main() {}

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(RateLimiterCli.commandLine(System.getenv(), System.console() != null).execute(args));
  }
}
