package io.github.ratelimiter.dynamodb;

/**
 * The settle contract on DynamoDB, through the limiters' non-blocking views: every store call goes through the
 * store's {@code Async} twins and the asynchronous client it builds from the blocking one.
 */
class DynamoDbAsyncSettleContractTest extends DynamoDbSettleContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
