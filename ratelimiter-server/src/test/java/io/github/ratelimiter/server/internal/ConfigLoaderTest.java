package io.github.ratelimiter.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.RateLimit.Unit;
import io.github.ratelimiter.Limit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The YAML loader: envoyproxy/ratelimit's format and refusals, with file, line and field; and matching. */
class ConfigLoaderTest {

  @TempDir Path dir;

  private Path write(String name, String yaml) throws IOException {
    return Files.writeString(dir.resolve(name), yaml);
  }

  private RateLimitConfig load(String yaml) throws IOException {
    return ConfigLoader.load(write("config.yaml", yaml));
  }

  private List<ConfigException.Problem> problems(String yaml) throws IOException {
    Path file = write("bad.yaml", yaml);
    try {
      ConfigLoader.load(file);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  static RateLimitDescriptor descriptor(String... keyValues) {
    RateLimitDescriptor.Builder builder = RateLimitDescriptor.newBuilder();
    for (int i = 0; i < keyValues.length; i += 2) {
      builder.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(keyValues[i]).setValue(keyValues[i + 1]));
    }
    return builder.build();
  }

  @Test
  void readsNestedDescriptorsWithEveryUnit() throws IOException {
    RateLimitConfig config = load("""
        domain: d
        descriptors:
          - key: a
            value: x
            descriptors:
              - key: b
                rate_limit: {unit: week, requests_per_unit: 7, name: weekly}
          - key: m
            rate_limit: {unit: month, requests_per_unit: 30}
          - key: y
            rate_limit: {unit: YEAR, requests_per_unit: 365}
        """);
    RateLimitConfig.Match match = config.match("d", descriptor("a", "x", "b", "1"));
    assertThat(match.rule().fullKey()).isEqualTo("d.a_x.b");
    assertThat(match.account()).isEqualTo("a_x.b_1");
    assertThat(match.rule().limits()).containsExactly(new LimitSpec("weekly", 7, Unit.WEEK));
    assertThat(match.rule().limits().get(0).limit()).isEqualTo(Limit.of(7, Duration.ofDays(7)));
    assertThat(config.match("d", descriptor("m", "")).rule().limits().get(0).limit())
        .isEqualTo(Limit.of(30, Duration.ofDays(30)));
    assertThat(config.match("d", descriptor("y", "v")).rule().limits().get(0).limit())
        .isEqualTo(Limit.of(365, Duration.ofDays(365)));
  }

  @Test
  void theMostSpecificMatchWinsAndDepthMustBeEqual() throws IOException {
    RateLimitConfig config = load("""
        domain: edge
        descriptors:
          - key: remote_address
            rate_limit: {unit: second, requests_per_unit: 10}
          - key: remote_address
            value: 50.0.0.5
            rate_limit: {unit: second, requests_per_unit: 0}
          - key: path
            value: /api/*/action
            rate_limit: {unit: minute, requests_per_unit: 20}
          - key: path
            rate_limit: {unit: minute, requests_per_unit: 5}
        """);
    assertThat(config.match("edge", descriptor("remote_address", "50.0.0.1")).rule().fullKey())
        .isEqualTo("edge.remote_address");
    assertThat(config.match("edge", descriptor("remote_address", "50.0.0.5")).rule().fullKey())
        .isEqualTo("edge.remote_address_50.0.0.5");
    assertThat(config.match("edge", descriptor("path", "/api/7/action")).rule().fullKey())
        .isEqualTo("edge.path_/api/*/action");
    assertThat(config.match("edge", descriptor("path", "/api/7/other")).rule().fullKey()).isEqualTo("edge.path");
    assertThat(config.match("edge", descriptor("remote_address", "1", "x", "y"))).isNull();
    assertThat(config.match("edge", descriptor("other", "1"))).isNull();
    assertThat(config.match("unknown-domain", descriptor("path", "1"))).isNull();
  }

  @Test
  void wildcardsMatchAnywhereInTheValue() {
    String[] parts = "k_/api/*/resource/*/action".split("\\*", -1);
    assertThat(ConfigNode.wildcardMatch(parts, "k_/api/v1/resource/123/action")).isTrue();
    assertThat(ConfigNode.wildcardMatch(parts, "k_/api/v1/resource/123/other")).isFalse();
    assertThat(ConfigNode.wildcardMatch("k_value*".split("\\*", -1), "k_value")).isTrue();
    assertThat(ConfigNode.wildcardMatch("k_value*".split("\\*", -1), "k_valu")).isFalse();
    assertThat(ConfigNode.wildcardMatch("k_a*a".split("\\*", -1), "k_a")).isFalse();
  }

  @Test
  void sharedWildcardsShareOneBucket() throws IOException {
    RateLimitConfig config = load("""
        domain: files
        descriptors:
          - key: files
            value: files/*
            share_threshold: true
            rate_limit: {unit: hour, requests_per_unit: 10}
          - key: own
            value: own/*
            rate_limit: {unit: hour, requests_per_unit: 10}
        """);
    assertThat(config.match("files", descriptor("files", "files/a.pdf")).account())
        .isEqualTo(config.match("files", descriptor("files", "files/b.csv")).account())
        .isEqualTo("files_files/*");
    assertThat(config.match("files", descriptor("own", "own/a")).account()).isEqualTo("own_own/a");
  }

  @Test
  void yaml11BooleansAreReadAsEnvoyproxyRatelimitReadsThem() throws IOException {
    RateLimitConfig config = load("""
        domain: d
        descriptors:
          - key: a
            shadow_mode: yes
            rate_limit: {unit: second, requests_per_unit: 1}
          - key: b
            shadow_mode: off
            rate_limit: {unlimited: on}
        """);
    assertThat(config.match("d", descriptor("a", "1")).rule().shadowMode()).isTrue();
    assertThat(config.match("d", descriptor("b", "1")).rule().shadowMode()).isFalse();
    assertThat(config.match("d", descriptor("b", "1")).rule().unlimited()).isTrue();
    assertThat(problems("domain: d\ndescriptors:\n  - key: a\n    shadow_mode: maybe\n"))
        .extracting(ConfigException.Problem::message).containsExactly("must be true or false: 'maybe'");
  }

  @Test
  void severalRateLimitsOnOneDescriptor() throws IOException {
    RateLimitConfig config = load("""
        domain: api
        descriptors:
          - key: user
            rate_limits:
              - {unit: second, requests_per_unit: 10}
              - {unit: hour, requests_per_unit: 1000, name: hourly}
        """);
    assertThat(config.match("api", descriptor("user", "u1")).rule().limits()).containsExactly(
        new LimitSpec("", 10, Unit.SECOND), new LimitSpec("hourly", 1000, Unit.HOUR));
  }

  @Test
  void everyProblemIsReportedWithItsFileLineAndField() throws IOException {
    List<ConfigException.Problem> problems = problems("""
        domain: d
        descriptors:
          - key: a
            rate_limit:
              unit: minutes
              requests_per_unit: 5
          - key: b
            rate_limit: {unit: second, requests_per_unit: "5"}
          - value: no-key
          - key: c
            colour: red
            rate_limit: {unlimited: true, unit: second}
          - key: e
            rate_limit:
              requests_per_unit: 1
              unit: second
              replaces:
                - name: ""
          - key: f
            quota_mode: true
            rate_limit: {unit: second, requests_per_unit: -1}
          - key: g
            share_threshold: true
          - key: g
        """);
    String file = dir.resolve("bad.yaml").toString();
    assertThat(problems).extracting(ConfigException.Problem::toString).containsExactly(
        file + ":5: descriptors[0].rate_limit.unit: invalid rate limit unit 'minutes' (second, minute, hour, day,"
            + " week, month or year)",
        file + ":8: descriptors[1].rate_limit.requests_per_unit: must be a whole number from 0 to 4294967295: '5'",
        file + ":9: descriptors[2].key: descriptor has empty key",
        file + ":11: descriptors[3].colour: unknown key 'colour' (expected one of [descriptors, detailed_metric, key,"
            + " metadata, quota_mode, rate_limit, rate_limits, shadow_mode, share_threshold, value, value_to_metric])",
        file + ":12: descriptors[3].rate_limit.unit: should not specify rate limit unit when unlimited",
        file + ":18: descriptors[4].rate_limit.replaces[0].name: should not have an empty replaces entry",
        file + ":20: descriptors[5].quota_mode: quota_mode is not supported by this service (remove it, or set it"
            + " to false)",
        file + ":21: descriptors[5].rate_limit.requests_per_unit: must be a whole number from 0 to 4294967295: '-1'",
        file + ":23: descriptors[6].share_threshold: share_threshold can only be used with wildcard values"
            + " (containing '*'), but found key 'g'",
        file + ":24: descriptors[7].key: duplicate descriptor composite key 'd.g'");
  }

  @Test
  void refusesWhatEnvoyproxyRatelimitRefusesAtTheTop() throws IOException {
    assertThat(problems("descriptors: []\n")).extracting(ConfigException.Problem::toString)
        .containsExactly(dir.resolve("bad.yaml") + ":1: domain: config file cannot have empty domain");
    assertThat(problems("domain: d\nextra: 1\n")).extracting(ConfigException.Problem::message)
        .containsExactly("unknown key 'extra' (expected one of [descriptors, domain])");
    assertThat(problems("domain: d\ndescriptors:\n  - key: a\n    key: b\n")).extracting(ConfigException.Problem::line,
        ConfigException.Problem::message).containsExactly(org.assertj.core.groups.Tuple.tuple(4,
            "key 'key' appears twice in one mapping (first on line 3)"));
    assertThat(problems("domain: [unclosed\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("not valid YAML"));
    assertThat(problems("domain: d\ndescriptors:\n  - key: a\n    rate_limit: {unit: second, requests_per_unit: 1,"
        + " name: n, replaces: [{name: n}]}\n")).extracting(ConfigException.Problem::message)
        .containsExactly("replaces should not contain name of same descriptor");
  }

  @Test
  void aFolderIsItsYamlFilesAndADomainMayBeInOnlyOne() throws IOException {
    Files.createDirectories(dir.resolve("conf/..data"));
    Files.writeString(dir.resolve("conf/a.yaml"), "domain: one\n");
    Files.writeString(dir.resolve("conf/b.yml"), "domain: two\n");
    Files.writeString(dir.resolve("conf/readme.txt"), "not yaml: [");
    Files.writeString(dir.resolve("conf/.hidden.yaml"), "not yaml: [");
    RateLimitConfig config = ConfigLoader.load(dir.resolve("conf"));
    assertThat(config.domains).containsOnlyKeys("one", "two");

    Files.writeString(dir.resolve("conf/c.yaml"), "domain: one\n");
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("conf"))).isInstanceOf(ConfigException.class)
        .hasMessage(dir.resolve("conf/c.yaml") + ":1: domain: duplicate domain 'one' (also in "
            + dir.resolve("conf/a.yaml") + ")");
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml")))
        .hasMessage(dir.resolve("missing.yaml") + ":1: no such file or folder");
  }

  @Test
  void everyReadmeExampleOfEnvoyproxyRatelimitLoads() throws Exception {
    Path folder = Path.of(getClass().getResource("/envoy-readme").toURI());
    try (var files = Files.list(folder)) {
      List<Path> examples = files.sorted().toList();
      assertThat(examples).hasSize(16);
      for (Path example : examples) {
        assertThat(ConfigLoader.load(example).domains).as(example.toString()).hasSize(1);
      }
    }
  }
}
