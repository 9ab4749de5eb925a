package io.github.ratelimiter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** The notes under the tables: explanations of the mechanisms, with this run's numbers filled in. */
final class Notes {

  private Notes() {}

  static String text(List<RunResult> runs, List<RunResult> rounds, List<JsonNode> jmh) {
    StringBuilder n = new StringBuilder();
    Optional<RunResult> ours16 = Report.find(runs, "hot-16", "ratelimiter");
    Optional<RunResult> floor16 = Report.find(runs, "hot-16", "floor");
    Optional<RunResult> b4j16 = Report.find(runs, "hot-16", "bucket4j");
    Optional<RunResult> ours1 = Report.find(runs, "hot-1", "ratelimiter");
    Optional<RunResult> floor1 = Report.find(runs, "hot-1", "floor");
    if (ours16.isPresent() && floor16.isPresent() && ours1.isPresent() && floor1.isPresent()) {
      RunResult o = ours16.get();
      RunResult f = floor16.get();
      Optional<RunResult> ours4 = Report.find(runs, "hot-4", "ratelimiter");
      Optional<RunResult> floor4 = Report.find(runs, "hot-4", "floor");
      String x4 = ours4.isPresent() && floor4.isPresent()
          ? Report.ratioCell(rounds, "hot-4", "ratelimiter", "floor") : "-";
      String r4 = ours4.map(r -> String.format("%.3f", r.requestsPerDecision())).orElse("-");
      n.append(String.format("- **Hot bucket vs the floor**: %sx the floor's decisions/s at 1 thread, %s at 4, "
              + "%s at 16 (median of rounds, range in brackets). These ratios move by tens of percent from "
              + "round to round here: dynalite is one Node.js "
              + "process on the same two cores as the client and other people's builds, and it is the bottleneck, "
              + "so read them as \"same order as the floor\", not to two digits. What does not move is the cost: "
              + "%.3f, %s and %.3f requests per decision at 1, 4 and 16 threads against the floor's 1.000. "
              + "dynalite spent %.0f vs %.0f us of CPU per decision (this project vs floor) at 1 thread and %.0f vs "
              + "%.0f at 16; the client threads %.0f vs %.0f and %.0f vs %.0f. This project's write carries more "
              + "than the floor's (a composite key, a `BETWEEN` or `attribute_not_exists OR <` condition, "
              + "`ReturnValues=UPDATED_NEW`, `ReturnValuesOnConditionCheckFailure=ALL_OLD`). The requests above 1.0 "
              + "at 4 and 16 threads are all UpdateItems followed by a successful one (no GetItem): a thread whose "
              + "last seen `tat` is below its `now` sends the idle update (`tat < :now`); when another thread's "
              + "write, made with a later `now`, reached the server first, `tat` is already past this thread's "
              + "`now`, the condition fails and the busy update follows. On real DynamoDB the failed write returns "
              + "the item, but the second write is still needed, so this costs the same there. Against real "
              + "DynamoDB a hot key is bounded by the per-partition write limit (about 1,000/s), not by server CPU, "
              + "and the ratio to the floor is requests per decision.\n",
          Report.ratioCell(rounds, "hot-1", "ratelimiter", "floor"), x4,
          Report.ratioCell(rounds, "hot-16", "ratelimiter", "floor"),
          ours1.get().requestsPerDecision(), r4, o.requestsPerDecision(),
          ours1.get().serverCpuMicrosPerDecision(), floor1.get().serverCpuMicrosPerDecision(),
          o.serverCpuMicrosPerDecision(), f.serverCpuMicrosPerDecision(),
          ours1.get().cpuMicrosPerDecision(), floor1.get().cpuMicrosPerDecision(),
          o.cpuMicrosPerDecision(), f.cpuMicrosPerDecision()));
    }
    if (b4j16.isPresent()) {
      RunResult b = b4j16.get();
      n.append(String.format("- **Bucket4j under contention.** Its DynamoDB backend is compare-and-swap: a "
              + "consistent GetItem of the serialized bucket, then a PutItem conditioned on the bytes read, retried "
              + "from the read when another client won. Alone (hot-1) that is 2 requests per decision; with 16 "
              + "threads on one key almost every swap loses: %.1f requests per decision, p99 %.0f ms, %.0f "
              + "decisions/s. It stays exact (it never admitted beyond the bound here), it is just slow and "
              + "expensive on a hot key. On 10,000 buckets touched for the first time it sent two GetItems and a "
              + "PutItem per decision.\n", b.requestsPerDecision(), b.p99Micros() / 1e3, b.decisionsPerSecond()));
    }
    Report.find(runs, "keys-10k-16", "ratelimiter").ifPresent(r -> n.append(String.format("- **10,000 buckets: "
            + "%.3f requests per decision.** %s In %.1f s at this server's speed each of the 10,000 buckets is "
            + "touched about once, so nearly every decision is an account's first. The limit table is not read per "
            + "account: a limiter reads a resource's rows whole (one consistent Query, when it has at most 1,000 "
            + "rows) and holds them, and with them the absence of a row for every other account, for "
            + "`limitCacheTtl` (30 s), so a first decision costs its one write like any other. (A resource with "
            + "more than 1,000 rows falls back to a GetItem per account and 30 s; not measured here.)\n",
        r.requestsPerDecision(), "Requests: " + r.requests() + ".", r.elapsedNanos() / 1e9)));
    Report.find(runs, "half-denied-16", "ratelimiter").ifPresent(r -> n.append(String.format("- **Half denied.** "
            + "This project admitted %,d and denied %,d with %.3f requests per decision: a denial is answered "
            + "from the last `tat` this process saw (it never decreases, so the denial is exact) and only the "
            + "thread that holds the bucket's last permit asks the store. The floor pays one write per denial; "
            + "Bucket4j cannot keep up with 600 decisions/s on one key at 16 threads (see its row), so few of its "
            + "decisions are denials.\n", r.admitted(), r.denied(), r.requestsPerDecision())));
    Report.find(runs, "exhausted-16", "ratelimiter").ifPresent(r -> n.append(String.format("- **Exhausted "
            + "bucket.** %,d denials cost %,d requests beyond the 50 admissions (%s): each of the 16 threads' "
            + "first denial goes to the store (on dynalite the first costs up to 3: idle and busy updates fail "
            + "and a GetItem reads `tat`, because dynalite does not implement "
            + "`ReturnValuesOnConditionCheckFailure`; on DynamoDB the failed write returns the item), then every "
            + "denial is local, exact and free. Its decisions/s is in-process speed, not the server's.\n",
        r.denied(), Math.max(0, r.totalRequests() - r.admitted()), r.requests())));
    Report.find(runs, LoadHarness.CHURN, "ratelimiter").ifPresent(r -> n.append(String.format("- **Non-fungible "
            + "churn.** %.2f requests per reservation attempt (%s) for %,d grants and %,d denials under the cap: a "
            + "granted reservation is a consistent Query of the account's slots and a conditional PutItem, then "
            + "another conditional PutItem makes it a token and a DeleteItem releases it; a denial is one Query, or "
            + "two when the thread first waited for another thread's claim of the last free slot. The threads of one process "
            + "never send writes for the same slot (a thread skips slots another thread is claiming or has claimed "
            + "since its query), so with all 8 threads in one process a release is chased by one write, not 8: "
            + "%.2f PutItems and %.2f Queries per grant here. The floor row is the three writes alone, with no "
            + "cap to enforce. Exactness: %s.\n",
        r.requestsPerDecision(), r.requests(), r.admitted(), r.denied(),
        r.requests().getOrDefault("PutItem", 0L) / (double) Math.max(1, r.admitted()),
        r.requests().getOrDefault("Query", 0L) / (double) Math.max(1, r.admitted()), r.boundNote())));
    n.append("- **Latency** is per decision, closed loop (each thread sends its next decision when the previous is "
        + "answered; in the `async-*` scenarios from the call that starts it to its completion, 256 at a time), so "
        + "it includes queueing at the server and, with 256 in flight, in the client; the paced `half-denied-16` run "
        + "does not correct for coordinated omission. Client CPU is that of the deciding threads; the JVM's total (JIT, GC) is in "
        + "`load.json` as `cpuNanos`.\n");
    double inMemory1 = Report.jmhScore(jmh, "inMemoryLimiter", 1);
    double b4j1 = Report.jmhScore(jmh, "bucket4jLocal", 1);
    double gcra1 = Report.jmhScore(jmh, "gcraStep", 1);
    double inMemory2 = Report.jmhScore(jmh, "inMemoryLimiter", 2);
    double b4j2 = Report.jmhScore(jmh, "bucket4jLocal", 2);
    if (inMemory1 > 0 && b4j1 > 0 && inMemory2 > 0 && b4j2 > 0) {
      n.append(String.format("- **In process**, this project's in-memory limiter runs at %.2fx Bucket4j's local "
              + "bucket on one thread (%.0f vs %.0f ns per decision) and %.2fx on two threads sharing the bucket; "
              + "the algorithm alone (`gcraStep`, reading `Instant.now()`) takes %.0f ns. What a decision does: an "
              + "account-id check; the system clock read as `System.nanoTime()` plus an offset taken again every "
              + "millisecond (`EpochNanos`: `Instant.now()` is a native call that was about 40%% of a decision's "
              + "profile; any other `Clock` is read exactly); the account's limit and the last `tat` this limiter "
              + "saw, kept for the last account while the limit cache's answer holds, else two hash lookups and a "
              + "Caffeine lookup; a hash lookup and a compare-and-set on the bucket; and a `Decision` (32 bytes) "
              + "with `remaining` and `retryAfter`. Bucket4j's local bucket is one object with a CAS on its state "
              + "and no per-account lookup. On two threads both contend for one word. The JMH error bars here are "
              + "wide (see the table): the machine is shared. The DynamoDB path is bounded by the store request "
              + "(about 1 ms), four orders of magnitude above either.\n",
          inMemory1 / b4j1, 1e3 / inMemory1, 1e3 / b4j1, inMemory2 / b4j2, 1e3 / gcra1));
    }
    return n.toString();
  }
}
