package io.github.ratelimiter.dynamodb.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ratelimiter.dynamodb.client.internal.DurationText;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationTextTest {

  @Test
  void readsTheWaysPeopleWriteDurations() {
    assertThat(DurationText.parse("x", "200ms")).isEqualTo(Duration.ofMillis(200));
    assertThat(DurationText.parse("x", "1s")).isEqualTo(Duration.ofSeconds(1));
    assertThat(DurationText.parse("x", "1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(DurationText.parse("x", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(DurationText.parse("x", " 250 MS ")).isEqualTo(Duration.ofMillis(250));
    assertThat(DurationText.parse("x", "PT0.2S")).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void rejectsWhatIsNotAPositiveDuration() {
    assertThatThrownBy(() -> DurationText.parse("NAME", "0s")).hasMessage("NAME must be positive: '0s'");
    assertThatThrownBy(() -> DurationText.parse("NAME", "1h"))
        .hasMessage("NAME must be a duration such as 200ms, 1s or PT0.2S: '1h'");
    assertThatThrownBy(() -> DurationText.parse("NAME", "-PT1S")).hasMessage("NAME must be positive: '-PT1S'");
  }
}
