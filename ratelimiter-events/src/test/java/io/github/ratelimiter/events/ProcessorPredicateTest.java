package io.github.ratelimiter.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessorPredicateTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static final JsonNode FALSY = json("""
      {"detail": {"exitCode": 0, "retry": false, "reason": "", "tags": [], "nothing": null, "ratio": 0.0}}
      """);

  @Test
  void falsyValuesReachThePredicateAndCanMatch() {
    assertThat(ProcessorPredicate.equalTo("detail.exitCode", 0).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.equalTo("detail.retry", false).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.equalTo("detail.reason", "").test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.equalTo("detail.nothing", null).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.of("detail.exitCode", v -> v.isInt() && v.intValue() == 0).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.of("detail.retry", v -> !v.booleanValue()).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.of("detail.reason", v -> v.textValue().isEmpty()).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.of("detail.tags", JsonNode::isEmpty).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.in("detail.exitCode", List.of(0, 1)).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.notIn("detail.exitCode", List.of(1, 2)).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.exists("detail.exitCode").test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.exists("detail.retry").test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.exists("detail.reason").test(FALSY)).isTrue();
  }

  @Test
  void falsyValuesAreNotEqualToEachOther() {
    assertThat(ProcessorPredicate.equalTo("detail.exitCode", false).test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.equalTo("detail.exitCode", "0").test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.equalTo("detail.reason", false).test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.equalTo("detail.retry", 0).test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.equalTo("detail.nothing", "").test(FALSY)).isFalse();
  }

  @Test
  void numbersCompareByValue() {
    assertThat(ProcessorPredicate.equalTo("detail.ratio", 0).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.equalTo("detail.exitCode", 0.0).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.equalTo("detail.exitCode", 0L).test(FALSY)).isTrue();
  }

  @Test
  void absentPathsAreFalseWithoutCallingThePredicate() {
    assertThat(ProcessorPredicate.of("detail.absent", v -> {
      throw new AssertionError("called with " + v);
    }).test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.notIn("detail.absent", List.of("x")).test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.exists("detail.absent").test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.exists("detail.nothing").test(FALSY)).isFalse();
    assertThat(ProcessorPredicate.exists("detail.absent").negate().test(FALSY)).isTrue();
  }

  @Test
  void containsLooksInListsAndStrings() {
    JsonNode event = json("""
        {"resources": ["arn:a", "arn:b"], "detail": {"name": "nightly debugging run", "codes": [0, 3]}}""");
    assertThat(ProcessorPredicate.contains("resources", "arn:b").test(event)).isTrue();
    assertThat(ProcessorPredicate.contains("resources", "arn:c").test(event)).isFalse();
    assertThat(ProcessorPredicate.contains("detail.codes", 0).test(event)).isTrue();
    assertThat(ProcessorPredicate.contains("detail.name", "debugging").test(event)).isTrue();
    assertThat(ProcessorPredicate.contains("detail.name", "prod").test(event)).isFalse();
    assertThat(ProcessorPredicate.contains("detail", "name").test(event)).isFalse();
  }

  /** The Python library used only the "or" list when both were set; here grouping is exactly as written. */
  @Test
  void andPlusOrCompositionGroupsAsWritten() {
    boolean[] bools = {false, true};
    for (boolean a : bools) {
      for (boolean b : bools) {
        for (boolean c : bools) {
          JsonNode event = json("{\"a\": " + a + ", \"b\": " + b + ", \"c\": " + c + "}");
          ProcessorPredicate pa = ProcessorPredicate.equalTo("a", true);
          ProcessorPredicate pb = ProcessorPredicate.equalTo("b", true);
          ProcessorPredicate pc = ProcessorPredicate.equalTo("c", true);
          String row = "a=" + a + " b=" + b + " c=" + c;
          assertThat(pa.and(pb).or(pc).test(event)).as("(a and b) or c, " + row).isEqualTo((a && b) || c);
          assertThat(pa.and(pb.or(pc)).test(event)).as("a and (b or c), " + row).isEqualTo(a && (b || c));
          assertThat(pa.or(pb).and(pc).test(event)).as("(a or b) and c, " + row).isEqualTo((a || b) && c);
          assertThat(pa.or(pb.and(pc)).test(event)).as("a or (b and c), " + row).isEqualTo(a || (b && c));
          assertThat(pa.and(pb).negate().test(event)).as("not (a and b), " + row).isEqualTo(!(a && b));
        }
      }
    }
  }

  @Test
  void emptyCombinationsAreTheIdentities() {
    assertThat(ProcessorPredicate.allOf(List.of()).test(FALSY)).isTrue();
    assertThat(ProcessorPredicate.anyOf(List.of()).test(FALSY)).isFalse();
  }

  @Test
  void describesItself() {
    ProcessorPredicate predicate = ProcessorPredicate.in("detail.state", List.of("TERMINATED"))
        .and(ProcessorPredicate.exists("detail.name"));
    assertThat(predicate).hasToString("(detail.state in [\"TERMINATED\"] and detail.name exists)");
  }

  @Test
  void badArgumentsAreRejectedNamingTheArgument() {
    assertThatThrownBy(() -> ProcessorPredicate.in("detail.state", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("values must not be empty: []");
    assertThatThrownBy(() -> ProcessorPredicate.exists("detail..state"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("path must be dot-separated");
  }
}
