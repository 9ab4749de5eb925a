package io.github.ratelimiter.dynamodb;

/**
 * The fungible contract on DynamoDB, through the limiters' non-blocking views: every store call goes through the
 * store's {@code Async} twins and the asynchronous client it builds from the blocking one.
 */
class DynamoDbAsyncFungibleContractTest extends DynamoDbFungibleContractTest {

  @Override
  protected boolean throughAsync() {
    return true;
  }
}
