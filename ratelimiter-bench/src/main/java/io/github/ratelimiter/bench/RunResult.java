package io.github.ratelimiter.bench;

import java.util.Map;

/**
 * One contender's figures in one scenario of the load harness, as written to {@code load.json}.
 *
 * @param scenario the scenario's id, e.g. {@code hot-16}
 * @param contender the contender's id: {@code ratelimiter}, {@code bucket4j} or {@code floor}
 * @param threads client threads (for the non-blocking scenarios: the threads that issue decisions)
 * @param elapsedNanos from the first request sent to the last answer received
 * @param decisions answered decisions (admitted plus denied)
 * @param admitted admitted decisions (for the churn scenario: completed reserve/create/release cycles)
 * @param denied denied decisions
 * @param errors decisions that threw
 * @param p50Micros median latency of one decision
 * @param p99Micros 99th percentile
 * @param p999Micros 99.9th percentile
 * @param maxMicros the slowest decision
 * @param requests store requests sent (every HTTP attempt), per operation
 * @param cpuNanos CPU time of this whole JVM (all threads, JIT compilers and GC included) during the run
 * @param workerCpuNanos CPU time of the threads that made the decisions (the synchronous SDK works on the calling
 *     thread); for the non-blocking scenarios, whose decisions are worked on by the issuing threads, the SDK's
 *     event-loop threads and the limiter's executor, the same as {@code threadsCpuNanos}
 * @param serverCpuNanos CPU time of the dynalite server process during the run
 * @param boundChecked whether the contender claims exactness, so that over-admission is a failure
 * @param maxAdmittedOverBound the largest {@code admitted - bound} over all keys (negative: headroom)
 * @param overAdmitted permits admitted beyond the exact bound, summed over keys; must be 0
 * @param boundNote how the bound was computed, for the report
 * @param round which of the repeated rounds this run belongs to (from 0)
 * @param inFlight for the non-blocking scenarios, the decisions kept in flight (issued, not yet completed); 0 for
 *     the closed-loop and paced scenarios, where each thread has at most one
 * @param meanInFlight decisions in flight on average, by Little's law (mean latency x decisions / elapsed): about
 *     {@code inFlight} when nothing blocks the issuing threads, about the thread count when the calls block
 * @param threadsCpuNanos CPU time of every Java thread of this JVM during the run: the deciding threads, the SDK's
 *     I/O threads, executors, idle clients' housekeeping (not JIT compiler or GC threads, which the JVM does not list
 *     as Java threads; threads that ended during the run are missed); 0 in files from before it was measured
 * @param peakThreads the most live Java threads of this JVM at once during the run (the harness's idle clients and the
 *     JVM's own threads included); 0 in files from before it was measured
 * @param issuersBusy for the non-blocking scenarios, the share of the run (wall time) the issuing threads spent inside
 *     the call that starts a decision: the SDK's marshalling and signing run there even on the non-blocking path; near
 *     1 when the call waits for the store (a store without an asynchronous client); 0 for the other scenarios
 */
public record RunResult(
    String scenario, String contender, int threads, long elapsedNanos, long decisions, long admitted, long denied,
    long errors, double p50Micros, double p99Micros, double p999Micros, double maxMicros,
    Map<String, Long> requests, long cpuNanos, long workerCpuNanos, long serverCpuNanos, boolean boundChecked,
    long maxAdmittedOverBound, long overAdmitted,
    String boundNote, int round, int inFlight, double meanInFlight, long threadsCpuNanos, int peakThreads,
    double issuersBusy) {

  /** This result, in another round. */
  public RunResult withRound(int newRound) {
    return new RunResult(scenario, contender, threads, elapsedNanos, decisions, admitted, denied, errors, p50Micros,
        p99Micros, p999Micros, maxMicros, requests, cpuNanos, workerCpuNanos, serverCpuNanos, boundChecked,
        maxAdmittedOverBound, overAdmitted, boundNote, newRound, inFlight, meanInFlight, threadsCpuNanos, peakThreads,
        issuersBusy);
  }

  /** All store requests. */
  public long totalRequests() {
    return requests.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Decisions per second. */
  public double decisionsPerSecond() {
    return elapsedNanos == 0 ? 0 : decisions * 1e9 / elapsedNanos;
  }

  /** Store requests per decision. */
  public double requestsPerDecision() {
    return decisions == 0 ? 0 : (double) totalRequests() / decisions;
  }

  /** Server (dynalite) CPU microseconds per decision. */
  public double serverCpuMicrosPerDecision() {
    return decisions == 0 ? 0 : serverCpuNanos / 1e3 / decisions;
  }

  /** Client CPU microseconds per decision: the deciding threads' own CPU time. */
  public double cpuMicrosPerDecision() {
    return decisions == 0 ? 0 : workerCpuNanos / 1e3 / decisions;
  }

  /**
   * Client CPU microseconds per decision, all Java threads of the JVM: the figure that compares the blocking and the
   * non-blocking paths, whose work runs on different threads.
   */
  public double threadsCpuMicrosPerDecision() {
    return decisions == 0 ? 0 : threadsCpuNanos / 1e3 / decisions;
  }

  /** Client CPU microseconds per decision, the whole JVM (JIT and GC included). */
  public double processCpuMicrosPerDecision() {
    return decisions == 0 ? 0 : cpuNanos / 1e3 / decisions;
  }
}
