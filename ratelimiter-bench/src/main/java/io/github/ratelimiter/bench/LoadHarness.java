package io.github.ratelimiter.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.ratelimiter.Leasing;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.Token;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.local.LocalDynamoDbServer.Implementation;
import io.github.ratelimiter.testing.dynamodb.LocalDynamoDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The load harness: starts one dynalite, creates the tables, then runs every scenario with each contender in turn on
 * that server (same threads, same duration) and writes the figures to a JSON file that {@link Report} turns into
 * BENCHMARKS.md and the chart.
 *
 * <pre>
 *   LoadHarness [--duration-seconds 5] [--warmup-seconds 3] [--rounds 3] [--out target/bench/load.json]
 *               [--only hot-16,...] [--server dynalite|moto]
 * </pre>
 *
 * <p>{@code --only} takes scenario ids ({@code hot-1}, ..., {@code hot-leased-16}, {@code rls-grpc-16},
 * {@code nonfungible-churn-8}, {@code async-hot-256}, {@code async-keys-10k-256});
 * {@code ./bench/run} passes {@code BENCH_ONLY} as {@code --only}.
 *
 * <p>The non-blocking scenarios ({@link #ASYNC}) run each round right after the same round of their blocking
 * baseline ({@code hot-16}, {@code keys-10k-16}) when both are selected, so that the two paths are compared on the
 * same server at nearly the same time.
 *
 * <p>{@code --server moto} runs on moto (one request at a time, see {@code LocalDynamoDbServer}) instead of dynalite,
 * with this project and the floor only: moto returns the stored item when a condition fails, as DynamoDB does, so a
 * wrong guess between the idle and busy updates costs no second write there. {@code ./bench/run} runs
 * {@code hot-4,hot-16} on it for the report's moto table (its requests per decision; moto is too slow for rates).
 *
 * <p>Each scenario runs {@code rounds} times, the contenders in a rotated order each round; the report takes the
 * median of the per-round ratios, since the server shares two cores with the client and other builds.
 *
 * <pre>
 * </pre>
 */
public final class LoadHarness {

  /**
   * The non-binding limit of the throughput scenarios: 1,000,000 per second, far above what the server can do and
   * what one process decides on one bucket (coalesced, 256 in flight: about 140,000 per second here).
   */
  static final Limit OPEN = Limit.of(1_000_000, Duration.ofSeconds(1));

  /**
   * One fungible scenario.
   *
   * @param keys distinct buckets, cycled through by every thread
   * @param offeredPerSecond a paced total rate, or 0 for a closed loop (each thread decides as fast as answered)
   */
  record Scenario(String id, String title, int threads, Limit limit, int keys, double offeredPerSecond) {}

  static final List<Scenario> FUNGIBLE = List.of(
      new Scenario("hot-1", "one hot bucket, 1 thread", 1, OPEN, 1, 0),
      new Scenario("hot-4", "one hot bucket, 4 threads", 4, OPEN, 1, 0),
      new Scenario("hot-16", "one hot bucket, 16 threads", 16, OPEN, 1, 0),
      new Scenario("keys-10k-16", "10,000 buckets, 16 threads", 16, OPEN, 10_000, 0),
      new Scenario("half-denied-16", "one bucket, 600/s offered to a limit of 300/s, 16 threads", 16,
          Limit.of(300, Duration.ofSeconds(1)), 1, 600),
      new Scenario("exhausted-16", "one exhausted bucket (50 per hour), 16 threads", 16,
          Limit.of(50, Duration.ofHours(1)), 1, 0));

  /**
   * One key far above one item's write rate, with leasing ({@link io.github.ratelimiter.Leasing#defaults()}: 100 ms
   * refresh, hot from 200/s) against this project's direct path and the floor: 30,000 decisions/s offered (paced)
   * to a limit of 20,000/s. Only this scenario runs the leased contender.
   */
  static final Scenario HOT_LEASED = new Scenario("hot-leased-16",
      "one bucket, 30,000/s offered (paced) to a limit of 20,000/s, 16 threads: leasing vs the direct path", 16,
      Limit.of(20_000, Duration.ofSeconds(1)), 1, 30_000);

  /**
   * The rate-limit service (ratelimiter-server) over gRPC on the same store, against this library in process and
   * the floor: 16 threads, 10,000 buckets, a non-binding limit, so the figures are the service's own cost per
   * decision (protobuf, HTTP/2 on loopback, the decision pool) on top of the library's.
   */
  static final Scenario RLS_GRPC = new Scenario("rls-grpc-16",
      "rate-limit service over gRPC vs the library in process, 10,000 buckets, 16 threads", 16, OPEN, 10_000, 0);

  /** Three limits on one key, none binding: what deciding several limits in one write costs. */
  static final List<Limit> QUOTA3 = List.of(Limit.of(100_000, Duration.ofSeconds(1)),
      Limit.of(3_000_000, Duration.ofMinutes(1)), Limit.of(100_000_000, Duration.ofHours(1)));

  /** The quota scenarios: each key a quota of {@link #QUOTA3}; the bound checked is the first limit's. */
  static final List<Scenario> QUOTAS = List.of(
      new Scenario("quota3-hot-1", "one bucket with a quota of 3 limits, 1 thread", 1, QUOTA3.get(0), 1, 0),
      new Scenario("quota3-keys-10k-16", "10,000 buckets with a quota of 3 limits, 16 threads", 16, QUOTA3.get(0),
          10_000, 0));

  /**
   * A decision across two keys (a tenant among 10,000 and one shared budget), 16 threads, limits never binding:
   * this project's {@code tryAcquireAll} (one write per key) against the floor's two unconditional-order writes.
   */
  static final Scenario TWO_KEY = new Scenario("two-key-16",
      "a tenant (of 10,000) and a shared budget decided together, 16 threads", 16, OPEN, 10_000, 0);

  /**
   * Costs known only afterwards: reserve an estimate of 100 tokens, settle an actual of 1 to 200, 16 threads over
   * 10,000 keys, a tokens limit that never binds; this project's reserve and settle (one write each, none to settle
   * at the estimate) against the floor's two writes.
   */
  static final Scenario RESERVE_SETTLE = new Scenario("reserve-settle-16",
      "reserve an estimate of 100 tokens, settle the actual (1 to 200), 16 threads over 10,000 keys", 16,
      Limit.of(100_000_000, Duration.ofSeconds(1)), 10_000, 0);

  /** Decisions the non-blocking scenarios keep in flight, from {@link #ISSUERS} threads. */
  static final int IN_FLIGHT = 256;
  /** The threads that issue the non-blocking scenarios' decisions. */
  static final int ISSUERS = 2;

  /**
   * A non-blocking scenario: {@link #ISSUERS} threads keep {@link #IN_FLIGHT} decisions in flight through the
   * contenders' non-blocking path ({@link Contender#fungibleAsync}; this project's {@code limiter.async()}), against
   * the blocking path of {@code baseline} (closed loop, one decision in flight per thread).
   */
  record AsyncScenario(Scenario scenario, String baseline) {}

  /** Issue 21: the non-blocking path on one hot bucket and on 10,000 buckets, the same limit as their baselines. */
  static final List<AsyncScenario> ASYNC = List.of(
      new AsyncScenario(new Scenario("async-hot-256",
          "one hot bucket, 256 decisions in flight from 2 threads (non-blocking path)", ISSUERS, OPEN, 1, 0),
          "hot-16"),
      new AsyncScenario(new Scenario("async-keys-10k-256",
          "10,000 buckets, 256 decisions in flight from 2 threads (non-blocking path)", ISSUERS, OPEN, 10_000, 0),
          "keys-10k-16"));

  static final String CHURN = "nonfungible-churn-8";
  static final int CHURN_THREADS = 8;
  static final int CHURN_CAP = 20;
  /** Each churn thread holds up to this many tokens, so 8 threads want 24 > 20 and the cap binds. */
  static final int CHURN_HELD_PER_THREAD = 3;

  private LoadHarness() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    Duration duration = Duration.ofMillis((long) (Double.parseDouble(options.getOrDefault("duration-seconds", "5"))
        * 1000));
    Duration warmup = Duration.ofMillis((long) (Double.parseDouble(options.getOrDefault("warmup-seconds", "3"))
        * 1000));
    Path out = Path.of(options.getOrDefault("out", "target/bench/load.json"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    List<String> only = options.containsKey("only") ? List.of(options.get("only").split(",")) : List.of();
    Implementation implementation = Implementation.named(options.getOrDefault("server", "dynalite"));
    boolean moto = implementation == Implementation.MOTO;
    Instant started = Instant.now();
    List<RunResult> results = new ArrayList<>();
    try (LocalDynamoDbServer server = LocalDynamoDbServer.builder().implementation(implementation).start()) {
      TableNames tables = TableNames.of("bench");
      try (DynamoDbClient admin = LocalDynamoDb.client(server.endpoint())) {
        DynamoDbTables.createIfMissing(admin, tables);
        createHashTable(admin, Bucket4jDynamoDb.TABLE, "key");
        createHashTable(admin, RawFloor.TABLE, "k");
      }
      try (ThisLibrary ours = new ThisLibrary(server.endpoint(), tables);
          ThisLibrary leased = new ThisLibrary(server.endpoint(), tables, Leasing.defaults());
          Bucket4jDynamoDb bucket4j = new Bucket4jDynamoDb(server.endpoint());
          RlsService rls = new RlsService(server.endpoint(), tables);
          RawFloor floor = new RawFloor(server.endpoint())) {
        List<Contender> contenders = moto ? List.of(ours, floor) : List.of(ours, bucket4j, floor);
        List<Contender> warmed = new ArrayList<>(contenders);
        if (!moto && (only.isEmpty() || only.contains(HOT_LEASED.id()))) {
          warmed.add(leased);
        }
        if (!moto && (only.isEmpty() || only.contains(RLS_GRPC.id()))) {
          warmed.add(rls);
        }
        List<AsyncScenario> async = ASYNC.stream()
            .filter(a -> !moto && (only.isEmpty() || only.contains(a.scenario().id())))
            .toList();
        for (Contender contender : warmed) {
          log("warming up %s for %s", contender.id(), warmup);
          Contender.Decider decider = contender.fungible("warmup", OPEN);
          Driver.run(4, warmup, thread -> i -> "w" + (i % 100), 0, () -> decider::decide);
          Contender.AsyncDecider asyncDecider = async.isEmpty() || !contenders.contains(contender) ? null
              : contender.fungibleAsync("warmup-async", OPEN);
          if (asyncDecider != null) {
            log("warming up %s's non-blocking path for %s", contender.id(), warmup);
            Driver.runAsync(ISSUERS, IN_FLIGHT, warmup, thread -> i -> "w" + (i % 100), asyncDecider::decide);
          }
        }
        int run = 0;
        List<String> ran = new ArrayList<>();
        for (Scenario scenario : FUNGIBLE) {
          if (!only.isEmpty() && !only.contains(scenario.id())) {
            continue;
          }
          ran.add(scenario.id());
          for (int round = 0; round < rounds; round++) {
            for (Contender contender : rotate(contenders, round)) {
              RunResult result = fungible(contender, scenario, duration, "r" + run++).withRound(round);
              results.add(result);
              log("%-16s %-12s round %d %9.0f decisions/s  %5.3f req/decision  admitted %d denied %d errors %d  "
                      + "p50 %.2f ms p99 %.2f ms  cpu %.0f/%.0f us/decision (client/server)  over-admitted %d",
                  scenario.id(), contender.id(), round, result.decisionsPerSecond(), result.requestsPerDecision(),
                  result.admitted(), result.denied(), result.errors(), result.p50Micros() / 1e3,
                  result.p99Micros() / 1e3, result.cpuMicrosPerDecision(), result.serverCpuMicrosPerDecision(),
                  result.overAdmitted());
            }
            // the same round of the non-blocking scenarios measured against this one
            for (AsyncScenario a : async) {
              if (a.baseline().equals(scenario.id())) {
                run = asyncRound(a, contenders, round, duration, run, results);
              }
            }
          }
        }
        for (AsyncScenario a : async) {
          if (!ran.contains(a.baseline())) { // its baseline not selected: on its own
            for (int round = 0; round < rounds; round++) {
              run = asyncRound(a, contenders, round, duration, run, results);
            }
          }
        }
        List<Scenario> several = new ArrayList<>(QUOTAS);
        several.add(TWO_KEY);
        several.add(RESERVE_SETTLE);
        for (Scenario scenario : several) {
          if (moto || (!only.isEmpty() && !only.contains(scenario.id()))) {
            continue;
          }
          for (int round = 0; round < rounds; round++) {
            for (Contender contender : rotate(contenders, round)) {
              Contender.Decider decider = scenario == TWO_KEY
                  ? contender.twoKeys(scenario.id() + "-tenant-r" + run, scenario.id() + "-shared-r" + run, OPEN, OPEN)
                  : scenario == RESERVE_SETTLE ? contender.reserveSettle(scenario.id() + "-r" + run, scenario.limit())
                  : contender.quota(scenario.id() + "-r" + run, QUOTA3);
              if (decider == null) {
                continue; // this contender has no such decision
              }
              RunResult result = measure(contender, scenario, decider, duration).withRound(round);
              run++;
              results.add(result);
              log("%-18s %-12s round %d %9.0f decisions/s  %5.3f req/decision  admitted %d denied %d errors %d  "
                      + "p50 %.2f ms p99 %.2f ms  cpu %.0f/%.0f us/decision (client/server)  over-admitted %d",
                  scenario.id(), contender.id(), round, result.decisionsPerSecond(), result.requestsPerDecision(),
                  result.admitted(), result.denied(), result.errors(), result.p50Micros() / 1e3,
                  result.p99Micros() / 1e3, result.cpuMicrosPerDecision(), result.serverCpuMicrosPerDecision(),
                  result.overAdmitted());
            }
          }
        }
        if (!moto && (only.isEmpty() || only.contains(HOT_LEASED.id()))) {
          for (int round = 0; round < rounds; round++) {
            for (Contender contender : rotate(List.of(leased, ours, floor), round)) {
              RunResult result = fungible(contender, HOT_LEASED, duration, "r" + run++).withRound(round);
              results.add(result);
              log("%-16s %-18s round %d %9.0f decisions/s  %7.5f req/decision  admitted %d denied %d errors %d  "
                      + "%.1f%% of the bound  p50 %.3f ms p99 %.2f ms  over-admitted %d", HOT_LEASED.id(),
                  contender.id(), round, result.decisionsPerSecond(), result.requestsPerDecision(), result.admitted(),
                  result.denied(), result.errors(), 100 * Report.ofBound(result, HOT_LEASED.limit()),
                  result.p50Micros() / 1e3, result.p99Micros() / 1e3, result.overAdmitted());
            }
          }
        }
        if (!moto && (only.isEmpty() || only.contains(RLS_GRPC.id()))) {
          for (int round = 0; round < rounds; round++) {
            for (Contender contender : rotate(List.of(rls, ours, floor), round)) {
              RunResult result = fungible(contender, RLS_GRPC, duration, "r" + run++).withRound(round);
              results.add(result);
              log("%-16s %-12s round %d %9.0f decisions/s  %5.3f req/decision  admitted %d denied %d errors %d  "
                      + "p50 %.2f ms p99 %.2f ms  over-admitted %d", RLS_GRPC.id(), contender.id(), round,
                  result.decisionsPerSecond(), result.requestsPerDecision(), result.admitted(), result.denied(),
                  result.errors(), result.p50Micros() / 1e3, result.p99Micros() / 1e3, result.overAdmitted());
            }
          }
        }
        if (!moto && (only.isEmpty() || only.contains(CHURN))) {
          // The churn's code paths (queries and slot writes, on the client and on the server) run nowhere else:
          // warm both contenders up on them first, as the fungible scenarios' paths are, or the first rounds
          // measure compilation
          log("warming up %s for %s", CHURN, warmup);
          churn(ours, warmup, "warmup");
          churnFloor(floor, warmup, "warmup");
          for (int round = 0; round < rounds; round++) {
            for (Contender contender : rotate(List.of(ours, floor), round)) {
              RunResult result = (contender == ours ? churn(ours, duration, "r" + run++)
                  : churnFloor(floor, duration, "r" + run++)).withRound(round);
              results.add(result);
              log("%-16s %-12s round %d %9.0f cycles/s  %5.3f req/cycle  granted %d denied %d errors %d  "
                      + "p50 %.2f ms p99 %.2f ms  over-admitted %d", CHURN, contender.id(), round,
                  result.decisionsPerSecond(), result.requestsPerDecision(), result.admitted(), result.denied(),
                  result.errors(), result.p50Micros() / 1e3, result.p99Micros() / 1e3, result.overAdmitted());
            }
          }
        }
      }
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(out.toFile(), new LoadReport(started.toString(), duration.toMillis() / 1000.0,
            warmup.toMillis() / 1000.0, rounds, results, implementation.toString()));
    log("wrote %s", out);
    System.exit(0);
  }

  /** The whole harness output; {@code server} is {@code dynalite} or {@code moto} (null in files from before). */
  public record LoadReport(String startedAt, double durationSeconds, double warmupSeconds, int rounds,
      List<RunResult> runs, String server) {}

  /** The contenders in another order each round, so that none always runs first (or last) on the server. */
  static <T> List<T> rotate(List<T> list, int by) {
    List<T> rotated = new ArrayList<>(list);
    java.util.Collections.rotate(rotated, -by);
    return rotated;
  }

  /** One round of a non-blocking scenario, each contender with a non-blocking path in turn; returns the next run. */
  private static int asyncRound(AsyncScenario a, List<Contender> contenders, int round, Duration duration, int run,
      List<RunResult> results) throws InterruptedException {
    Scenario scenario = a.scenario();
    for (Contender contender : rotate(contenders, round)) {
      Contender.AsyncDecider decider = contender.fungibleAsync(scenario.id() + "-r" + run, scenario.limit());
      if (decider == null) {
        continue; // no non-blocking path
      }
      run++;
      RunResult result = measureAsync(contender, scenario, decider, duration).withRound(round);
      results.add(result);
      log("%-18s %-12s round %d %9.0f decisions/s  %5.3f req/decision  admitted %d denied %d errors %d  "
              + "p50 %.2f ms p99 %.2f ms  cpu %.0f/%.0f us/decision (client, all threads/server)  in flight %.1f "
              + "(mean)  issuers in call %.0f%%  peak threads %d  over-admitted %d",
          scenario.id(), contender.id(), round, result.decisionsPerSecond(), result.requestsPerDecision(),
          result.admitted(), result.denied(), result.errors(), result.p50Micros() / 1e3, result.p99Micros() / 1e3,
          result.threadsCpuMicrosPerDecision(), result.serverCpuMicrosPerDecision(), result.meanInFlight(),
          100 * result.issuersBusy(), result.peakThreads(), result.overAdmitted());
    }
    return run;
  }

  static RunResult fungible(Contender contender, Scenario scenario, Duration duration, String run)
      throws InterruptedException {
    String resource = scenario.id() + "-" + run;
    return measure(contender, scenario, contender.fungible(resource, scenario.limit()), duration);
  }

  /** Runs {@code decider} as {@code scenario} says and checks each key against the scenario's limit. */
  static RunResult measure(Contender contender, Scenario scenario, Contender.Decider decider, Duration duration)
      throws InterruptedException {
    Map<String, Long> before = contender.requests();
    Driver.Measured m = Driver.run(scenario.threads(), duration, keysOf(scenario), scenario.offeredPerSecond(),
        () -> decider::decide);
    return checked(contender, scenario, m, minus(contender.requests(), before));
  }

  /**
   * Runs {@code decider} as the non-blocking {@code scenario} says ({@link #IN_FLIGHT} in flight from its threads)
   * and checks each key against the scenario's limit.
   */
  static RunResult measureAsync(Contender contender, Scenario scenario, Contender.AsyncDecider decider,
      Duration duration) throws InterruptedException {
    Map<String, Long> before = contender.requests();
    Driver.Measured m = Driver.runAsync(scenario.threads(), IN_FLIGHT, duration, keysOf(scenario), decider::decide);
    return checked(contender, scenario, m, minus(contender.requests(), before));
  }

  /** The keys of each thread: the one hot key, or every thread cycling over all of the scenario's keys. */
  private static IntFunction<IntFunction<String>> keysOf(Scenario scenario) {
    int threads = scenario.threads();
    int keys = scenario.keys();
    return keys == 1
        ? thread -> i -> "hot"
        : thread -> i -> "k" + (int) (((long) i * threads + thread) % keys);
  }

  /** The result of a measured run, each key checked against the exact bound of the scenario's limit. */
  private static RunResult checked(Contender contender, Scenario scenario, Driver.Measured m,
      Map<String, Long> requests) {
    int threads = scenario.threads();
    int keys = scenario.keys();
    Limit limit = scenario.limit();
    long window = limit.window().toNanos();
    // The exact bound from the first request: limit + floor(elapsed * limit / window), per key.
    long bound = limit.limit() + Math.multiplyExact(m.elapsedNanos(), limit.limit()) / window;
    long worst = Long.MIN_VALUE;
    long over = 0;
    for (long admitted : m.admittedPerKey().values()) {
      worst = Math.max(worst, admitted - bound);
      over += Math.max(0, admitted - bound);
    }
    if (m.admittedPerKey().isEmpty()) {
      worst = -bound;
    }
    if (m.errors() > 0) {
      log("%s %s: %d errors, first: %s", scenario.id(), contender.id(), m.errors(), m.firstError());
    }
    return result(scenario.id(), contender.id(), threads, m, requests, contender.claimsExactness(), worst, over,
        "per key: " + limit.limit() + " + floor(elapsed x " + limit.limit() + " / " + limit.window() + ") = " + bound
            + (keys > 1 ? " for each of " + keys + " keys" : ""));
  }

  /**
   * The non-fungible churn: 8 threads each hold up to 3 tokens under a cap of 20 on one account. Every iteration
   * first releases the oldest token if the thread holds 3, then asks for a reservation and, when granted, turns it
   * into a token. A decision is one reservation attempt. Live tokens are counted in this process (incremented after a
   * grant, decremented before the release, so never above the server's count): a count above the cap would prove an
   * over-grant.
   */
  static RunResult churn(ThisLibrary ours, Duration duration, String run) throws InterruptedException {
    NonFungibleLimiter limiter = ours.nonFungible("churn-" + run, CHURN_CAP);
    AtomicInteger live = new AtomicInteger();
    AtomicInteger maxLive = new AtomicInteger();
    List<ArrayDeque<Token>> held = new ArrayList<>();
    Map<String, Long> before = ours.requests();
    Driver.Measured m = Driver.run(CHURN_THREADS, duration, thread -> i -> "account", 0, () -> {
      ArrayDeque<Token> mine = new ArrayDeque<>();
      synchronized (held) {
        held.add(mine);
      }
      return key -> {
        if (mine.size() >= CHURN_HELD_PER_THREAD) {
          live.decrementAndGet();
          mine.removeFirst().release();
        }
        Optional<Reservation> reservation = limiter.tryReserve(key);
        if (reservation.isEmpty()) {
          return false;
        }
        maxLive.accumulateAndGet(live.incrementAndGet(), Math::max);
        mine.addLast(reservation.get().createToken(UUID.randomUUID().toString()));
        return true;
      };
    });
    Map<String, Long> requests = minus(ours.requests(), before);
    int leftLive = limiter.activeTokens("account").size();
    for (ArrayDeque<Token> mine : held) {
      mine.forEach(Token::release);
    }
    long worst = maxLive.get() - CHURN_CAP;
    return result(CHURN, ours.id(), CHURN_THREADS, m, requests, true, worst, Math.max(0, worst),
        "most live tokens counted at once in the client: " + maxLive.get() + " (cap " + CHURN_CAP
            + "); live rows in the table when the run stopped: " + leftLive + " (then released)");
  }

  /**
   * The churn's floor: per decision the three writes any reserve/create/release needs at least (a conditional
   * PutItem, an UpdateItem, a DeleteItem), on rows of this thread only: no query, no race, no cap.
   */
  static RunResult churnFloor(RawFloor floor, Duration duration, String run) throws InterruptedException {
    DynamoDbClient client = floor.client();
    AtomicInteger ids = new AtomicInteger();
    Map<String, Long> before = floor.requests();
    Driver.Measured m = Driver.run(CHURN_THREADS, duration, thread -> i -> "t" + thread + "-" + (i % 3), 0, () -> {
      String prefix = run + "-" + ids.incrementAndGet() + "-";
      return key -> {
        Map<String, AttributeValue> item = Map.of("k", AttributeValue.fromS(prefix + key));
        client.putItem(b -> b.tableName(RawFloor.TABLE).item(item).conditionExpression("attribute_not_exists(k)"));
        client.updateItem(b -> b.tableName(RawFloor.TABLE).key(item).updateExpression("SET r = :r")
            .conditionExpression("attribute_exists(k)")
            .expressionAttributeValues(Map.of(":r", AttributeValue.fromS(UUID.randomUUID().toString()))));
        client.deleteItem(b -> b.tableName(RawFloor.TABLE).key(item));
        return true;
      };
    });
    return result(CHURN, floor.id(), CHURN_THREADS, m, minus(floor.requests(), before), false, 0, 0,
        "no cap: 3 writes per cycle on rows of one thread");
  }

  private static RunResult result(String scenario, String contender, int threads, Driver.Measured m,
      Map<String, Long> requests, boolean checked, long worst, long over, String note) {
    return new RunResult(scenario, contender, threads, m.elapsedNanos(), m.admitted() + m.denied(), m.admitted(),
        m.denied(), m.errors(), m.latency().getValueAtPercentile(50) / 1e3,
        m.latency().getValueAtPercentile(99) / 1e3, m.latency().getValueAtPercentile(99.9) / 1e3,
        m.latency().getMaxValue() / 1e3, requests, m.cpuNanos(), m.workerCpuNanos(), m.serverCpuNanos(), checked,
        worst, over, note, 0, m.inFlight(), m.meanInFlight(), m.threadsCpuNanos(), m.peakThreads(), m.issuersBusy());
  }

  private static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
    Map<String, Long> diff = new TreeMap<>();
    after.forEach((op, n) -> {
      long d = n - before.getOrDefault(op, 0L);
      if (d != 0) {
        diff.put(op, d);
      }
    });
    return diff;
  }

  private static void createHashTable(DynamoDbClient client, String table, String hashKey) {
    if (client.listTables().tableNames().contains(table)) {
      return;
    }
    client.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(AttributeDefinition.builder().attributeName(hashKey)
            .attributeType(ScalarAttributeType.S).build())
        .keySchema(KeySchemaElement.builder().attributeName(hashKey).keyType(KeyType.HASH).build()));
    client.waiter().waitUntilTableExists(b -> b.tableName(table));
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new TreeMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: LoadHarness [--duration-seconds N] [--warmup-seconds N]"
            + " [--rounds N] [--out FILE] [--only id,id] [--server dynalite|moto]; got '" + args[i] + "'");
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  static void log(String format, Object... args) {
    System.err.println(String.format(format, args));
  }
}
