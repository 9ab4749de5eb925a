package io.github.ratelimiter.dynamodb.internal;

import static io.github.ratelimiter.dynamodb.internal.Schema.ACCOUNT_ID;
import static io.github.ratelimiter.dynamodb.internal.Schema.RESOURCE_NAME;
import static io.github.ratelimiter.dynamodb.internal.Schema.TAT;

import io.github.ratelimiter.store.BucketStore;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

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
 */
public final class DynamoDbBuckets implements BucketStore {

  static final String BUSY_UPDATE = "SET #tat = #tat + :cost";
  static final String BUSY_CONDITION = "#tat BETWEEN :now AND :maxTat";
  static final String IDLE_UPDATE = "SET #tat = :nowPlusCost";
  static final String IDLE_CONDITION = "attribute_not_exists(#tat) OR #tat < :now";

  private static final Map<String, String> NAMES = Map.of("#tat", TAT);

  private final DynamoDbClient client;
  private final Supplier<String> table;
  private final StoreRequests requests;

  /** Buckets in the table that {@code table} names when first used. */
  public DynamoDbBuckets(DynamoDbClient client, Supplier<String> table) {
    this(client, table, StoreRequests.unobserved(client));
  }

  /** Buckets in the table that {@code table} names when first used, each request reported to {@code requests}. */
  public DynamoDbBuckets(DynamoDbClient client, Supplier<String> table, StoreRequests requests) {
    this.client = client;
    this.table = table;
    this.requests = requests;
  }

  private sealed interface Attempt permits Admitted, Refused {}

  private record Admitted(long tat) implements Attempt {}

  /** A failed condition; {@code storedTat} is known when DynamoDB returned the item (empty: no row). */
  private record Refused(boolean itemReturned, OptionalLong storedTat) implements Attempt {}

  @Override
  public BucketResult consume(BucketRequest request) {
    String tableName = table.get();
    long now = request.nowNanos();
    boolean busyFirst = request.knownTat() != UNKNOWN && request.knownTat() >= now;
    Attempt first = busyFirst ? busy(tableName, request) : idle(tableName, request);
    if (first instanceof Admitted admitted) {
      return new BucketResult(true, admitted.tat());
    }
    Refused refused = (Refused) first;
    if (refused.itemReturned()) {
      return settle(tableName, request, refused.storedTat());
    }
    if (!busyFirst) {
      // idle failed: tat >= now, so only busy can admit.
      Attempt second = busy(tableName, request);
      if (second instanceof Admitted admitted) {
        return new BucketResult(true, admitted.tat());
      }
      Refused again = (Refused) second;
      return settle(tableName, request, again.itemReturned() ? again.storedTat() : read(tableName, request));
    }
    // busy failed although the last seen tat was >= now: denied, unless the row was deleted meanwhile.
    return settle(tableName, request, read(tableName, request));
  }

  /** Decides from a known stored tat, making at most one more write attempt if that tat admits the request. */
  private BucketResult settle(String tableName, BucketRequest request, OptionalLong storedTat) {
    long now = request.nowNanos();
    if (storedTat.isEmpty() || storedTat.getAsLong() < now) {
      Attempt idle = idle(tableName, request);
      if (idle instanceof Admitted admitted) {
        return new BucketResult(true, admitted.tat());
      }
      return denied(tableName, request, (Refused) idle);
    }
    long tat = storedTat.getAsLong();
    if (request.applyTo(tat).allowed()) {
      Attempt busy = busy(tableName, request);
      if (busy instanceof Admitted admitted) {
        return new BucketResult(true, admitted.tat());
      }
      return denied(tableName, request, (Refused) busy);
    }
    return new BucketResult(false, tat);
  }

  /** A denial after a lost race: the stored tat, from the failed write or a read. */
  private BucketResult denied(String tableName, BucketRequest request, Refused refused) {
    OptionalLong tat = refused.itemReturned() ? refused.storedTat() : read(tableName, request);
    return new BucketResult(false, tat.orElse(request.nowNanos()));
  }

  private Attempt busy(String tableName, BucketRequest request) {
    return update(tableName, request, BUSY_UPDATE, BUSY_CONDITION, Map.of(
        ":cost", number(request.costNanos()),
        ":now", number(request.nowNanos()),
        ":maxTat", number(request.maxAdmittedTat())));
  }

  private Attempt idle(String tableName, BucketRequest request) {
    return update(tableName, request, IDLE_UPDATE, IDLE_CONDITION, Map.of(
        ":now", number(request.nowNanos()),
        ":nowPlusCost", number(request.nowNanos() + request.costNanos())));
  }

  private Attempt update(String tableName, BucketRequest request, String update, String condition,
      Map<String, AttributeValue> values) {
    return requests.send("UpdateItem", tableName, () -> {
      UpdateItemResponse response = client.updateItem(
          requests.observe(UpdateItemRequest.builder(), request.deadline(), "UpdateItem")
          .tableName(tableName)
          .key(key(request))
          .updateExpression(update)
          .conditionExpression(condition)
          .expressionAttributeNames(NAMES)
          .expressionAttributeValues(values)
          .returnValues(ReturnValue.UPDATED_NEW)
          .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
          .build());
      return new Admitted(Long.parseLong(response.attributes().get(TAT).n()));
    }, refused -> {
      if (refused.hasItem()) {
        AttributeValue tat = refused.item().get(TAT);
        return new Refused(true, tat == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(tat.n())));
      }
      return new Refused(false, OptionalLong.empty());
    });
  }

  private OptionalLong read(String tableName, BucketRequest request) {
    return requests.send("GetItem", tableName, () -> {
      GetItemResponse response = client.getItem(b -> requests.observe(b, request.deadline(), "GetItem")
          .tableName(tableName).key(key(request))
          .consistentRead(true).projectionExpression("#tat").expressionAttributeNames(NAMES));
      AttributeValue tat = response.hasItem() ? response.item().get(TAT) : null;
      return tat == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(tat.n()));
    });
  }

  private static Map<String, AttributeValue> key(BucketRequest request) {
    return Map.of(RESOURCE_NAME, AttributeValue.fromS(request.resourceName()),
        ACCOUNT_ID, AttributeValue.fromS(request.accountId()));
  }

  static AttributeValue number(long value) {
    return AttributeValue.fromN(Long.toString(value));
  }
}
