package io.github.ratelimiter.dynamodb.client;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts the requests a DynamoDB client sends, per operation ({@code UpdateItem}, {@code Query}, ...). Every HTTP
 * attempt counts, retries included, since each is billed: use it to measure requests per decision in a test or a
 * staging run. Add it with {@code DynamoDbClients.builder().addInterceptor(counter)} or
 * {@code overrideConfiguration(c -> c.addExecutionInterceptor(counter))}. Thread-safe.
 */
public final class RequestCounter implements ExecutionInterceptor {

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  /** A counter at zero. */
  public RequestCounter() {}

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    counts.computeIfAbsent(operation, k -> new LongAdder()).increment();
  }

  /** Requests sent for one operation. */
  public long count(String operation) {
    LongAdder adder = counts.get(operation);
    return adder == null ? 0 : adder.sum();
  }

  /** All requests sent. */
  public long total() {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Requests per operation, sorted by name. */
  public Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    counts.forEach((operation, adder) -> copy.put(operation, adder.sum()));
    return copy;
  }

  /** Forgets every count. */
  public void reset() {
    counts.clear();
  }
}
