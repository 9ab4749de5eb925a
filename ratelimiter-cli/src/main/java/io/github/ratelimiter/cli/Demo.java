package io.github.ratelimiter.cli;

import io.github.ratelimiter.Decision;
import io.github.ratelimiter.FungibleLimiter;
import io.github.ratelimiter.Limit;
import io.github.ratelimiter.NonFungibleLimiter;
import io.github.ratelimiter.Quota;
import io.github.ratelimiter.RateLimiters;
import io.github.ratelimiter.Reservation;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.DynamoDbTables;
import io.github.ratelimiter.dynamodb.LimitLoader;
import io.github.ratelimiter.dynamodb.ServiceLimits;
import io.github.ratelimiter.dynamodb.SyncPlan;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.RequestCounter;
import io.github.ratelimiter.local.LocalDynamoDbServer;
import io.github.ratelimiter.store.InMemoryStore;
import io.github.ratelimiter.store.RateLimitStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The demo: tenants of different sizes calling a fungible resource ({@code orders-api}) from several threads, and
 * launching cluster-like resources under a non-fungible cap ({@code emr-cluster}), whose termination events are
 * processed by a separate thread that releases tokens by resource id, as the event Lambda does.
 *
 * <p>The limits come from {@code demo-limits.yaml}, loaded with {@link LimitLoader}. One more tenant calls another
 * resource, {@code search-api}, under a quota of two limits decided together (20 per second and 200 per minute),
 * the limiter's default quota in code ({@link RateLimiters#fungible(String, Quota)}): the tenant has no row. The
 * clock is the real one. Every tenant's admitted count is checked against the exact bound of each of its limits
 * over the run, {@code limit + floor(elapsed * limit / window)}, and its tokens held against its cap.
 */
final class Demo {

  static final String SERVICE = "demo";
  static final String API = "orders-api";
  static final String CLUSTERS = "emr-cluster";
  /** The resource of the tenant on a quota of two limits. */
  static final String SEARCH = "search-api";
  /** Its default quota: 20 per second, and 200 per minute, which takes over after about 11 s of full speed. */
  static final Quota SEARCH_QUOTA = Quota.builder()
      .limit("per-second", Limit.of(20, Duration.ofSeconds(1)))
      .limit("per-minute", Limit.of(200, Duration.ofMinutes(1)))
      .build();
  static final Duration SAMPLE_EVERY = Duration.ofMillis(250);

  /**
   * A tenant's workload: the fungible resource it calls, its callers and their pace (pause between calls), and the
   * resource's default quota ({@code null}: the tenant's row in the limit file applies).
   */
  record Workload(String tenant, int threads, int pauseMillis, String resource, Quota defaultQuota) {
    Workload(String tenant, int threads, int pauseMillis) {
      this(tenant, threads, pauseMillis, API, null);
    }
  }

  static final List<Workload> WORKLOADS = List.of(
      new Workload("acme", 4, 10),       // large: ~400 calls/s against 50/s
      new Workload("globex", 2, 15),     // medium: ~130 calls/s against 20/s
      new Workload("initech", 1, 100),   // small and polite: ~10 calls/s against 15/s, nothing denied
      new Workload("umbrella", 1, 25),   // small limit, long window: ~40 calls/s against 2/s
      new Workload("hooli", 2, 15, SEARCH, SEARCH_QUOTA)); // ~130 calls/s against 20/s, then 200/min

  private final RateLimiterCli root;
  private final Duration duration;
  private final Path chartPath;
  private final boolean forceInMemory;
  private final boolean live;
  private final PrintWriter out;
  private final Clock clock = Clock.systemUTC();

  Demo(RateLimiterCli root, Duration duration, Path chartPath, boolean forceInMemory, boolean live) {
    this.root = root;
    this.duration = duration;
    this.chartPath = chartPath;
    this.forceInMemory = forceInMemory;
    this.live = live;
    this.out = root.json ? root.err() : root.out();
  }

