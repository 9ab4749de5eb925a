package io.github.ratelimiter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** The notes under the tables: explanations of the mechanisms, with this run's numbers filled in. */
final class Notes {

  private Notes() {}

  static String text(List<RunResult> runs, List<JsonNode> jmh) {
    StringBuilder n = new StringBuilder();
    Optional<RunResult> ours16 = Report.find(runs, "hot-16", "ratelimiter");
    Optional<RunResult> floor16 = Report.find(runs, "hot-16", "floor");
    Optional<RunResult> b4j16 = Report.find(runs, "hot-16", "bucket4j");
    Optional<RunResult> ours1 = Report.find(runs, "hot-1", "ratelimiter");
    Optional<RunResult> floor1 = Report.find(runs, "hot-1", "floor");
    if (ours16.isPresent() && floor16.isPresent() && ours1.isPresent() && floor1.isPresent()) {
      RunResult o = ours16.get();
      RunResult f = floor16.get();
      n.append(String.format("- **Hot bucket vs the floor** (%.2fx at 16 threads, %.2fx at 1 thread). The server is "
              + "the bottleneck: dynalite is one Node.js process on the same two cores as the client. This project's "
              + "write is heavier than the floor's: a composite key (`resourceName`, `accountId`), a `BETWEEN` or "
              + "`attribute_not_exists OR <` condition, `ReturnValues=UPDATED_NEW` and "
              + "`ReturnValuesOnConditionCheckFailure=ALL_OLD`; dynalite spent %.0f us of CPU per decision on it "
              + "against %.0f us for the floor's single-key counter at 16 threads (%.0f vs %.0f at 1 thread), and the "
              + "client threads %.0f vs %.0f us. On top of that, at 16 threads %.3f requests per decision instead "
              + "of 1: a thread whose last seen `tat` is older than now tries the idle update (`tat < :now`), and "
              + "when another thread's write has meanwhile moved `tat` past this thread's `now`, that condition "
              + "fails and the busy update follows (2 requests; 3 on dynalite if that fails too, since dynalite does "
              + "not return the old item). Against real DynamoDB the per-partition limit (about 1,000 writes/s per "
              + "key), not server CPU, bounds a hot key, and the ratio to the floor is set by requests per "
              + "decision alone.\n",
          o.decisionsPerSecond() / f.decisionsPerSecond(),
          ours1.get().decisionsPerSecond() / floor1.get().decisionsPerSecond(),
          o.serverCpuMicrosPerDecision(), f.serverCpuMicrosPerDecision(),
          ours1.get().serverCpuMicrosPerDecision(), floor1.get().serverCpuMicrosPerDecision(),
          o.cpuMicrosPerDecision(), f.cpuMicrosPerDecision(), o.requestsPerDecision()));
    }
    if (b4j16.isPresent()) {
      RunResult b = b4j16.get();
      n.append(String.format("- **Bucket4j under contention.** Its DynamoDB backend is compare-and-swap: a "
              + "consistent GetItem of the serialized bucket, then a PutItem conditioned on the bytes read, retried "
              + "from the read when another client won. Alone (hot-1) that is 2 requests per decision; with 16 "
              + "threads on one key almost every swap loses: %.1f requests per decision, p99 %.0f ms, %.0f "
              + "decisions/s. It stays exact (it never admitted beyond the bound here), it is just slow and "
              + "expensive on a hot key. On 10,000 cold buckets it costs a GetItem, a failed or empty read and a "
              + "PutItem per first touch.\n", b.requestsPerDecision(), b.p99Micros() / 1e3, b.decisionsPerSecond()));
    }
    Report.find(runs, "keys-10k-16", "ratelimiter").ifPresent(r -> n.append(String.format("- **10,000 buckets: "
            + "%.3f requests per decision, not 1.** %s In %.1f s at this server's speed each of the 10,000 buckets is "
            + "touched less than once, so every decision is an account's first, and the first decision for a "
            + "(resource, account) also reads the limit table (a consistent GetItem) to learn whether the account "
            + "has its own limit; the answer, a row or its absence, is cached for `limitCacheTtl` (30 s). So any "
            + "account called less often than once per 30 s pays 2 requests per decision, and a service with many "
            + "quiet tenants pays double. See the cost problem reported with issue 6.\n",
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
            + "granted reservation is a consistent Query of the account's slots and a conditional PutItem, then an "
            + "UpdateItem makes it a token and a DeleteItem releases it; a denial is one Query; a lost slot race "
            + "adds a Query and a PutItem. The floor row is the three writes alone, with no cap to enforce. %s\n",
        r.requestsPerDecision(), r.requests(), r.admitted(), r.denied(), r.boundNote() + ".")));
    n.append("- **Latency** is per decision, closed loop (each thread sends its next decision when the previous is "
        + "answered), so it includes queueing at the server; the paced `half-denied-16` run does not correct for "
        + "coordinated omission. Client CPU is that of the deciding threads; the JVM's total (JIT, GC) is in "
        + "`load.json` as `cpuNanos`.\n");
    double inMemory1 = Report.jmhScore(jmh, "inMemoryLimiter", 1);
    double b4j1 = Report.jmhScore(jmh, "bucket4jLocal", 1);
    double gcra1 = Report.jmhScore(jmh, "gcraStep", 1);
    if (inMemory1 > 0 && b4j1 > 0) {
      n.append(String.format("- **In process**, this project's in-memory limiter runs at %.2fx Bucket4j's local "
              + "bucket on one thread (%.0f vs %.0f ns per decision) while the algorithm alone (`gcraStep`, clock "
              + "read included) takes %.0f ns. The difference is what a decision does around the arithmetic: an "
              + "account-id check, a limit lookup in a Caffeine cache keyed by (resource, account), a "
              + "`ConcurrentHashMap.compute` on the bucket, a second Caffeine cache for the last seen `tat`, and a "
              + "`Decision` record with `remaining` and `retryAfter`. Bucket4j's local bucket is one object with a "
              + "CAS on its state, with no per-account lookup. The in-memory store exists for tests and "
              + "single-process use; the DynamoDB path is bounded by the store request (about 1 ms), three orders "
              + "of magnitude above either.\n", inMemory1 / b4j1, 1e3 / inMemory1, 1e3 / b4j1, 1e3 / gcra1));
    }
    return n.toString();
  }
}
