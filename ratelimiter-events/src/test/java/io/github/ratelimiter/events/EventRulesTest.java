package io.github.ratelimiter.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventRulesTest {

  private static JsonNode json(String text) {
    try {
      return new ObjectMapper().readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode cluster(String state) {
    return json("{\"source\": \"aws.emr\", \"detail-type\": \"EMR Cluster State Change\","
        + " \"detail\": {\"clusterId\": \"j-1\", \"state\": \"" + state + "\"}}");
  }

  private static final String YAML = """
      processors:
        - source: aws.emr
          detailType: EMR Cluster State Change
          idPath: detail.clusterId
          when:
            - path: detail.state
              in: [TERMINATED, TERMINATED_WITH_ERRORS]
        - source: aws.ec2
          idPath: detail.instance-id
          when: {path: detail.state, equals: terminated}
      """;

  @Test
  void readsTheDocumentedYamlExample() {
    List<EventProcessor> processors = EventRules.parse(YAML);

    assertThat(processors).hasSize(2);
    EventProcessor emr = processors.get(0);
    assertThat(emr.source()).isEqualTo("aws.emr");
    assertThat(emr.detailType()).contains("EMR Cluster State Change");
    assertThat(emr.idPath()).isEqualTo("detail.clusterId");
    assertThat(emr.matches(cluster("TERMINATED"))).isTrue();
    assertThat(emr.matches(cluster("TERMINATED_WITH_ERRORS"))).isTrue();
    assertThat(emr.matches(cluster("RUNNING"))).isFalse();
    EventProcessor ec2 = processors.get(1);
    assertThat(ec2.detailType()).isEmpty();
    assertThat(ec2.matches(json("{\"detail\": {\"instance-id\": \"i-1\", \"state\": \"terminated\"}}"))).isTrue();
  }

  @Test
  void readsTheSameRulesAsJson() {
    List<EventProcessor> processors = EventRules.parse("""
        [{"source": "aws.emr", "detailType": "EMR Cluster State Change", "idPath": "detail.clusterId",
          "when": [{"path": "detail.state", "in": ["TERMINATED", "TERMINATED_WITH_ERRORS"]}]}]
        """);
    assertThat(processors).singleElement().satisfies(p -> {
      assertThat(p.matches(cluster("TERMINATED"))).isTrue();
      assertThat(p.matches(cluster("STARTING"))).isFalse();
    });
  }

  @Test
  void everyConditionWorks() {
    JsonNode event = json("""
        {"resources": ["arn:aws:batch:job/1"],
         "detail": {"status": "FAILED", "name": "nightly-debugging", "exitCode": 0, "retry": false, "note": ""}}""");
    assertThat(holds("{path: detail.status, equals: FAILED}", event)).isTrue();
    assertThat(holds("{path: detail.status, in: [SUCCEEDED, FAILED]}", event)).isTrue();
    assertThat(holds("{path: detail.status, not-in: [SUCCEEDED, FAILED]}", event)).isFalse();
    assertThat(holds("{path: detail.status, not-in: [RUNNING]}", event)).isTrue();
    assertThat(holds("{path: detail.name, contains: debugging}", event)).isTrue();
    assertThat(holds("{path: resources, contains: 'arn:aws:batch:job/1'}", event)).isTrue();
    assertThat(holds("{path: detail.status, exists: true}", event)).isTrue();
    assertThat(holds("{path: detail.reason, exists: false}", event)).isTrue();
    assertThat(holds("{anyOf: [{path: detail.status, equals: RUNNING}, {path: detail.exitCode, equals: 0}]}",
        event)).isTrue();
    assertThat(holds("{allOf: [{path: detail.status, equals: FAILED}, {path: detail.exitCode, equals: 1}]}",
        event)).isFalse();
  }

  @Test
  void falsyValuesInRulesMatchFalsyValuesInEvents() {
    JsonNode event = json("{\"detail\": {\"exitCode\": 0, \"retry\": false, \"note\": \"\"}}");
    assertThat(holds("{path: detail.exitCode, equals: 0}", event)).isTrue();
    assertThat(holds("{path: detail.retry, equals: false}", event)).isTrue();
    assertThat(holds("{path: detail.note, equals: ''}", event)).isTrue();
    assertThat(holds("{path: detail.exitCode, in: [0]}", event)).isTrue();
    assertThat(holds("{path: detail.exitCode, equals: '0'}", event)).isFalse();
    assertThat(holds("{path: detail.retry, equals: 0}", event)).isFalse();
  }

  private static boolean holds(String condition, JsonNode event) {
    return EventRules.parse("[{source: s, idPath: id, when: " + condition + "}]").get(0).matches(event);
  }

  @Test
  void errorsSayWhereAndWhy() {
    assertThatThrownBy(() -> EventRules.parse("[{source: s, idPath: id, when: [{path: a, equal: 1}]}]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rules from text: [0].when[0]: unknown key 'equal'; expected one of"
            + " [contains, equals, exists, in, not-in, path]");
    assertThatThrownBy(() -> EventRules.parse("[{source: s, idPath: id, when: {path: a, equals: 1, in: [1]}}]"))
        .hasMessageContaining("[0].when: expected exactly one of [contains, equals, exists, in, not-in]");
    assertThatThrownBy(() -> EventRules.parse("processors: [{idPath: detail.clusterId}]"))
        .hasMessage("rules from text: processors[0].source: expected a non-blank string; found <absent>");
    assertThatThrownBy(() -> EventRules.parse("[{source: s, idPath: 'a..b'}]"))
        .hasMessageContaining("[0]: idPath must be dot-separated");
    assertThatThrownBy(() -> EventRules.parse("[{source: s, idPath: id, when: {path: a, in: []}}]"))
        .hasMessageContaining("[0].when.in: expected a non-empty list of values; found []");
    assertThatThrownBy(() -> EventRules.parse("[{source: s, idPath: id, when: {path: a, exists: yes please}}]"))
        .hasMessageContaining("exists must be true or false");
    assertThatThrownBy(() -> EventRules.parse("processors: []"))
        .hasMessageContaining("expected a non-empty list of processors");
    assertThatThrownBy(() -> EventRules.parse("rules: []"))
        .hasMessageContaining("the document: unknown key 'rules'; expected one of [processors]");
    assertThatThrownBy(() -> EventRules.parse("{\"processors\": [}"))
        .hasMessageStartingWith("rules from text are not valid JSON");
    assertThatThrownBy(() -> EventRules.parse("processors: [unclosed"))
        .hasMessageStartingWith("rules from text are not valid YAML");
    assertThatThrownBy(() -> EventRules.parse("  ")).hasMessage("rules from text are empty");
  }

  @Test
  void loadsFromTheClasspathAndFromFiles(@TempDir Path dir) throws Exception {
    assertThat(EventRules.fromResource("rules/emr.yaml")).singleElement()
        .satisfies(p -> assertThat(p.matches(cluster("TERMINATED"))).isTrue());
    assertThatThrownBy(() -> EventRules.fromResource("rules/missing.yaml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resourceName names no classpath resource: 'rules/missing.yaml'");

    Path file = Files.writeString(dir.resolve("rules.yaml"), YAML);
    assertThat(EventRules.fromFile(file)).hasSize(2);
    Files.writeString(file, "[{source: s}]");
    assertThatThrownBy(() -> EventRules.fromFile(file)).hasMessageContaining(file + ": [0].idPath");
  }
}