  /** One tenant's counters, written by its threads and read by the monitor. */
  static final class Tenant {
    final Workload workload;
    /** The limits that apply to the tenant: one (its row), or several decided together. */
    final Quota quota;
    /** The first (for a quota of one, the only) limit. */
    final Limit limit;
    final long cap;
    final LongAdder offered = new LongAdder();
    final LongAdder admitted = new LongAdder();
    final LongAdder denied = new LongAdder();
    final LongAdder launched = new LongAdder();
    final LongAdder failedLaunches = new LongAdder();
    final LongAdder capDenials = new LongAdder();
    final LongAdder releasedByEvents = new LongAdder();
    final AtomicInteger maxHeld = new AtomicInteger(); // the most live rows the store listed at once
    /** {elapsed millis, admitted, the first limit's bound, live clusters, the other limits' bounds in order}. */
    final List<long[]> samples = new ArrayList<>();

    Tenant(Workload workload, Limit limit, long cap) {
      this(workload, Quota.of(limit), cap);
    }

    Tenant(Workload workload, Quota quota, long cap) {
      this.workload = workload;
      this.quota = quota;
      this.limit = quota.first();
      this.cap = cap;
    }

    String name() {
      return workload.tenant();
    }

    String resource() {
      return workload.resource();
    }

    /** Whether the tenant is on a quota of several limits. */
    boolean onQuota() {
      return quota.size() > 1;
    }

    /** The limits as people write them: {@code 50 per 1s}, or {@code 20 per 1s and 200 per 1m}. */
    String limits() {
      return String.join(" and ", quota.limits().values().stream().map(Limit::toString).toList());
    }

    /**
     * What the tenant does, in one line: its pace against its limit (a polite tenant stays under its limit, so it is
     * never denied and its admitted count stays below the bound, which counts the full burst it never uses) and
     * its cap.
     */
    String description() {
      double offered = workload.threads() * 1000.0 / workload.pauseMillis(); // at most: each call also takes time
      double allowed = limit.limit() * 1e9 / limit.window().toNanos();
      String pace = offered < allowed
          ? String.format("polite: ~%.0f calls/s under its %s, never denied, below its bound", offered, limits())
          : onQuota() ? String.format("greedy: ~%.0f calls/s for %s together", offered, String.join(" and ",
              quota.limits().values().stream().map(l -> l.limit() + "/" + Durations.human(l.window())).toList()))
          : String.format("greedy: ~%.0f calls/s for %s, the rest denied", offered, limits());
      return pace + "; up to " + cap + (cap == 1 ? " cluster" : " clusters");
    }

    /**
     * The most the tenant can have been granted after {@code elapsed}: the tightest of its limits' bounds (every
     * admission is charged to every limit, so each bound holds for the admitted count).
     */
    long bound(Duration elapsed) {
      return bounds(elapsed).values().stream().mapToLong(Long::longValue).min().orElseThrow();
    }

    /** Each limit's bound after {@code elapsed}, by name, in the quota's order. */
    Map<String, Long> bounds(Duration elapsed) {
      Map<String, Long> bounds = new LinkedHashMap<>();
      quota.limits().forEach((name, l) -> bounds.put(name, bound(l, elapsed)));
      return bounds;
    }

    /** The most a token bucket that was at most full at the start can have granted after {@code elapsed}. */
    static long bound(Limit limit, Duration elapsed) {
      BigInteger refill = BigInteger.valueOf(elapsed.toNanos()).multiply(BigInteger.valueOf(limit.limit()))
          .divide(BigInteger.valueOf(limit.window().toNanos()));
      return limit.limit() + refill.longValueExact();
    }

    /** Whether the admitted count is within every limit's bound. */
    boolean withinBounds(Duration elapsed) {
      return admitted.sum() <= bound(elapsed);
    }
  }

