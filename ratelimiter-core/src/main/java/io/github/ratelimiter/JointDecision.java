package io.github.ratelimiter;

import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The answer to a decision across several keys ({@link RateLimiters#tryAcquireAll(List)}): allowed only when every
 * key admitted its ask, and then every key is charged; when one denied, nothing stays charged anywhere. Immutable.
 */
public final class JointDecision {

  private final Decision decision;
  private final List<Decision> decisions;

  /**
   * @param decision the whole: the last key's decision when all admitted, else the denying key's
   * @param decisions each ask's own decision, in the order of the asks; {@code null} for an ask left undecided
   *     because a key before it (in the fixed order keys are charged in) denied
   */
  public JointDecision(Decision decision, List<Decision> decisions) {
    this.decision = Objects.requireNonNull(decision, "decision");
    this.decisions = Collections.unmodifiableList(decisions);
  }

  /** Whether every key admitted (and is charged). */
  public boolean allowed() {
    return decision.allowed();
  }

  /** Whether some key denied (and nothing is charged). */
  public boolean denied() {
    return !decision.allowed();
  }

  /**
   * The decision for the whole: when denied, the denying key's, with its {@code retryAfter} and the limit that
   * denied; when allowed, the one with the fewest permits left.
   */
  public Decision decision() {
    return decision;
  }

  /**
   * Each ask's own decision, in the order of the asks. Keys are charged in a fixed order (by resource, then account),
   * and the first denial stops the charging: an ask after it in that order was not decided, and its entry is
   * {@code null}. An ask decided before the denial was admitted and then refunded: its entry says what it was
   * admitted with.
   */
  public List<Decision> decisions() {
    return decisions;
  }

  @Override
  public String toString() {
    return "JointDecision[" + decision + ", " + decisions + "]";
  }
}
