package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.EXPIRATION_TIME;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.TAT;

import io.github.ratelimiter.store.BucketStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The fungible buckets on DynamoDB: each decision is one conditional UpdateItem carrying the arithmetic of the
 * generic cell rate algorithm ({@link BucketRequest#applyTo(long)}; the design notes are on the core's {@code Gcra}).
 *
 * <p>Two updates exist, exactly one of whose conditions holds for any stored state that admits the request:
 * <ul>
 *   <li>busy ({@code tat >= now}): {@value #BUSY_UPDATE} if {@value #BUSY_CONDITION}
 *   <li>idle ({@code tat < now} or no row): {@value #IDLE_UPDATE} if {@value #IDLE_CONDITION}
 * </ul>
 * The caller's last seen {@code tat} picks the first attempt; when its condition fails the other is tried once.
 * On real DynamoDB a failed condition returns the stored item ({@code ReturnValuesOnConditionCheckFailure}), which
 * settles the case without a second write; without it (dynalite) the second attempt does. When both fail the request
 * is denied, and one consistent read gives the exact {@code tat} for the retry-after. Since {@code tat} never
 * decreases, a busy attempt chosen because the last seen {@code tat >= now} that fails is a denial at once.
 *
 * <p>Each call is written once, as futures over {@link StoreRequests}: the blocking method runs it through the
 * blocking client, its {@code Async} twin through the asynchronous one ({@link RequestPaths}), with the same requests
 * in the same order.
 */
public final class DynamoDbBuckets implements BucketStore {

  static final String BUSY_UPDATE = "SET #tat = #tat + :cost, #exp = :exp";
  static final String BUSY_CONDITION = "#tat BETWEEN :now AND :maxTat";
  static final String IDLE_UPDATE = "SET #tat = :nowPlusCost, #exp = :exp";
  static final String IDLE_CONDITION = "attribute_not_exists(#tat) OR #tat < :now";

  private static final Map<String, String> NAMES = Map.of("#tat", TAT, "#exp", EXPIRATION_TIME);
  private static final Map<String, String> READ_NAMES = Map.of("#tat", TAT);

  private final Supplier<String> table;
  private final RequestPaths paths;

  /** Buckets in the table that {@code table} names when first used, each request sent through {@code paths}. */
  public DynamoDbBuckets(Supplier<String> table, RequestPaths paths) {
    this.table = table;
    this.paths = paths;
  }

  private sealed interface Attempt permits Admitted, Refused {}

  private record Admitted(long tat) implements Attempt {}

  /** A failed condition; {@code storedTat} is known when DynamoDB returned the item (empty: no row). */
  private record Refused(boolean itemReturned, OptionalLong storedTat) implements Attempt {}

  /** Each step is a request to DynamoDB: limiters send a process's concurrent decisions on one bucket together. */
  @Override
  public boolean remote() {
    return true;
  }

  @Override
  public BucketResult consume(BucketRequest request) {
    return paths.blocking(requests -> consume(requests, request));
  }

  @Override
  public CompletableFuture<BucketResult> consumeAsync(BucketRequest request) {
    return paths.async(requests -> consume(requests, request));
  }

  /** The one implementation of both: each step a future, complete at once on the blocking path. */
  private CompletableFuture<BucketResult> consume(StoreRequests requests, BucketRequest request) {
    String tableName = table.get();
    long now = request.nowNanos();
    boolean busyFirst = request.knownTat() != UNKNOWN && request.knownTat() >= now;
    return (busyFirst ? busy(requests, tableName, request) : idle(requests, tableName, request)).thenCompose(first -> {
      if (first instanceof Admitted admitted) {
        return admitted(admitted);
      }
      Refused refused = (Refused) first;
      if (refused.itemReturned()) {
        return settle(requests, tableName, request, refused.storedTat());
      }
      if (!busyFirst) {
        // idle failed: tat >= now, so only busy can admit.
        return busy(requests, tableName, request).thenCompose(second -> {
          if (second instanceof Admitted admitted) {
            return admitted(admitted);
          }
          Refused again = (Refused) second;
          return again.itemReturned()
              ? settle(requests, tableName, request, again.storedTat())
              : read(requests, tableName, request).thenCompose(tat -> settle(requests, tableName, request, tat));
        });
      }
      // busy failed although the last seen tat was >= now: denied, unless the row was deleted meanwhile.
      return read(requests, tableName, request).thenCompose(tat -> settle(requests, tableName, request, tat));
    });
  }

  private static CompletableFuture<BucketResult> admitted(Admitted admitted) {
    return CompletableFuture.completedFuture(new BucketResult(true, admitted.tat()));
  }

  /** Decides from a known stored tat, making at most one more write attempt if that tat admits the request. */
  private CompletableFuture<BucketResult> settle(StoreRequests requests, String tableName, BucketRequest request,
      OptionalLong storedTat) {
    long now = request.nowNanos();
    CompletableFuture<Attempt> last;
    if (storedTat.isEmpty() || storedTat.getAsLong() < now) {
      last = idle(requests, tableName, request);
    } else if (request.applyTo(storedTat.getAsLong()).allowed()) {
      last = busy(requests, tableName, request);
    } else {
      return CompletableFuture.completedFuture(new BucketResult(false, storedTat.getAsLong()));
    }
    return last.thenCompose(attempt -> attempt instanceof Admitted admitted
        ? admitted(admitted)
        : denied(requests, tableName, request, (Refused) attempt));
  }

  /** A denial after a lost race: the stored tat, from the failed write or a read. */
  private CompletableFuture<BucketResult> denied(StoreRequests requests, String tableName, BucketRequest request,
      Refused refused) {
    CompletableFuture<OptionalLong> tat = refused.itemReturned()
        ? CompletableFuture.completedFuture(refused.storedTat())
        : read(requests, tableName, request);
    return tat.thenApply(stored -> new BucketResult(false, stored.orElse(request.nowNanos())));
  }

  private CompletableFuture<Attempt> busy(StoreRequests requests, String tableName, BucketRequest request) {
    return update(requests, tableName, request, BUSY_UPDATE, BUSY_CONDITION, Map.of(
        ":cost", number(request.costNanos()),
        ":now", number(request.nowNanos()),
        ":maxTat", number(request.maxAdmittedTat()),
        ":exp", number(expiresAt(request.nowNanos(), request.toleranceNanos()))));
  }

  private CompletableFuture<Attempt> idle(StoreRequests requests, String tableName, BucketRequest request) {
    return update(requests, tableName, request, IDLE_UPDATE, IDLE_CONDITION, Map.of(
        ":now", number(request.nowNanos()),
        ":nowPlusCost", number(request.nowNanos() + request.costNanos()),
        ":exp", number(expiresAt(request.nowNanos(), request.toleranceNanos()))));
  }

  private CompletableFuture<Attempt> update(StoreRequests requests, String tableName, BucketRequest request,
      String update, String condition, Map<String, AttributeValue> values) {
    return requests.call("UpdateItem", tableName, () -> requests.calls().updateItem(
        requests.observe(UpdateItemRequest.builder(), request.deadline(), "UpdateItem")
            .tableName(tableName)
            .key(key(request))
            .updateExpression(update)
            .conditionExpression(condition)
            .expressionAttributeNames(NAMES)
            .expressionAttributeValues(values)
            .returnValues(ReturnValue.UPDATED_NEW)
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build())
        .thenApply(response -> new Admitted(Long.parseLong(response.attributes().get(TAT).n()))),
        refused -> {
          if (refused.hasItem()) {
            AttributeValue tat = refused.item().get(TAT);
            return new Refused(true, tat == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(tat.n())));
          }
          return new Refused(false, OptionalLong.empty());
        });
  }

  private CompletableFuture<OptionalLong> read(StoreRequests requests, String tableName, BucketRequest request) {
    return requests.call("GetItem", tableName, () -> requests.calls().getItem(
        requests.observe(GetItemRequest.builder(), request.deadline(), "GetItem")
            .tableName(tableName).key(key(request))
            .consistentRead(true).projectionExpression("#tat").expressionAttributeNames(READ_NAMES).build())
        .thenApply(response -> {
          AttributeValue tat = response.hasItem() ? response.item().get(TAT) : null;
          return tat == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(tat.n()));
        }));
  }

  /**
   * The most conditional writes one quota step sends: a wrong guess costs one more (settled from the returned item,
   * or one consistent read where the server does not return it), and each further one means other writers moved the
   * item in between.
   */
  static final int MAX_QUOTA_WRITES = 3;

  /**
   * A quota of several limits, in one item: lane 0 is {@code tat} (where a single limit lives), every other lane is
   * {@code tat_<name>}. One conditional UpdateItem carries every lane's guess, each as for a single limit (busy when
   * the lane's last seen {@code tat >= now}, else idle) and joined by {@code AND}, so the write is all or nothing. A
   * failed condition returns the stored lanes on DynamoDB (else one consistent read gets them); they decide the
   * request exactly ({@link QuotaRequest#applyTo(long[])}) and, when it is admitted, give every lane's right guess
   * for one more write. A lane with no cost is neither written nor checked.
   */
  @Override
  public QuotaResult consume(QuotaRequest request) {
    return paths.blocking(requests -> consume(requests, request));
  }

  @Override
  public CompletableFuture<QuotaResult> consumeAsync(QuotaRequest request) {
    return paths.async(requests -> consume(requests, request));
  }

  private CompletableFuture<QuotaResult> consume(StoreRequests requests, QuotaRequest request) {
    String tableName = table.get();
    List<Lane> lanes = request.lanes();
    if (lanes.stream().allMatch(lane -> lane.costNanos() == 0)) {
      // a look: nothing to write
      return readLanes(requests, tableName, request).thenApply(tats -> new QuotaResult(true, tats, -1));
    }
    long now = request.nowNanos();
    boolean[] busy = new boolean[lanes.size()];
    for (int i = 0; i < busy.length; i++) {
      long known = lanes.get(i).knownTat();
      busy[i] = known != UNKNOWN && known >= now;
    }
    return quotaWrite(requests, tableName, request, busy, 0);
  }

  /** Write number {@code write} (from 0) of a quota step, with each lane's guess in {@code busy}. */
  private CompletableFuture<QuotaResult> quotaWrite(StoreRequests requests, String tableName, QuotaRequest request,
      boolean[] busy, int write) {
    return quotaUpdate(requests, tableName, request, busy).thenCompose(attempt -> {
      if (attempt.admitted()) {
        return CompletableFuture.completedFuture(new QuotaResult(true, attempt.tats(), -1));
      }
      CompletableFuture<long[]> stored = attempt.tats() != null
          ? CompletableFuture.completedFuture(attempt.tats())
          : readLanes(requests, tableName, request);
      return stored.thenCompose(tats -> {
        QuotaResult decided = request.applyTo(tats);
        if (!decided.allowed()) {
          return CompletableFuture.completedFuture(decided);
        }
        if (write + 1 == MAX_QUOTA_WRITES) {
          // Every write lost a race to another writer of the item although the state read admitted the request:
          // deny it (under-admission only) with the first lane that has a cost, to be asked again at once.
          List<Lane> lanes = request.lanes();
          int lane = 0;
          while (lanes.get(lane).costNanos() == 0) {
            lane++;
          }
          return CompletableFuture.completedFuture(new QuotaResult(false, tats, lane));
        }
        long now = request.nowNanos();
        boolean[] next = new boolean[busy.length];
        for (int i = 0; i < next.length; i++) {
          next[i] = tats[i] != UNKNOWN && tats[i] >= now;
        }
        return quotaWrite(requests, tableName, request, next, write + 1);
      });
    });
  }

  /** A quota write: admitted with every lane's {@code tat} after it, or refused with them when the item came back. */
  private record QuotaAttempt(boolean admitted, long[] tats) {}

  private CompletableFuture<QuotaAttempt> quotaUpdate(StoreRequests requests, String tableName, QuotaRequest request,
      boolean[] busy) {
    List<Lane> lanes = request.lanes();
    Map<String, String> names = new HashMap<>();
    Map<String, AttributeValue> values = new HashMap<>();
    List<String> sets = new ArrayList<>();
    List<String> conditions = new ArrayList<>();
    values.put(":now", number(request.nowNanos()));
    long tolerance = 0;
    for (Lane lane : lanes) {
      tolerance = Math.max(tolerance, lane.toleranceNanos());
    }
    names.put("#exp", EXPIRATION_TIME);
    sets.add("#exp = :exp");
    values.put(":exp", number(expiresAt(request.nowNanos(), tolerance)));
    for (int i = 0; i < lanes.size(); i++) {
      Lane lane = lanes.get(i);
      if (lane.costNanos() == 0) {
        continue;
      }
      String name = "#t" + i;
      names.put(name, laneAttribute(i, lane.name()));
      if (busy[i]) {
        sets.add(name + " = " + name + " + :c" + i);
        conditions.add(name + " BETWEEN :now AND :m" + i);
        values.put(":c" + i, number(lane.costNanos()));
        values.put(":m" + i, number(lane.maxAdmittedTat(request.nowNanos())));
      } else {
        sets.add(name + " = :n" + i);
        conditions.add("(attribute_not_exists(" + name + ") OR " + name + " < :now)");
        values.put(":n" + i, number(request.nowNanos() + lane.costNanos()));
      }
    }
    return requests.call("UpdateItem", tableName, () -> requests.calls().updateItem(
        requests.observe(UpdateItemRequest.builder(), request.deadline(), "UpdateItem")
            .tableName(tableName)
            .key(key(request.resourceName(), request.accountId()))
            .updateExpression("SET " + String.join(", ", sets))
            .conditionExpression(String.join(" AND ", conditions))
            .expressionAttributeNames(names)
            .expressionAttributeValues(values)
            .returnValues(ReturnValue.ALL_NEW)
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build())
        .thenApply(response -> new QuotaAttempt(true, laneTats(lanes, response.attributes()))),
        refused -> new QuotaAttempt(false, refused.hasItem() ? laneTats(lanes, refused.item()) : null));
  }

  /** Every lane's stored {@code tat}, by one consistent read. */
  private CompletableFuture<long[]> readLanes(StoreRequests requests, String tableName, QuotaRequest request) {
    List<Lane> lanes = request.lanes();
    Map<String, String> names = new HashMap<>();
    List<String> projection = new ArrayList<>();
    for (int i = 0; i < lanes.size(); i++) {
      names.put("#t" + i, laneAttribute(i, lanes.get(i).name()));
      projection.add("#t" + i);
    }
    return requests.call("GetItem", tableName, () -> requests.calls().getItem(
        requests.observe(GetItemRequest.builder(), request.deadline(), "GetItem")
            .tableName(tableName).key(key(request.resourceName(), request.accountId()))
            .consistentRead(true).projectionExpression(String.join(", ", projection)).expressionAttributeNames(names)
            .build())
        .thenApply(response -> laneTats(lanes, response.hasItem() ? response.item() : Map.of())));
  }

  /**
   * One UpdateItem moves every lane back by its amount, under the condition that every such lane is still at least
   * where the admission left it ({@code SET #t0 = #t0 - :r0, ...} if {@code #t0 >= :a0 AND ...}); a failed condition
   * (the item was reset or removed since) leaves it alone.
   */
  @Override
  public boolean refund(RefundRequest request) {
    return paths.blocking(requests -> refund(requests, request));
  }

  @Override
  public CompletableFuture<Boolean> refundAsync(RefundRequest request) {
    return paths.async(requests -> refund(requests, request));
  }

  private CompletableFuture<Boolean> refund(StoreRequests requests, RefundRequest request) {
    String tableName = table.get();
    List<Refund> lanes = request.lanes();
    Map<String, String> names = new HashMap<>();
    Map<String, AttributeValue> values = new HashMap<>();
    List<String> sets = new ArrayList<>();
    List<String> conditions = new ArrayList<>();
    for (int i = 0; i < lanes.size(); i++) {
      Refund lane = lanes.get(i);
      if (lane.amountNanos() == 0) {
        continue;
      }
      String name = "#t" + i;
      names.put(name, laneAttribute(i, lane.name()));
      sets.add(name + " = " + name + " - :r" + i);
      conditions.add(name + " >= :a" + i);
      values.put(":r" + i, number(lane.amountNanos()));
      values.put(":a" + i, number(lane.atLeastTat()));
    }
    if (sets.isEmpty()) {
      return CompletableFuture.completedFuture(true); // nothing ahead of now to give back
    }
    return requests.call("UpdateItem", tableName, () -> requests.calls().updateItem(
        requests.observe(UpdateItemRequest.builder(), request.deadline(), "UpdateItem")
            .tableName(tableName)
            .key(key(request.resourceName(), request.accountId()))
            .updateExpression("SET " + String.join(", ", sets))
            .conditionExpression(String.join(" AND ", conditions))
            .expressionAttributeNames(names)
            .expressionAttributeValues(values)
            .build())
        .thenApply(response -> true), refused -> false);
  }

  /**
   * The bucket item's expiry (the table's TTL attribute, epoch seconds) after a step at {@code now} that leaves
   * every lane's {@code tat} at most {@code now + tolerance}: from then on the bucket is full, which is what a missing
   * item means, so DynamoDB may delete it (TTL deletes late, never early). Idle buckets of ever-new accounts (a
   * rate-limit service's descriptor values) so leave the table instead of growing it without bound.
   */
  static long expiresAt(long nowNanos, long toleranceNanos) {
    return Math.floorDiv(nowNanos + toleranceNanos, 1_000_000_000L) + 1;
  }

  /**
   * The attribute lane {@code index} (of the limit named {@code limitName}) lives in: {@code tat} for the first,
   * {@code tat_<name>} for the others.
   */
  static String laneAttribute(int index, String limitName) {
    return index == 0 ? TAT : TAT + "_" + limitName;
  }

  private static long[] laneTats(List<Lane> lanes, Map<String, AttributeValue> item) {
    long[] tats = new long[lanes.size()];
    for (int i = 0; i < tats.length; i++) {
      AttributeValue tat = item.get(laneAttribute(i, lanes.get(i).name()));
      tats[i] = tat == null ? UNKNOWN : Long.parseLong(tat.n());
    }
    return tats;
  }

  private static Map<String, AttributeValue> key(String resourceName, String accountId) {
    return Map.of(RESOURCE_NAME, AttributeValue.fromS(resourceName), ACCOUNT_ID, AttributeValue.fromS(accountId));
  }

  private static Map<String, AttributeValue> key(BucketRequest request) {
    return key(request.resourceName(), request.accountId());
  }

  static AttributeValue number(long value) {
    return AttributeValue.fromN(Long.toString(value));
  }
}
