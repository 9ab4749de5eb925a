package io.github.ratelimiter.internal;

import io.github.ratelimiter.Cost;
import io.github.ratelimiter.Decision;
import io.github.ratelimiter.JointDecision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.IntFunction;

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
    Integer[] order = order(i -> limiters[i].resourceName(), accounts);
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

  /**
   * {@link #decide} without waiting, for a cascading limiter's non-blocking view: the same order, one key after the
   * other (each key's write starts when the one before it has answered), the same refunds.
   */
  static CompletableFuture<JointDecision> decideAsync(DefaultAsyncFungibleLimiter[] limiters, String[] accounts,
      Cost[] costs) {
    int n = limiters.length;
    Integer[] order = order(i -> limiters[i].resourceName(), accounts);
    return next(limiters, accounts, costs, order, 0, new Decision[n], new ArrayList<>(n), new ArrayList<>(n));
  }

  private static CompletableFuture<JointDecision> next(DefaultAsyncFungibleLimiter[] limiters, String[] accounts,
      Cost[] costs, Integer[] order, int k, Decision[] decisions, List<FungibleCall> charged,
      List<DefaultAsyncFungibleLimiter> chargedBy) {
    if (k == order.length) {
      Decision whole = decisions[order[0]];
      for (Decision decision : decisions) {
        if (decision.remaining() < whole.remaining()) {
          whole = decision;
        }
      }
      return CompletableFuture.completedFuture(new JointDecision(whole, Arrays.asList(decisions)));
    }
    int i = order[k];
    return Futures.of(() -> limiters[i].admit(accounts[i], costs[i])).handle((call, failure) -> {
      if (failure != null) {
        return refundAsync(charged, chargedBy, charged.size() - 1)
            .<JointDecision>thenCompose(done -> CompletableFuture.failedFuture(Futures.unwrap(failure)));
      }
      charged.add(call);
      chargedBy.add(limiters[i]);
      decisions[i] = call.decision;
      if (call.decision.denied()) {
        Decision denial = call.decision;
        return refundAsync(charged, chargedBy, charged.size() - 1)
            .thenApply(done -> new JointDecision(denial, Arrays.asList(decisions)));
      }
      return next(limiters, accounts, costs, order, k + 1, decisions, charged, chargedBy);
    }).thenCompose(Function.identity());
  }

  /** Refunds the charged keys from the {@code k}-th back to the first, one after the other. */
  private static CompletableFuture<Void> refundAsync(List<FungibleCall> charged,
      List<DefaultAsyncFungibleLimiter> chargedBy, int k) {
    if (k < 0) {
      return CompletableFuture.completedFuture(null);
    }
    return chargedBy.get(k).refund(charged.get(k)).thenCompose(done -> refundAsync(charged, chargedBy, k - 1));
  }

  /** The keys' indexes in the one fixed order: by resource name, then account. */
  private static Integer[] order(IntFunction<String> resourceOf, String[] accounts) {
    Integer[] order = new Integer[accounts.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparing((Integer i) -> resourceOf.apply(i))
        .thenComparing(i -> accounts[i], Comparator.nullsFirst(Comparator.naturalOrder())));
    return order;
  }

  private static void refund(List<FungibleCall> charged, List<DefaultFungibleLimiter> chargedBy) {
    for (int k = charged.size() - 1; k >= 0; k--) {
      chargedBy.get(k).refund(charged.get(k));
    }
  }
}
