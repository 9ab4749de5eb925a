package io.github.ratelimiter.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.JointDecision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Decides several keys together, for {@link DefaultRateLimiters#tryAcquireAll} and cascading limiters: each key
 * charged by one store write of its own, in one fixed order (resource name, then account), so that two decisions on
 * overlapping keys cannot starve each other; at the first denial, or store failure, the keys charged so far are
 * refunded ({@link DefaultFungibleLimiter#refund}), the last first. Not instantiable.
 */
final class JointDecisions {

  private JointDecisions() {}

  /**
   * @param limiters the limiter of each key
   * @param accounts the account of each key
   * @param costs what each key is asked
   * @return allowed when every key admitted, else the first denial (in the fixed order), with every key's decision
   *     in the order given ({@code null} for the keys not decided)
   */
  static JointDecision decide(DefaultFungibleLimiter[] limiters, String[] accounts, Cost[] costs) {
    int n = limiters.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparing((Integer i) -> limiters[i].resourceName())
        .thenComparing(i -> accounts[i], Comparator.nullsFirst(Comparator.naturalOrder())));
    Decision[] decisions = new Decision[n];
    List<FungibleCall> charged = new ArrayList<>(n);
    List<DefaultFungibleLimiter> chargedBy = new ArrayList<>(n);
    try {
      for (int i : order) {
        FungibleCall call = limiters[i].admit(accounts[i], costs[i]);
        charged.add(call);
        chargedBy.add(limiters[i]);
        decisions[i] = call.decision;
        if (call.decision.denied()) {
          refund(charged, chargedBy);
          return new JointDecision(call.decision, Arrays.asList(decisions));
        }
      }
    } catch (RuntimeException e) {
      refund(charged, chargedBy);
      throw e;
    }
    Decision whole = decisions[order[0]];
    for (Decision decision : decisions) {
      if (decision.remaining() < whole.remaining()) {
        whole = decision;
      }
    }
    return new JointDecision(whole, Arrays.asList(decisions));
  }

  private static void refund(List<FungibleCall> charged, List<DefaultFungibleLimiter> chargedBy) {
    for (int k = charged.size() - 1; k >= 0; k--) {
      chargedBy.get(k).refund(charged.get(k));
    }
  }
}