  /** A cluster's termination, due at a time: what the event Lambda would receive. */
  record Termination(String tenant, String clusterId, long dueNanos) implements Delayed {
    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(dueNanos, ((Termination) other).dueNanos);
    }
  }

  int run() {
    System.setProperty("java.awt.headless", "true");
    LocalDynamoDbServer server = null;
    RequestCounter requests = new RequestCounter();
    RateLimitStore store;
    String storeDescription;
    URI endpoint = root.endpointOrNull();
    if (endpoint == null && !forceInMemory) {
      try {
        out.println("starting a local DynamoDB-compatible server (dynalite) ...");
        out.flush();
        server = LocalDynamoDbServer.start();
        endpoint = server.endpoint();
      } catch (IllegalStateException e) {
        out.println("cannot start dynalite (" + e.getMessage() + "): falling back to the in-memory store");
      }
    }
    try {
      ServiceLimits limits = sampleLimits();
      if (endpoint != null) {
        TableNames names = demoTableNames();
        DynamoDbStore dynamo = DynamoDbStore.builder().client(root.client(endpoint)).ownsClient(true)
            .tableNames(names).build();
        List<String> created = DynamoDbTables.createIfMissing(dynamo.client(), names);
        storeDescription = "DynamoDB at " + endpoint + (server != null ? " (dynalite, stopped at the end)" : "")
            + ", tables " + names.fungibleTable() + ", " + names.limitTable() + ", " + names.nonFungibleTable()
            + (created.isEmpty() ? "" : " (created)");
        SyncPlan plan = LimitLoader.create(dynamo.client(), names).sync(limits, false);
        int width = LiveView.terminalWidth(root.environment());
        out.println(Output.wrap("store: " + storeDescription, width));
        out.println(Output.wrap("limits: demo-limits.yaml loaded with LimitLoader: " + plan.summary(), width));
        if (plan.hasConflicts()) {
          out.println("note: " + plan.conflicts().size() + " demo limit row(s) belong to another service and were left"
              + " alone; the stored rows apply");
        }
        dynamo.close();
        // the workload's own store and client, its requests counted
        store = DynamoDbStore.builder().client(root.client(endpoint, requests)).ownsClient(true)
            .tableNames(names).build();
      } else {
        InMemoryStore memory = InMemoryStore.create();
        limits.limits().forEach(memory.limits()::put);
        store = memory;
        requests = null;
        out.println("store: in-memory (single process)");
        out.println("limits: demo-limits.yaml, " + limits.limits().size() + " rows");
      }
      out.flush();
      try (RateLimiters limiters = RateLimiters.builder().store(store).clock(clock).build()) {
        return drive(limiters, tenants(limiters), requests);
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  private TableNames demoTableNames() {
    TableNames names = root.tablesConfigured() ? root.tableNames() : TableNames.of("ratelimiter-demo");
    if (names.fungibleTable() == null || names.limitTable() == null || names.nonFungibleTable() == null) {
      throw new IllegalArgumentException("the demo needs all three tables: set --base-name or every table name");
    }
    return names;
  }

  static ServiceLimits sampleLimits() {
    try (InputStream in = Demo.class.getResourceAsStream("demo-limits.yaml")) {
      if (in == null) {
        throw new IllegalStateException("demo-limits.yaml is missing from the jar");
      }
      return ServiceLimits.parseYaml(SERVICE, "demo-limits.yaml", new String(in.readAllBytes(),
          StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<Tenant> tenants(RateLimiters limiters) {
    List<Tenant> tenants = new ArrayList<>();
    for (Workload w : WORKLOADS) {
      // what the limiters will apply: the stored rows (the file's, unless another owner kept its own); every tenant
      // of orders-api has rows, so its default (drive's: there is one limiter per name) never applies; the quota
      // tenant has none, so its resource's default quota applies
      Quota quota = api(limiters, w).quotaFor(w.tenant());
      long cap = limiters.nonFungible(CLUSTERS, 1).limitFor(w.tenant());
      tenants.add(new Tenant(w, quota, cap));
    }
    return tenants;
  }

  /** The fungible limiter a workload calls: orders-api's (its default never applies), or its own quota's. */
  private static FungibleLimiter api(RateLimiters limiters, Workload w) {
    return w.defaultQuota() == null ? limiters.fungible(w.resource(), Limit.of(1, Duration.ofSeconds(1)))
        : limiters.fungible(w.resource(), w.defaultQuota());
  }

  /** The shared state of one run: what the callers, launchers, event Lambda and monitor threads share. */
  private record Run(Map<String, FungibleLimiter> apis, NonFungibleLimiter clusters, DelayQueue<Termination> events,
      AtomicBoolean running, Map<String, Tenant> byName, List<Throwable> failures) {}

  private int drive(RateLimiters limiters, List<Tenant> tenants, RequestCounter requests) {
    Map<String, Tenant> byName = new LinkedHashMap<>();
    tenants.forEach(t -> byName.put(t.name(), t));
    Map<String, FungibleLimiter> apis = new LinkedHashMap<>();
    tenants.forEach(t -> apis.put(t.name(), api(limiters, t.workload)));
    Run run = new Run(apis, limiters.nonFungible(CLUSTERS, 1), new DelayQueue<>(), new AtomicBoolean(true), byName,
        new java.util.concurrent.CopyOnWriteArrayList<>());

    out.println();
    out.println("running " + Durations.human(duration) + ": " + tenants.size() + " tenants on '" + API + "', '"
        + SEARCH + "' and '" + CLUSTERS + "' ...");
    out.flush();
    if (requests != null) {
      requests.reset();
    }
    List<Thread> threads = new ArrayList<>();
    for (Tenant tenant : tenants) {
      for (int i = 0; i < tenant.workload.threads(); i++) {
        threads.add(thread("api-" + tenant.name() + "-" + i, run.failures(), () -> callApi(run, tenant)));
      }
      threads.add(thread("clusters-" + tenant.name(), run.failures(), () -> launchClusters(run, tenant)));
    }
    AtomicBoolean lambdaRunning = new AtomicBoolean(true);
    Thread lambda = thread("event-lambda", run.failures(), () -> releaseEndedClusters(run, lambdaRunning));
    Instant start = clock.instant();
    threads.forEach(Thread::start);
    lambda.start();

    LiveView view = new LiveView(out, live, duration, LiveView.terminalWidth(root.environment()));
    monitor(run, tenants, start, view);
    run.running().set(false);
    for (Thread t : threads) {
      join(t);
    }
    Instant end = clock.instant();
    lambdaRunning.set(false);
    join(lambda);
    Duration elapsed = Duration.between(start, end);
    sample(run, tenants, elapsed);
    view.finish();
    if (!run.failures().isEmpty()) {
      Throwable first = run.failures().get(0);
      if (first instanceof RuntimeException e) {
        throw e;
      }
      throw new IllegalStateException(first);
    }
    return DemoReport.print(root, tenants, elapsed, requests, chartPath);
  }

  /** One API caller of a tenant: a call, then the workload's pause, until the run ends. */
  private static void callApi(Run run, Tenant tenant) throws InterruptedException {
    while (run.running().get()) {
      Decision decision = run.apis().get(tenant.name()).tryAcquire(tenant.name());
      tenant.offered.increment();
      (decision.allowed() ? tenant.admitted : tenant.denied).increment();
      pause(tenant.workload.pauseMillis());
    }
  }

  /**
   * A tenant's cluster launcher: reserve a slot, launch (one in ten launches fails, and closing the reservation
   * frees the slot), turn the reservation into the cluster's token, and schedule the cluster's termination event.
   */
  private static void launchClusters(Run run, Tenant tenant) throws InterruptedException {
    while (run.running().get()) {
      Optional<Reservation> reservation = run.clusters().tryReserve(tenant.name());
      if (reservation.isEmpty()) {
        tenant.capDenials.increment();
        pause(150);
        continue;
      }
      try (Reservation r = reservation.get()) {
        pause(20 + ThreadLocalRandom.current().nextInt(60)); // launching
        if (ThreadLocalRandom.current().nextInt(10) == 0) {
          tenant.failedLaunches.increment();
          continue;
        }
        String clusterId = "j-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 45), 36)
            .toUpperCase(java.util.Locale.ROOT);
        r.createToken(clusterId);
        tenant.launched.increment();
        long lifetime = TimeUnit.MILLISECONDS.toNanos(400 + ThreadLocalRandom.current().nextInt(2500));
        run.events().add(new Termination(tenant.name(), clusterId, System.nanoTime() + lifetime));
      }
      pause(50 + ThreadLocalRandom.current().nextInt(200));
    }
  }

  /**
   * The event "Lambda": releases a cluster's token by its id when the cluster terminates; when the demo ends, every
   * cluster still running terminates.
   */
  private static void releaseEndedClusters(Run run, AtomicBoolean running) throws InterruptedException {
    while (running.get()) {
      Termination event = run.events().poll(100, TimeUnit.MILLISECONDS);
      if (event != null && run.clusters().release(event.clusterId())) {
        run.byName().get(event.tenant()).releasedByEvents.increment();
      }
    }
    for (Termination event : run.events().toArray(new Termination[0])) {
      if (run.events().remove(event) && run.clusters().release(event.clusterId())) {
        run.byName().get(event.tenant()).releasedByEvents.increment();
      }
    }
  }

  /** Samples every tenant each {@link #SAMPLE_EVERY} until the duration has passed, redrawing the view each second. */
  private void monitor(Run run, List<Tenant> tenants, Instant start, LiveView view) {
    long startNanos = System.nanoTime();
    long endNanos = startNanos + duration.toNanos();
    long nextSample = startNanos;
    int tick = 0;
    while (System.nanoTime() < endNanos && run.failures().isEmpty()) {
      nextSample += SAMPLE_EVERY.toNanos();
      sleepUntil(Math.min(nextSample, endNanos));
      Duration elapsed = Duration.between(start, clock.instant());
      Map<String, Integer> liveTokens = sample(run, tenants, elapsed);
      if (++tick % 4 == 0) {
        view.render(elapsed, tenants, liveTokens);
      }
    }
  }

  /**
   * Records one sample per tenant: {elapsed millis, admitted, the first limit's bound, live clusters, the other
   * limits' bounds}, the live clusters as the store lists them (reservations and tokens, both count against the cap).
   */
  private static Map<String, Integer> sample(Run run, List<Tenant> tenants, Duration elapsed) {
    Map<String, Integer> liveTokens = new LinkedHashMap<>();
    for (Tenant t : tenants) {
      int count = run.clusters().activeTokens(t.name()).size();
      liveTokens.put(t.name(), count);
      t.maxHeld.accumulateAndGet(count, Math::max);
      List<Long> bounds = new ArrayList<>(t.bounds(elapsed).values());
      long[] sample = new long[3 + bounds.size()];
      sample[0] = elapsed.toMillis();
      sample[1] = t.admitted.sum();
      sample[2] = bounds.get(0);
      sample[3] = count;
      for (int i = 1; i < bounds.size(); i++) {
        sample[3 + i] = bounds.get(i);
      }
      t.samples.add(sample);
    }
    return liveTokens;
  }

  private static Thread thread(String name, List<Throwable> failures, Body body) {
    Thread thread = new Thread(() -> {
      try {
        body.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable e) {
        failures.add(e);
      }
    }, "demo-" + name);
    thread.setDaemon(true);
    return thread;
  }

  @FunctionalInterface
  private interface Body {
    void run() throws Exception;
  }

  private static void pause(int millis) throws InterruptedException {
    Thread.sleep(millis);
  }

  private static void sleepUntil(long nanoTime) {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void join(Thread thread) {
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
