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
    assertThat(DurationText.parse("x", "pt1m")).isEqualTo(Duration.ofMinutes(1));
  }

  /** The command-line tool's flags read durations here too: hours, days, and a bare number of seconds. */
  @Test
  void readsTheCommandLinesDurationsToo() {
    assertThat(DurationText.parse("x", "90")).isEqualTo(Duration.ofSeconds(90));
    assertThat(DurationText.parse("x", "1.5")).isEqualTo(Duration.ofMillis(1500));
    assertThat(DurationText.parse("x", "1h")).isEqualTo(Duration.ofHours(1));
    assertThat(DurationText.parse("x", "2d")).isEqualTo(Duration.ofDays(2));
    assertThat(DurationText.parse("x", "100000d")).isEqualTo(Duration.ofDays(100_000));
    assertThat(DurationText.parse("x", "0.000000001s")).isEqualTo(Duration.ofNanos(1));
  }

  @Test
  void rejectsWhatIsNotAPositiveDuration() {
    assertThatThrownBy(() -> DurationText.parse("NAME", "0s")).hasMessage("NAME must be positive: '0s'");
    // "1h" was here while the client's variables had no hours; the command line's durations, now read here too, do
    assertThatThrownBy(() -> DurationText.parse("NAME", "1w"))
        .hasMessage("NAME must be a duration such as 200ms, 1s or PT0.2S: '1w'");
    assertThatThrownBy(() -> DurationText.parse("NAME", "soon"))
        .hasMessage("NAME must be a duration such as 200ms, 1s or PT0.2S: 'soon'");
    assertThatThrownBy(() -> DurationText.parse("NAME", "0.0000000001s"))
        .hasMessage("NAME must be a duration such as 200ms, 1s or PT0.2S: '0.0000000001s'");
    assertThatThrownBy(() -> DurationText.parse("NAME", "-PT1S")).hasMessage("NAME must be positive: '-PT1S'");
  }
}
