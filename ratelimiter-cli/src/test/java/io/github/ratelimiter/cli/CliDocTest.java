package io.github.ratelimiter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/cli.md and the tool agree: every {@code $ ./ratelimiter ...} line of the page's code blocks runs, in the
 * page's order, against dynalite, and the first line it prints (standard output, else standard error) is the first
 * line the page shows below it. A code block after {@code <!-- doc-test: file NAME -->} is the file NAME the
 * commands read; one after {@code <!-- doc-test: skip REASON -->} is shown and not run (the demo).
 *
 * <p>The page's base name {@code prod} becomes a unique one, so the test only touches tables it created, whatever
 * {@code DYNAMODB_ENDPOINT} points at; outputs are compared with runs of spaces as one (columns widen with names).
 * The whole session's output is in {@code target/surefire-reports/io.github.ratelimiter.cli.CliDocTest-output.txt}.
 */
class CliDocTest {
  @RegisterExtension static final LocalDynamoDb DYNAMO = new LocalDynamoDb();

  private static final String PAGE_BASE_NAME = "prod";
  private static final Pattern MARKER = Pattern.compile("<!-- doc-test: (file|skip) (.+?) -->");
  private static final Pattern COMMENT = Pattern.compile("\\s+#\\s.*$");

  @TempDir static Path dir;

  /** One {@code $} line of the page and the lines shown below it. */
  record Example(int line, String command, List<String> shown) {}

  /** What the page holds: its examples in order, the files they read, the commands shown and not run. */
  record Page(List<Example> examples, Map<String, String> files, List<String> skipped, List<String> unmarked) {

    static Page read(Path path) throws IOException {
      List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
      List<Example> examples = new ArrayList<>();
      Map<String, String> files = new LinkedHashMap<>();
      List<String> skipped = new ArrayList<>();
      List<String> unmarked = new ArrayList<>();
      String marker = null;
      String markerValue = null;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        Matcher m = MARKER.matcher(line.trim());
        if (m.matches()) {
          marker = m.group(1);
          markerValue = m.group(2);
          continue;
        }
        if (!line.startsWith("```")) {
          if (!line.isBlank()) {
            marker = null;
          }
          continue;
        }
        List<String> block = new ArrayList<>();
        int start = i + 1;
        for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
          block.add(lines.get(i));
        }
        if ("file".equals(marker)) {
          files.put(markerValue, String.join("\n", block) + "\n");
        } else {
          for (int b = 0; b < block.size(); b++) {
            String text = block.get(b);
            if (text.startsWith("./ratelimiter") || text.startsWith("ratelimiter ")) {
              unmarked.add("line " + (start + b + 1) + ": " + text);
            } else if (text.startsWith("$ ") && "skip".equals(marker)) {
              skipped.add(text);
            } else if (text.startsWith("$ ")) {
              List<String> shown = new ArrayList<>();
              while (b + 1 < block.size() && !block.get(b + 1).startsWith("$ ")) {
                shown.add(block.get(++b));
              }
              examples.add(new Example(start + examples.size(), text.substring(2), shown));
            }
          }
        }
        marker = null;
      }
      return new Page(examples, files, skipped, unmarked);
    }
  }

  private static Path page() {
    Path fromModule = Path.of(System.getProperty("basedir", "."), "..", "docs", "cli.md");
    return Files.exists(fromModule) ? fromModule : Path.of("docs", "cli.md");
  }

  @Test
  void everyCommandOnThePageIsRunOrMarkedSkippedWithAReason() throws IOException {
    Page page = Page.read(page());
    assertThat(page.unmarked()).as("commands shown without '$ ', so neither run nor marked skipped").isEmpty();
    assertThat(page.examples()).as("the page's session").hasSizeGreaterThanOrEqualTo(20)
        .allSatisfy(e -> assertThat(e.shown()).as("what '%s' prints", e.command()).isNotEmpty());
    assertThat(page.files()).containsKeys("limits.yaml", "limits.json", "bad-limits.json");
    List<String> run = page.examples().stream().map(e -> withoutComment(e.command())).toList();
    assertThat(page.skipped()).as("only the demo and the service (which run until stopped; DemoTest and "
        + "ServeCommandTest run them) are skipped, or a command run elsewhere on the page")
        .allSatisfy(c -> assertThat(c.contains(" demo") || c.contains(" serve")
            || run.contains(withoutComment(c.substring(2)))).as(c).isTrue());
  }

  @TestFactory
  Stream<DynamicTest> everyCommandPrintsWhatThePageShows() throws IOException {
    Page page = Page.read(page());
    for (Map.Entry<String, String> file : page.files().entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
    }
    String base = LocalDynamoDb.uniqueName("doc");
    CliRunner cli = new CliRunner(Map.of("DYNAMODB_ENDPOINT", DYNAMO.endpoint().toString(),
        "LIMITER_TABLES_BASE_NAME", base));
    return page.examples().stream().map(example -> DynamicTest.dynamicTest(example.command(), () -> {
      CliRunner.Result result = cli.run(arguments(example.command(), base, page.files()));
      // The whole session, to update the page from: target/surefire-reports/...CliDocTest-output.txt
      System.out.printf("$ %s%n%s%s%n", example.command(), result.out(), result.err());
      String printed = result.out().isEmpty() ? result.err() : result.out();
      String first = printed.lines().findFirst().orElse("")
          .replace(dir.toString() + dir.getFileSystem().getSeparator(), "").replace(base, PAGE_BASE_NAME);
      assertThat(normalized(first)).as("the first line of '%s' (docs/cli.md shows it); it printed:%n%s",
          example.command(), result).isEqualTo(normalized(example.shown().get(0)));
    }));
  }

  /** The command's arguments: the page's base name made unique, the page's files in the test's directory. */
  private static String[] arguments(String command, String base, Map<String, String> files) {
    String[] words = withoutComment(command).split("\\s+");
    assertThat(words[0]).as("a command of the page").isEqualTo("./ratelimiter");
    String[] args = Arrays.copyOfRange(words, 1, words.length);
    for (int i = 0; i < args.length; i++) {
      if (i > 0 && args[i - 1].equals("--base-name") && args[i].equals(PAGE_BASE_NAME)) {
        args[i] = base;
      } else if (files.containsKey(args[i])) {
        args[i] = dir.resolve(args[i]).toString();
      }
    }
    return args;
  }

  private static String withoutComment(String command) {
    return COMMENT.matcher(command).replaceFirst("").trim();
  }

  private static String normalized(String line) {
    return line.trim().replaceAll("\\s+", " ");
  }
}
