/**
 * The {@code ratelimiter} command-line tool ({@code io.github.ratelimiter.cli}). It has no API: nothing is
 * exported. Its package is open to picocli, which reads and sets the commands' annotated fields by reflection. The
 * tool ships as a shaded jar run from the class path ({@code target/ratelimiter.jar}, without any module
 * descriptor, since it bundles many modules' packages); with this descriptor the plain jar also runs from a module
 * path: {@code java -p <jars> -m io.github.ratelimiter.cli/io.github.ratelimiter.cli.Main}.
 */
module io.github.ratelimiter.cli {
  requires io.github.ratelimiter.dynamodb;
  requires io.github.ratelimiter.local;
  requires io.github.ratelimiter.server;
  requires info.picocli;
  requires com.fasterxml.jackson.databind;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.services.dynamodb;
  requires java.desktop;

  opens io.github.ratelimiter.cli to info.picocli;
}
