package io.github.ratelimiter.bench;

import com.amazonaws.ClientConfiguration;
import com.amazonaws.Request;
import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.handlers.HandlerBeforeAttemptContext;
import com.amazonaws.handlers.RequestHandler2;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDB;
import com.amazonaws.services.dynamodbv2.AmazonDynamoDBClientBuilder;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.dynamodb.v1.DynamoDBProxyManager;
import io.github.ratelimiter.Limit;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bucket4j 8.6.0's DynamoDB backend ({@code bucket4j-dynamodb-sdk-v1}) on AWS SDK v1, pointed at the same server:
 * a bucket of capacity {@code limit} with a greedy refill of {@code limit} per {@code window}. Its protocol is
 * compare-and-swap: a consistent GetItem of the serialized state, then a PutItem conditioned on the state read,
 * retried from the read when another client won.
 */
final class Bucket4jDynamoDb implements Contender {

  /** The table Bucket4j expects: hash key {@code key} (S), the state in {@code state} (B). */
  static final String TABLE = "bench-bucket4j";

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final AmazonDynamoDB client;
  private final ProxyManager<String> proxies;

  Bucket4jDynamoDb(URI endpoint) {
    RequestHandler2 counter = new RequestHandler2() {
      @Override
      public void beforeAttempt(HandlerBeforeAttemptContext context) {
        Request<?> request = context.getRequest();
        String operation = request.getOriginalRequest().getClass().getSimpleName().replace("Request", "");
        counts.computeIfAbsent(operation, k -> new LongAdder()).increment();
      }
    };
    this.client = AmazonDynamoDBClientBuilder.standard()
        .withEndpointConfiguration(new EndpointConfiguration(endpoint.toString(), "us-east-1"))
        .withCredentials(new AWSStaticCredentialsProvider(new BasicAWSCredentials("local", "local")))
        .withClientConfiguration(new ClientConfiguration().withMaxConnections(64))
        .withRequestHandlers(counter)
        .build();
    this.proxies = DynamoDBProxyManager.stringKey(client, TABLE, ClientSideConfig.getDefault());
  }

  @Override
  public String id() {
    return "bucket4j";
  }

  @Override
  public boolean claimsExactness() {
    return true;
  }

  @Override
  @SuppressWarnings("deprecation") // build(key, configuration): the form bucket4j-dynamodb-sdk-v1 8.x still offers
  public Decider fungible(String resource, Limit limit) {
    BucketConfiguration configuration = BucketConfiguration.builder()
        .addLimit(Bandwidth.builder().capacity(limit.limit()).refillGreedy(limit.limit(), limit.window()).build())
        .build();
    Map<String, BucketProxy> buckets = new ConcurrentHashMap<>();
    return key -> buckets.computeIfAbsent(key, k -> proxies.builder().build(resource + ":" + k, configuration))
        .tryConsume(1);
  }

  /** One bucket with a bandwidth per limit, as Bucket4j holds several limits: a read and a compare-and-swap. */
  @Override
  @SuppressWarnings("deprecation") // as fungible(...)
  public Decider quota(String resource, java.util.List<Limit> limits) {
    var builder = BucketConfiguration.builder();
    for (Limit limit : limits) {
      builder.addLimit(Bandwidth.builder().capacity(limit.limit()).refillGreedy(limit.limit(), limit.window()).build());
    }
    BucketConfiguration configuration = builder.build();
    Map<String, BucketProxy> buckets = new ConcurrentHashMap<>();
    return key -> buckets.computeIfAbsent(key, k -> proxies.builder().build(resource + ":" + k, configuration))
        .tryConsume(1);
  }

  @Override
  public Map<String, Long> requests() {
    Map<String, Long> copy = new TreeMap<>();
    counts.forEach((operation, adder) -> copy.put(operation, adder.sum()));
    return copy;
  }

  @Override
  public void close() {
    client.shutdown();
  }
}
