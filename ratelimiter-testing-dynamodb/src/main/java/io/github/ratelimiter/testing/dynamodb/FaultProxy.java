package io.github.ratelimiter.testing.dynamodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback HTTP proxy in front of a DynamoDB endpoint (usually a {@link io.github.ratelimiter.local.LocalDynamoDbServer})
 * that injects real faults: added latency, throttling and server errors with DynamoDB's own JSON error bodies,
 * dropped connections before or after the store applied a request, and no answer at all, for a share of the
 * requests and for chosen operations, switched on and off while clients run. It also emulates DynamoDB's
 * <b>per-key write ceiling</b>, which dynalite lacks: beyond N writes per second to one item, writes are answered
 * {@code ProvisionedThroughputExceededException}, as one partition answers beyond about 1,000 writes per second.
 *
 * <pre>{@code
 * try (LocalDynamoDbServer server = LocalDynamoDbServer.start();
 *      FaultProxy proxy = FaultProxy.start(server.endpoint());
 *      DynamoDbClient client = DynamoDbClients.builder().endpoint(proxy.endpoint()).build()) {
 *   Fault throttled = Fault.provisionedThroughputExceeded().forOperations("UpdateItem").share(0.3);
 *   proxy.inject(throttled);          // 30% of UpdateItems throttled from now on
 *   ...
 *   proxy.remove(throttled);
 *   proxy.writeCeiling(1_000);        // at most 1,000 writes/s per item key
 * }
 * }</pre>
 *
 * <p><b>How it decides.</b> Each request's operation is its {@code X-Amz-Target} header without the
 * {@code DynamoDB_20120810.} prefix. Faults are tried in the order injected: every {@link Fault.Kind#LATENCY
 * latency} fault that hits adds its delay, and the first other fault that hits decides what happens; a request no
 * fault ends is forwarded. A fault hits a matching request with probability {@link Fault#share()}. Then, for
 * {@code UpdateItem}, {@code PutItem} and {@code DeleteItem} only, the write ceiling: the item key is the request's
 * {@code TableName} and {@code Key} (for {@code PutItem}, the {@code Item}'s key attributes, learnt once per table
 * with a {@code DescribeTable}), and each key has a token bucket of the ceiling's rate and burst; a write that finds
 * it empty is throttled and not forwarded. Conditional writes that fail still count, as DynamoDB bills them. Batch
 * and transactional writes are not limited.
 *
 * <p><b>Wire.</b> HTTP/1.1 with keep-alive, {@code Content-Length} or chunked bodies; each client connection gets
 * its own connection to the endpoint. When the endpoint is down the client's connection is closed, as a client
 * talking to a dead store directly would see. {@link #dropConnections()} resets every open connection at once.
 *
 * <p>Thread-safe: faults and the ceiling may change at any time; each request sees one consistent set.
 */
public final class FaultProxy implements AutoCloseable {

  private static final String TARGET_PREFIX = "DynamoDB_20120810.";
  private static final Set<String> WRITES = Set.of("UpdateItem", "PutItem", "DeleteItem");
  private static final int MAX_HEAD_BYTES = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI upstream;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Map<String, List<String>> keyAttributes = new ConcurrentHashMap<>();
  private final Map<String, KeyBucket> keyBuckets = new ConcurrentHashMap<>();
  private final Map<Fault.Kind, AtomicLong> injected = new ConcurrentHashMap<>();
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong forwarded = new AtomicLong();
  private final AtomicLong appliedButUnanswered = new AtomicLong();
  /** The bodies of the requests counted by {@link #appliedButUnanswered}, in the order their answers were dropped. */
  private final ConcurrentLinkedQueue<String> appliedButUnansweredBodies =
      new ConcurrentLinkedQueue<>();
  private final AtomicLong ceilingThrottles = new AtomicLong();
  private final Object blackholeLock = new Object();
  private volatile Ceiling ceiling;
  private volatile boolean closed;

  private FaultProxy(URI upstream, ServerSocket listener) {
    this.upstream = upstream;
    this.listener = listener;
    this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept-" + listener.getLocalPort());
    this.acceptor.setDaemon(true);
  }

  /**
   * A proxy on a free loopback port in front of {@code upstream} (an {@code http} endpoint), with no fault yet.
   *
   * @throws IllegalArgumentException if {@code upstream} is not an http URL with a host and port
   */
  public static FaultProxy start(URI upstream) {
    return start(upstream, 0);
  }

  /**
   * A proxy on the given loopback port (0 for a free one) in front of {@code upstream}.
   *
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static FaultProxy start(URI upstream, int port) {
    Objects.requireNonNull(upstream, "upstream");
    if (!"http".equals(upstream.getScheme()) || upstream.getHost() == null || upstream.getPort() < 0) {
      throw new IllegalArgumentException("upstream must be an http URL with a host and a port: '" + upstream + "'");
    }
    try {
      ServerSocket listener = new ServerSocket();
      listener.setReuseAddress(true);
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      FaultProxy proxy = new FaultProxy(upstream, listener);
      proxy.acceptor.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on loopback port " + port, e);
    }
  }

  /** The address clients use instead of the upstream's, e.g. {@code http://127.0.0.1:41234}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort());
  }

  /** Starts injecting {@code fault} into the requests that follow (after those already injected). */
  public FaultProxy inject(Fault fault) {
    faults.add(Objects.requireNonNull(fault, "fault"));
    return this;
  }

  /** Stops injecting {@code fault} (this very instance); connections it holds in a blackhole are then closed. */
  public FaultProxy remove(Fault fault) {
    faults.remove(fault);
    wakeBlackholes();
    return this;
  }

  /** Stops injecting every fault. The write ceiling stays. */
  public FaultProxy clearFaults() {
    faults.clear();
    wakeBlackholes();
    return this;
  }

  /**
   * Emulates a per-item write ceiling of {@code writesPerSecond}, with a burst of a tenth of a second's writes (at
   * least one), replacing any ceiling before.
   */
  public FaultProxy writeCeiling(int writesPerSecond) {
    return writeCeiling(writesPerSecond, Math.max(1, writesPerSecond / 10));
  }

  /**
   * Emulates a per-item write ceiling: each item key refills {@code writesPerSecond} writes per second, up to
   * {@code burst} at once; the buckets start full.
   */
  public FaultProxy writeCeiling(int writesPerSecond, int burst) {
    if (writesPerSecond < 1) {
      throw new IllegalArgumentException("writesPerSecond must be at least 1: " + writesPerSecond);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1: " + burst);
    }
    keyBuckets.clear();
    ceiling = new Ceiling(writesPerSecond, burst);
    return this;
  }

  /** Removes the write ceiling. */
  public FaultProxy noWriteCeiling() {
    ceiling = null;
    keyBuckets.clear();
    return this;
  }

  /** Resets every open client connection now (requests in flight get no answer); new ones are accepted. */
  public void dropConnections() {
    for (Connection connection : connections) {
      connection.close();
    }
  }

  /** Requests received from clients. */
  public long requests() {
    return requests.get();
  }

  /** Requests passed on to the endpoint (including those whose answer a {@link Fault#dropResponse()} dropped). */
  public long forwarded() {
    return forwarded.get();
  }

  /** Requests a fault of this kind hit. */
  public long injected(Fault.Kind kind) {
    AtomicLong count = injected.get(kind);
    return count == null ? 0 : count.get();
  }

  /**
   * Requests whose answer a {@link Fault#dropResponse()} dropped although the store had answered 200: for a write,
   * one applied that its client never learns of (a failed condition, answered 400, is not counted). Each such write
   * of a bucket is a permit spent that no caller is told of: the SDK's retry spends a second one for the same
   * decision, or the call fails. Under-admission, never over.
   */
  public long appliedButUnanswered() {
    return appliedButUnanswered.get();
  }

  /**
   * The JSON bodies of the writes {@link #appliedButUnanswered()} counts: what each of them changed, for a test that
   * needs more than their number (a write that carried several decisions' permits).
   */
  public List<String> appliedButUnansweredRequests() {
    return List.copyOf(appliedButUnansweredBodies);
  }

  /** Writes the per-key write ceiling throttled. */
  public long ceilingThrottles() {
    return ceilingThrottles.get();
  }

  /** Stops listening, closes every connection and releases blackholed requests (their connections close). */
  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    dropConnections();
    wakeBlackholes();
  }

  @Override
  public String toString() {
    return "FaultProxy " + endpoint() + " -> " + upstream + " faults " + faults
        + (ceiling == null ? "" : " ceiling " + ceiling.rate + "/s");
  }

  // ---- connections ----

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        client.setTcpNoDelay(true);
        Connection connection = new Connection(client);
        connections.add(connection);
        Thread thread = new Thread(connection, "fault-proxy-" + client.getPort());
        thread.setDaemon(true);
        thread.start();
      } catch (IOException e) {
        if (!closed) {
          sleepQuietly(10);
        }
      }
    }
  }

  private final class Connection implements Runnable, Closeable {
    private final Socket client;
    private Socket store;
    private InputStream storeIn;

    Connection(Socket client) {
      this.client = client;
    }

    @Override
    public void run() {
      try {
        InputStream in = new BufferedInputStream(client.getInputStream());
        OutputStream out = client.getOutputStream();
        while (!closed) {
          Message request = Message.read(in, true);
          if (request == null) {
            return;
          }
          requests.incrementAndGet();
          if (!handle(request, out)) {
            return;
          }
        }
      } catch (IOException e) {
        // the client went away, or we reset it
      } finally {
        close();
        connections.remove(this);
      }
    }

    /** Whether the connection stays open. */
    private boolean handle(Message request, OutputStream out) throws IOException {
      String operation = request.operation();
      for (Fault fault : faults) {
        if (!fault.matches(operation) || !hits(fault)) {
          continue;
        }
        if (fault.kind() != Fault.Kind.DROP_RESPONSE) {
          count(fault.kind());
        }
        switch (fault.kind()) {
          case LATENCY -> sleepQuietly(fault.latency().toMillis());
          case PROVISIONED_THROUGHPUT_EXCEEDED -> {
            out.write(errorResponse(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing"
                    + " your provisioning level with the UpdateTable API."));
            out.flush();
            return true;
          }
          case THROTTLING -> {
            out.write(errorResponse(400, "com.amazon.coral.availability#ThrottlingException",
                "Rate of requests exceeds the allowed throughput."));
            out.flush();
            return true;
          }
          case SERVER_ERROR -> {
            out.write(errorResponse(500, "com.amazonaws.dynamodb.v20120810#InternalServerError",
                "Internal server error"));
            out.flush();
            return true;
          }
          case DROP_REQUEST -> {
            return false;
          }
          case DROP_RESPONSE -> {
            Message answer = forward(request);
            if (answer != null) {
              count(fault.kind()); // counted once the store has answered
              if (answer.succeeded()) {
                appliedButUnanswered.incrementAndGet(); // a write applied (not a failed condition) that nobody hears of
                appliedButUnansweredBodies.add(new String(request.body(), StandardCharsets.UTF_8));
              }
            }
            return false;
          }
          case BLACKHOLE -> {
            holdWhile(fault);
            return false;
          }
          default -> throw new IllegalStateException("unknown fault " + fault);
        }
      }
      if (overCeiling(operation, request)) {
        ceilingThrottles.incrementAndGet();
        out.write(errorResponse(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded. Consider increasing your"
                + " provisioning level with the UpdateTable API."));
        out.flush();
        return true;
      }
      Message response = forward(request);
      if (response == null) {
        return false;
      }
      out.write(response.bytes());
      out.flush();
      return !response.closes();
    }

    /** Sends the request to the store and reads its answer; null if the store cannot be reached. */
    private Message forward(Message request) {
      for (int attempt = 0; attempt < 2; attempt++) {
        try {
          if (store == null) {
            store = new Socket(upstream.getHost(), upstream.getPort());
            store.setTcpNoDelay(true);
            storeIn = new BufferedInputStream(store.getInputStream());
          }
          store.getOutputStream().write(request.bytes());
          store.getOutputStream().flush();
          forwarded.incrementAndGet();
          Message response = Message.read(storeIn, false);
          if (response == null) {
            throw new EOFException("the store closed the connection");
          }
          if (response.closes()) {
            closeStore();
          }
          return response;
        } catch (IOException e) {
          boolean wasReused = store != null;
          closeStore();
          if (!wasReused || attempt == 1 || !(e instanceof EOFException || e instanceof SocketException)) {
            return null;
          }
          // a kept-alive connection the store had closed: once more on a new one
        }
      }
      return null;
    }

    private void closeStore() {
      if (store != null) {
        try {
          store.close();
        } catch (IOException ignored) {
          // gone anyway
        }
        store = null;
        storeIn = null;
      }
    }

    @Override
    public void close() {
      try {
        client.setSoLinger(true, 0); // a reset, as a crashed store would send
        client.close();
      } catch (IOException ignored) {
        // gone anyway
      }
      closeStore();
    }
  }

  // ---- decisions ----

  private static boolean hits(Fault fault) {
    double share = fault.share();
    return share >= 1.0 || (share > 0.0 && ThreadLocalRandom.current().nextDouble() < share);
  }

  private void count(Fault.Kind kind) {
    injected.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  private void holdWhile(Fault fault) {
    synchronized (blackholeLock) {
      while (!closed && faults.contains(fault)) {
        try {
          blackholeLock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void wakeBlackholes() {
    synchronized (blackholeLock) {
      blackholeLock.notifyAll();
    }
  }

  private boolean overCeiling(String operation, Message request) {
    Ceiling current = ceiling;
    if (current == null || !WRITES.contains(operation)) {
      return false;
    }
    String key = itemKey(operation, request.body());
    if (key == null) {
      return false;
    }
    return !keyBuckets.computeIfAbsent(key, k -> new KeyBucket(current)).tryTake(System.nanoTime());
  }

  /** The table and key of a write, canonical (attributes sorted); null if the body names none. */
  private String itemKey(String operation, byte[] body) {
    try {
      JsonNode json = JSON.readTree(body);
      String table = json.path("TableName").asText(null);
      if (table == null) {
        return null;
      }
      Map<String, String> key = new TreeMap<>();
      if (operation.equals("PutItem")) {
        JsonNode item = json.path("Item");
        for (String attribute : keyAttributes(table)) {
          key.put(attribute, item.path(attribute).toString());
        }
      } else {
        for (Map.Entry<String, JsonNode> field : json.path("Key").properties()) {
          key.put(field.getKey(), field.getValue().toString());
        }
      }
      return key.isEmpty() ? null : table + "\u0000" + key;
    } catch (IOException e) {
      return null;
    }
  }

  /** The key attributes of a table, asked of the store once. */
  private List<String> keyAttributes(String table) throws IOException {
    List<String> known = keyAttributes.get(table);
    if (known != null) {
      return known;
    }
    byte[] body = JSON.writeValueAsBytes(Map.of("TableName", table));
    String head = "POST / HTTP/1.1\r\nHost: " + upstream.getHost() + ":" + upstream.getPort() + "\r\n"
        + "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: " + TARGET_PREFIX + "DescribeTable\r\n"
        + "X-Amz-Date: 20200101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/"
        + "dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0\r\n"
        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
    try (Socket socket = new Socket(upstream.getHost(), upstream.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      Message response = Message.read(new BufferedInputStream(socket.getInputStream()), false);
      if (response == null) {
        throw new EOFException("no answer to DescribeTable " + table);
      }
      List<String> attributes = new ArrayList<>();
      for (JsonNode element : JSON.readTree(response.body()).path("Table").path("KeySchema")) {
        attributes.add(element.path("AttributeName").asText());
      }
      List<String> result = List.copyOf(attributes);
      if (!result.isEmpty()) {
        keyAttributes.put(table, result);
      }
      return result;
    }
  }

  private static byte[] errorResponse(int status, String type, String message) {
    String body = "{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + (status == 400 ? " Bad Request" : " Internal Server Error") + "\r\n"
        + "x-amzn-RequestId: FAULTPROXY" + ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41) + "\r\n"
        + "Content-Type: application/x-amz-json-1.0\r\n"
        + "Content-Length: " + bytes.length + "\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + bytes.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(bytes, 0, all, headBytes.length, bytes.length);
    return all;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private record Ceiling(int rate, int burst) {}

  /** A token bucket per item key: {@code rate} writes per second, up to {@code burst} at once. */
  private static final class KeyBucket {
    private final double perNano;
    private final double capacity;
    private double tokens;
    private long last;

    KeyBucket(Ceiling ceiling) {
      this.perNano = ceiling.rate() / 1e9;
      this.capacity = ceiling.burst();
      this.tokens = capacity;
      this.last = System.nanoTime();
    }

    synchronized boolean tryTake(long now) {
      tokens = Math.min(capacity, tokens + (now - last) * perNano);
      last = now;
      if (tokens >= 1.0) {
        tokens -= 1.0;
        return true;
      }
      return false;
    }
  }

  /** One HTTP/1.1 message as read off the wire: its bytes to pass on, and what the proxy needs of it. */
  private record Message(byte[] bytes, byte[] body, Map<String, String> headers) {

    /** The next message, or null at a clean end of stream. */
    static Message read(InputStream in, boolean isRequest) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream(512);
      int last4 = 0;
      while (last4 != 0x0D0A0D0A) {
        int b = in.read();
        if (b < 0) {
          if (head.size() == 0) {
            return null;
          }
          throw new EOFException("the connection closed in a message head");
        }
        head.write(b);
        if (head.size() > MAX_HEAD_BYTES) {
          throw new IOException("message head over " + MAX_HEAD_BYTES + " bytes");
        }
        last4 = (last4 << 8) | b;
      }
      String text = head.toString(StandardCharsets.ISO_8859_1);
      Map<String, String> headers = new TreeMap<>();
      String[] lines = text.split("\r\n");
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      ByteArrayOutputStream all = new ByteArrayOutputStream(head.size() + 1024);
      all.write(head.toByteArray());
      byte[] body;
      String length = headers.get("content-length");
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        body = readChunked(in, all);
      } else if (length != null) {
        body = in.readNBytes(Integer.parseInt(length));
        if (body.length < Integer.parseInt(length)) {
          throw new EOFException("the connection closed in a message body");
        }
        all.write(body);
      } else if (!isRequest && !lines[0].contains(" 204 ") && !lines[0].contains(" 304 ")) {
        body = in.readAllBytes(); // no length: the body runs to the end of the connection
        all.write(body);
        headers.put("connection", "close");
      } else {
        body = new byte[0];
      }
      String target = headers.getOrDefault("x-amz-target", "");
      headers.put(":start-line", lines[0]);
      headers.put(":operation", target.startsWith(TARGET_PREFIX) ? target.substring(TARGET_PREFIX.length()) : target);
      return new Message(all.toByteArray(), body, headers);
    }

    private static byte[] readChunked(InputStream in, ByteArrayOutputStream all) throws IOException {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        String sizeLine = readLine(in, all);
        int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
        if (size == 0) {
          while (!readLine(in, all).isEmpty()) {
            // trailers
          }
          return body.toByteArray();
        }
        byte[] chunk = in.readNBytes(size);
        if (chunk.length < size) {
          throw new EOFException("the connection closed in a chunk");
        }
        all.write(chunk);
        body.write(chunk);
        readLine(in, all);
      }
    }

    private static String readLine(InputStream in, ByteArrayOutputStream all) throws IOException {
      StringBuilder line = new StringBuilder();
      int previous = -1;
      while (true) {
        int b = in.read();
        if (b < 0) {
          throw new EOFException("the connection closed in a chunked body");
        }
        all.write(b);
        if (previous == '\r' && b == '\n') {
          line.setLength(line.length() - 1);
          return line.toString();
        }
        line.append((char) b);
        previous = b;
      }
    }

    String operation() {
      return headers.get(":operation");
    }

    boolean closes() {
      return "close".equalsIgnoreCase(headers.get("connection"));
    }

    /** For a response: whether its status is 2xx. */
    boolean succeeded() {
      String[] start = headers.getOrDefault(":start-line", "").split(" ");
      return start.length > 1 && start[1].startsWith("2");
    }
  }
}
