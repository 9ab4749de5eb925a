package io.github.ratelimiter.cli;

import io.github.ratelimiter.dynamodb.client.RequestCounter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The demo's summary (table or JSON) and chart; the exit code says whether every bound and cap held. */
final class DemoReport {

  private DemoReport() {}

  static int print(RateLimiterCli root, List<Demo.Tenant> tenants, Duration elapsed, RequestCounter requests,
      Path chartPath) {
    Path chart = DemoChart.write(chartPath, tenants, elapsed);
    boolean withinBounds = tenants.stream().allMatch(t -> t.withinBounds(elapsed));
    boolean withinCaps = tenants.stream().allMatch(t -> t.maxHeld.get() <= t.cap);
    long admitted = tenants.stream().mapToLong(t -> t.admitted.sum()).sum();
    PrintWriter out = root.out();
    if (root.json) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("elapsedMillis", elapsed.toMillis());
      json.put("withinBounds", withinBounds);
      json.put("withinCaps", withinCaps);
      json.put("chart", chart.toString());
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Demo.Tenant t : tenants) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("tenant", t.name());
        row.put("resource", t.resource());
        row.put("limit", t.limit.limit());
        row.put("windowSec", Durations.seconds(t.limit.window()));
        row.put("offered", t.offered.sum());
        row.put("admitted", t.admitted.sum());
        row.put("denied", t.denied.sum());
        row.put("bound", t.bound(elapsed)); // the tightest of the limits' bounds
        Map<String, Long> bounds = t.bounds(elapsed);
        List<Map<String, Object>> limits = new ArrayList<>();
        t.quota.limits().forEach((name, limit) -> {
          Map<String, Object> l = new LinkedHashMap<>();
          l.put("name", name);
          l.put("limit", limit.limit());
          l.put("windowSec", Durations.seconds(limit.window()));
          l.put("bound", bounds.get(name));
          limits.add(l);
        });
        row.put("limits", limits);
        row.put("clusterCap", t.cap);
        row.put("clustersLaunched", t.launched.sum());
        row.put("failedLaunches", t.failedLaunches.sum());
        row.put("reservationsDenied", t.capDenials.sum());
        row.put("releasedByEvents", t.releasedByEvents.sum());
        row.put("maxClustersHeld", t.maxHeld.get());
        rows.add(row);
      }
      json.put("tenants", rows);
      json.put("requests", requests == null ? null : requests.snapshot());
      Output.json(out, json);
    } else {
      int width = LiveView.terminalWidth(root.environment());
      for (String resource : tenants.stream().map(Demo.Tenant::resource).distinct().toList()) {
        List<Demo.Tenant> on = tenants.stream().filter(t -> t.resource().equals(resource)).toList();
        boolean quota = on.stream().anyMatch(Demo.Tenant::onQuota);
        if (!resource.equals(tenants.get(0).resource())) {
          out.println();
        }
        out.println(Output.wrap(resource + " (fungible" + (quota ? ", a quota of limits decided together" : "")
            + "): admitted vs " + (quota ? "each limit's" : "the") + " exact bound limit + floor(elapsed * limit"
            + " / window), elapsed " + Durations.human(elapsed.withNanos(elapsed.getNano() / 1_000_000 * 1_000_000)),
            width));
        List<List<String>> rows = new ArrayList<>();
        for (Demo.Tenant t : on) {
          Map<String, Long> bounds = t.bounds(elapsed);
          t.quota.limits().forEach((name, limit) -> {
            long bound = bounds.get(name);
            rows.add(List.of(t.name(), t.onQuota() ? name + ": " + limit.limit() + "/" + Durations.human(limit.window())
                : limit.toString(),
                Long.toString(t.offered.sum()), Long.toString(t.admitted.sum()), Long.toString(t.denied.sum()),
                Long.toString(bound), String.format("%.1f%%", bound == 0 ? 0.0 : 100.0 * t.admitted.sum() / bound),
                t.admitted.sum() <= bound ? "ok" : "OVER"));
          });
        }
        Output.table(out, List.of("TENANT", "LIMIT", "OFFERED", "ADMITTED", "DENIED", "BOUND", "OF BOUND",
            "CHECK"), rows);
      }
      out.println();
      out.println(Output.wrap("emr-cluster (non-fungible): live reservations and tokens never above the cap"
          + " (sampled from the store 4 times a second); tokens released by termination events", width));
      List<List<String>> rows = new ArrayList<>();
      for (Demo.Tenant t : tenants) {
        rows.add(List.of(t.name(), Long.toString(t.cap), Long.toString(t.launched.sum()),
            Long.toString(t.failedLaunches.sum()), Long.toString(t.capDenials.sum()),
            Long.toString(t.releasedByEvents.sum()), Integer.toString(t.maxHeld.get()),
            t.maxHeld.get() <= t.cap ? "ok" : "OVER"));
      }
      Output.table(out, List.of("TENANT", "CAP", "LAUNCHED", "FAILED", "RES. DENIED", "RELEASED", "MAX LIVE",
          "CHECK"), rows);
      out.println();
      if (requests != null) {
        out.println(Output.wrap("DynamoDB requests: " + requests.total() + " " + requests.snapshot() + "; "
            + String.format("%.2f", admitted == 0 ? 0.0 : (double) requests.count("UpdateItem") / admitted)
            + " UpdateItem per admitted call", width));
      }
      out.println("chart: " + chart);
      out.println(withinBounds && withinCaps ? "every tenant stayed within its bound and its cap"
          : "A TENANT EXCEEDED ITS BOUND OR CAP");
      out.flush();
    }
    return withinBounds && withinCaps ? ExitCodes.OK : ExitCodes.DENIED_OR_NOT_FOUND;
  }
}
