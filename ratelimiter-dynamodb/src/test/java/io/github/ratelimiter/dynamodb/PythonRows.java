package io.github.ratelimiter.dynamodb;

import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Writes rows exactly as the Python library rate-limiter-py writes them, with the raw API: a reservation is a
 * PutItem of {@code resourceCoordinate}, {@code reservationId} (a UUID), {@code resourceName}, {@code accountId},
 * {@code resourceId} (the same UUID) and {@code expirationTime} (now + 300 s); {@code create_token} is an
 * unconditional UpdateItem of {@code resourceId} and {@code expirationTime} (now + 28,800 s); its loader writes
 * {@code limit}, {@code windowSec} (0 when the file has none) and {@code serviceName}.
 */
final class PythonRows {
  private final DynamoDbClient client;
  private final TableNames names;

  PythonRows(DynamoDbClient client, TableNames names) {
    this.client = client;
    this.names = names;
  }

  /** A reservation as {@code _build_reservation} writes it, with the given id; returns the id. */
  String reservation(String resourceName, String accountId, String reservationId, long expirationTime) {
    client.putItem(b -> b.tableName(names.nonFungibleTable()).item(Map.of(
        "resourceCoordinate", AttributeValue.fromS(resourceName + ":" + accountId),
        "reservationId", AttributeValue.fromS(reservationId),
        "resourceName", AttributeValue.fromS(resourceName),
        "accountId", AttributeValue.fromS(accountId),
        "resourceId", AttributeValue.fromS(reservationId),
        "expirationTime", AttributeValue.fromN(Long.toString(expirationTime)))));
    return reservationId;
  }

  /** A new reservation, live for 300 s from {@code now}; returns its id. */
  String reservation(String resourceName, String accountId, long now) {
    return reservation(resourceName, accountId, UUID.randomUUID().toString(), now + 300);
  }

  /** {@code create_token}: the unconditional update of a reservation's resource id and expiry. */
  void createToken(String resourceName, String accountId, String reservationId, String resourceId,
      long expirationTime) {
    client.updateItem(b -> b.tableName(names.nonFungibleTable())
        .key(Map.of("resourceCoordinate", AttributeValue.fromS(resourceName + ":" + accountId),
            "reservationId", AttributeValue.fromS(reservationId)))
        .updateExpression("set expirationTime = :exp_time, resourceId = :resource_id")
        .expressionAttributeValues(Map.of(":exp_time", AttributeValue.fromN(Long.toString(expirationTime)),
            ":resource_id", AttributeValue.fromS(resourceId))));
  }

  /** A token: a reservation then {@code create_token} at {@code now}, living 8 h; returns the reservation id. */
  String token(String resourceName, String accountId, String resourceId, long now) {
    String id = reservation(resourceName, accountId, now);
    createToken(resourceName, accountId, id, resourceId, now + 28_800);
    return id;
  }

  /** A limit row as the Python loader's {@code _build_put_item} writes it; {@code windowSec} 0 for none. */
  void limit(String resourceName, String accountId, long limit, long windowSec, String serviceName) {
    client.putItem(b -> b.tableName(names.limitTable()).item(Map.of(
        "resourceName", AttributeValue.fromS(resourceName),
        "accountId", AttributeValue.fromS(accountId),
        "limit", AttributeValue.fromN(Long.toString(limit)),
        "windowSec", AttributeValue.fromN(Long.toString(windowSec)),
        "serviceName", AttributeValue.fromS(serviceName))));
  }
}
