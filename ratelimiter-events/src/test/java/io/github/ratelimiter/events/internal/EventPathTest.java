package io.github.ratelimiter.events.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class EventPathTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return MAPPER.readTree(text);
  }

  private static final String EVENT = """
      {"source": "aws.ec2",
       "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
       "detail": {"instance-id": "i-abcd1111", "state": "terminated", "0": "zero-key",
                  "attempts": [{"container": {"exitCode": 0}}], "nothing": null}}
      """;

  @Test
  void keysMayContainDashes() throws Exception {
    assertThat(EventPath.parse("path", "detail.instance-id").resolve(json(EVENT)).textValue()).isEqualTo("i-abcd1111");
  }

  @Test
  void numericSegmentsIndexArrays() throws Exception {
    JsonNode event = json(EVENT);
    assertThat(EventPath.parse("path", "resources.0").resolve(event).textValue()).endsWith("/i-abcd1111");
    assertThat(EventPath.parse("path", "detail.attempts.0.container.exitCode").resolve(event).intValue()).isZero();
  }

  @Test
  void numericSegmentsNameFieldsOfObjects() throws Exception {
    assertThat(EventPath.parse("path", "detail.0").resolve(json(EVENT)).textValue()).isEqualTo("zero-key");
  }

  @Test
  void absentSegmentsResolveToMissingNeverToNull() throws Exception {
    JsonNode event = json(EVENT);
    assertThat(EventPath.parse("path", "resources.1").resolve(event).isMissingNode()).isTrue();
    assertThat(EventPath.parse("path", "resources.x").resolve(event).isMissingNode()).isTrue();
    assertThat(EventPath.parse("path", "resources.00").resolve(event).isMissingNode()).isTrue();
    assertThat(EventPath.parse("path", "detail.state.deeper").resolve(event).isMissingNode()).isTrue();
    assertThat(EventPath.parse("path", "detail.nope").resolve(event).isMissingNode()).isTrue();
    assertThat(EventPath.parse("path", "detail.nothing").resolve(event).isNull()).isTrue();
  }

  @Test
  void emptySegmentsAreRejectedNamingTheArgument() {
    assertThatThrownBy(() -> EventPath.parse("idPath", "detail..clusterId"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("idPath")
        .hasMessageContaining("'detail..clusterId'");
    assertThatThrownBy(() -> EventPath.parse("idPath", "detail.")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EventPath.parse("idPath", " ")).hasMessageContaining("idPath must not be blank");
    assertThatThrownBy(() -> EventPath.parse("idPath", null)).hasMessage("idPath must not be null");
  }
}
