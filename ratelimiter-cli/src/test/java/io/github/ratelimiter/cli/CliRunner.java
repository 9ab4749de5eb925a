package io.github.ratelimiter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;

/** Runs the command line as {@link Main} does, with the given environment and captured output. */
final class CliRunner {
  private final Map<String, String> environment;

  CliRunner(Map<String, String> environment) {
    this.environment = environment;
  }

  Result run(String... args) {
    CommandLine commandLine = RateLimiterCli.commandLine(environment, false);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  record Result(int exit, String out, String err) {
    JsonNode json() {
      try {
        return Output.JSON.readTree(out);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
      }
    }

    @Override
    public String toString() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }
}
