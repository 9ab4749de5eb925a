package io.github.ratelimiter.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class EventProcessorTest {

  private static JsonNode json(String text) throws Exception {
    return new ObjectMapper().readTree(text);
  }

  @Test
  void extractsOnlyNonBlankStringIds() throws Exception {
    EventProcessor processor = EventProcessor.builder().source("aws.emr").idPath("detail.clusterId").build();
    assertThat(processor.resourceId(json("{\"detail\": {\"clusterId\": \"j-1\"}}"))).contains("j-1");
    assertThat(processor.resourceId(json("{\"detail\": {\"clusterId\": 7}}"))).isEmpty();
    assertThat(processor.resourceId(json("{\"detail\": {\"clusterId\": \" \"}}"))).isEmpty();
    assertThat(processor.resourceId(json("{\"detail\": {\"clusterId\": null}}"))).isEmpty();
    assertThat(processor.resourceId(json("{\"detail\": {}}"))).isEmpty();
  }

  @Test
  void severalWhenClausesMustAllHold() throws Exception {
    EventProcessor processor = EventProcessor.builder().source("aws.batch").idPath("detail.jobId")
        .when(ProcessorPredicate.equalTo("detail.status", "FAILED"))
        .when(ProcessorPredicate.equalTo("detail.container.exitCode", 0))
        .build();
    assertThat(processor.matches(json("{\"detail\": {\"status\": \"FAILED\", \"container\": {\"exitCode\": 0}}}")))
        .isTrue();
    assertThat(processor.matches(json("{\"detail\": {\"status\": \"FAILED\", \"container\": {\"exitCode\": 1}}}")))
        .isFalse();
    assertThat(EventProcessor.builder().source("s").idPath("id").build().matches(json("{}"))).isTrue();
  }

  @Test
  void requiresSourceAndIdPath() {
    assertThatThrownBy(() -> EventProcessor.builder().idPath("detail.clusterId").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("source is required");
    assertThatThrownBy(() -> EventProcessor.builder().source("aws.emr").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("idPath is required");
    assertThatThrownBy(() -> EventProcessor.builder().source(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("source must not be blank: ' '");
    assertThatThrownBy(() -> EventProcessor.builder().detailType(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("detailType must not be blank: ''");
  }
}
