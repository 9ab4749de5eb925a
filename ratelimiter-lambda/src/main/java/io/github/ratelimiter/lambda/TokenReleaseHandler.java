package io.github.ratelimiter.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.ratelimiter.RateLimiterException;
import io.github.ratelimiter.dynamodb.DynamoDbStore;
import io.github.ratelimiter.dynamodb.TableNames;
import io.github.ratelimiter.dynamodb.client.DynamoDbClients;
import io.github.ratelimiter.events.EventProcessor;
import io.github.ratelimiter.events.EventProcessorManager;
import io.github.ratelimiter.events.EventRules;
import io.github.ratelimiter.events.ProcessingResult;
import io.github.ratelimiter.events.ProcessingResult.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The AWS Lambda function that releases non-fungible tokens when EventBridge says their resources ended. Handler
 * string: {@code io.github.ratelimiter.lambda.TokenReleaseHandler::handleRequest}.
 *
 * <p><b>Inputs.</b> Either an EventBridge event, invoked directly by an EventBridge rule, or an SQS batch
 * ({@code Records} whose {@code eventSource} is {@code aws:sqs}) from a queue that an EventBridge rule feeds, each
 * record's {@code body} being an event.
 *
 * <p><b>Answers.</b> For an SQS batch, the partial-batch response
 * {@code {"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}} listing only the records to retry (enable
 * {@code ReportBatchItemFailures} on the event source mapping). A record fails when its body is not an event
 * (malformed JSON, not an object, no string {@code source}), when it did not come from SQS, when the store fails,
 * or, under {@link MissingTokenPolicy#RETRY}, when no token carried its resource id. Every other record succeeds,
 * whatever the others do. An event of a source or detail-type that no rule names is <em>ignored</em>, not failed:
 * retrying it could never help, and a broad EventBridge rule must not fill the dead-letter queue; it is logged at
 * INFO. For a direct invocation, a JSON summary of the {@link ProcessingResult}; the handler throws (so Lambda
 * retries an asynchronous invocation) only when the store fails or under {@link MissingTokenPolicy#RETRY}. A
 * malformed direct event is logged and answered, not thrown: retrying it could never help.
 *
 * <p><b>Configuration.</b> The no-argument constructor, which the Lambda runtime calls once per container, reads
 * the environment, here and nowhere else:
 * <ul>
 *   <li>the table names, as {@link TableNames#fromEnvironment()} reads them (only the non-fungible table and its
 *       resource index are used: {@code NON_FUNGIBLE_TABLE} and {@code NON_FUNGIBLE_RES_INDEX}, or
 *       {@code LIMITER_TABLES_BASE_NAME});</li>
 *   <li>{@code RATELIMITER_RULES}: the rules as YAML or JSON text (see {@link EventRules}); when unset, the bundled
 *       {@code ratelimiter-rules.yaml} (EMR clusters and steps, EC2 instances, Batch jobs);</li>
 *   <li>{@code RATELIMITER_MISSING_TOKEN}: {@code acknowledge} (default) or {@code retry}, see
 *       {@link MissingTokenPolicy};</li>
 *   <li>{@code AWS_REGION} (set by Lambda), {@code DYNAMODB_ENDPOINT} to use another endpoint, such as a local
 *       server, and the client's timeouts, as {@link DynamoDbClients} reads them.</li>
 * </ul>
 * It creates one {@link DynamoDbClient} for the container's life. Tests and other hosts use
 * {@link #TokenReleaseHandler(EventProcessorManager, MissingTokenPolicy)}.
 *
 * <p>Thread-safe; Lambda calls it one event at a time per container.
 */
public final class TokenReleaseHandler implements RequestStreamHandler {

  /** The environment variable holding the rules as YAML or JSON text. */
  public static final String RULES_VARIABLE = "RATELIMITER_RULES";
  /** The classpath resource of the rules used when {@link #RULES_VARIABLE} is unset. */
  public static final String DEFAULT_RULES_RESOURCE = "ratelimiter-rules.yaml";
  /** The environment variable choosing the {@link MissingTokenPolicy}: {@code acknowledge} or {@code retry}. */
  public static final String MISSING_TOKEN_VARIABLE = "RATELIMITER_MISSING_TOKEN";
  private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(TokenReleaseHandler.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final EventProcessorManager manager;
  private final MissingTokenPolicy missingTokenPolicy;

  /**
   * For the Lambda runtime: configures everything from the environment (see the class description).
   *
   * @throws IllegalStateException if no table name is configured
   * @throws IllegalArgumentException if the rules or the policy are invalid
   */
  public TokenReleaseHandler() {
    this(System.getenv());
  }

  /** From the given variables instead of the process environment; the one place the environment is read. */
  TokenReleaseHandler(Map<String, String> environment) {
    this(policyFrom(environment), environment);
  }

  /** Checks the cheap settings before creating the client. */
  private TokenReleaseHandler(MissingTokenPolicy missingTokenPolicy, Map<String, String> environment) {
    this(managerFrom(environment), missingTokenPolicy);
  }

  /**
   * A handler over a manager built by the caller.
   *
   * @param manager releases the tokens
   * @param missingTokenPolicy what a lookup miss answers
   */
  public TokenReleaseHandler(EventProcessorManager manager, MissingTokenPolicy missingTokenPolicy) {
    this.manager = Objects.requireNonNull(manager, "manager");
    this.missingTokenPolicy = Objects.requireNonNull(missingTokenPolicy, "missingTokenPolicy");
  }

  private static EventProcessorManager managerFrom(Map<String, String> env) {
    TableNames tableNames = TableNames.fromEnvironment(env);
    String rulesText = env.get(RULES_VARIABLE);
    List<EventProcessor> rules = rulesText == null || rulesText.isBlank()
        ? EventRules.fromResource(DEFAULT_RULES_RESOURCE)
        : EventRules.parse(rulesText);
    DynamoDbStore store = DynamoDbStore.builder()
        .client(client(env)).ownsClient(true).tableNames(tableNames).build();
    log.info("releasing tokens of table {} (index {}) with {} rule(s) from {}", tableNames.nonFungibleTable(),
        tableNames.resourceIndex(), rules.size(), rulesText == null || rulesText.isBlank()
            ? "classpath:" + DEFAULT_RULES_RESOURCE : RULES_VARIABLE);
    return EventProcessorManager.builder().store(store).processors(rules).build();
  }

  private static MissingTokenPolicy policyFrom(Map<String, String> env) {
    String value = env.get(MISSING_TOKEN_VARIABLE);
    if (value == null || value.isBlank()) {
      return MissingTokenPolicy.ACKNOWLEDGE;
    }
    try {
      return MissingTokenPolicy.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(MISSING_TOKEN_VARIABLE + " must be 'acknowledge' or 'retry': '" + value
          + "'", e);
    }
  }

  /**
   * One client per container, created before the first event by {@link DynamoDbClients} from the environment. The
   * Apache HTTP client keeps connections alive between invocations. Its timeouts are longer than a request path's
   * (2 s per attempt, 10 s per call: a batch of releases is not on anyone's request path, and the event source
   * retries what fails) yet keep a stuck request from using up the function's own timeout;
   * {@code RATELIMITER_DYNAMODB_ATTEMPT_TIMEOUT} and {@code RATELIMITER_DYNAMODB_CALL_TIMEOUT} override them.
   */
  private static DynamoDbClient client(Map<String, String> env) {
    return DynamoDbClients.builder()
        .attemptTimeout(ATTEMPT_TIMEOUT)
        .callTimeout(CALL_TIMEOUT)
        .environment(env)
        .build();
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    byte[] bytes = input.readAllBytes();
    JsonNode request;
    try {
      request = MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      ProcessingResult result = manager.processEvent(new String(bytes, StandardCharsets.UTF_8));
      write(output, summary(result));
      return;
    }
    if (request != null && request.isObject() && request.path("Records").isArray()) {
      write(output, handleBatch((ArrayNode) request.get("Records")));
    } else {
      write(output, handleEvent(request == null ? MAPPER.missingNode() : request));
    }
  }

  /** A direct invocation: one event. */
  private ObjectNode handleEvent(JsonNode event) {
    ProcessingResult result = manager.processEvent(event);
    if (result.outcome() == Outcome.NO_MATCHING_TOKEN && missingTokenPolicy == MissingTokenPolicy.RETRY) {
      throw new TokenNotFoundYetException(result);
    }
    return summary(result);
  }

  /** An SQS batch: each record on its own; only the failed ones are reported. */
  private ObjectNode handleBatch(ArrayNode records) {
    List<String> failed = new ArrayList<>();
    int index = 0;
    for (JsonNode record : records) {
      String messageId = record.path("messageId").asText(null);
      String label = "SQS record " + index++ + " (message " + messageId + ")";
      if (!"aws:sqs".equals(record.path("eventSource").asText(null))) {
        log.error("{} failed: not from SQS (eventSource {}); this function takes EventBridge events, directly or"
            + " through SQS", label, record.path("eventSource"));
        fail(failed, messageId, label);
        continue;
      }
      JsonNode body = record.path("body");
      if (!body.isTextual()) {
        log.error("{} failed: no string body", label);
        fail(failed, messageId, label);
        continue;
      }
      try {
        ProcessingResult result = manager.processEvent(body.textValue());
        if (result.outcome() == Outcome.MALFORMED) {
          log.error("{} failed: not an EventBridge event: {}", label, result.message());
          fail(failed, messageId, label);
        } else if (result.outcome() == Outcome.NO_MATCHING_TOKEN
            && missingTokenPolicy == MissingTokenPolicy.RETRY) {
          log.warn("{} failed, to be retried ({}): {}", label, MissingTokenPolicy.RETRY, result.message());
          fail(failed, messageId, label);
        }
      } catch (RuntimeException e) {
        log.error("{} failed, to be retried: {}", label, e.toString(), e);
        fail(failed, messageId, label);
      }
    }
    ObjectNode response = MAPPER.createObjectNode();
    ArrayNode failures = response.putArray("batchItemFailures");
    failed.forEach(id -> failures.addObject().put("itemIdentifier", id));
    return response;
  }

  private static void fail(List<String> failed, String messageId, String label) {
    if (messageId == null || messageId.isBlank()) {
      // Lambda treats a failure without an identifier as the whole batch failing; there is nothing to name.
      log.error("{} has no messageId, so its failure cannot be reported on its own", label);
      return;
    }
    failed.add(messageId);
  }

  private static ObjectNode summary(ProcessingResult result) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("outcome", result.outcome().name());
    node.put("eventId", result.eventId());
    node.put("source", result.source());
    node.put("detailType", result.detailType());
    ArrayNode ids = node.putArray("resourceIds");
    result.resourceIds().forEach(ids::add);
    node.put("releasedTokens", result.releasedTokens());
    node.put("message", result.message());
    return node;
  }

  private static void write(OutputStream output, JsonNode response) throws IOException {
    output.write(MAPPER.writeValueAsBytes(response));
    output.flush();
  }

  /**
   * Thrown from a direct invocation under {@link MissingTokenPolicy#RETRY} when no token carried the event's
   * resource id, so that Lambda retries the asynchronous invocation.
   */
  public static final class TokenNotFoundYetException extends RateLimiterException {
    private static final long serialVersionUID = 1L;

    private final transient ProcessingResult result;

    TokenNotFoundYetException(ProcessingResult result) {
      super("no token carries resource id(s) " + result.resourceIds() + " of event " + result.eventId()
          + " yet; failing so that Lambda retries (" + MISSING_TOKEN_VARIABLE + "=retry)");
      this.result = result;
    }

    /** What the manager answered. */
    public ProcessingResult result() {
      return result;
    }
  }
}
