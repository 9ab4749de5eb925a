package io.github.ratelimiter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Several limits on one key, decided together: a request is admitted only when every limit admits it, and then it
 * is charged to every limit; a denial charges nothing anywhere. "10 per second, 1,000 per hour, 20,000 per day" for
 * a public API, or requests and tokens per minute for an LLM gateway:
 *
 * <pre>{@code
 * Quota api = Quota.of(Limit.of(10, Duration.ofSeconds(1)), Limit.of(1_000, Duration.ofHours(1)));
 *
 * Quota llm = Quota.builder()
 *     .limit("requests", Limit.of(60, Duration.ofMinutes(1)))
 *     .limit("tokens", Limit.of(100_000, Duration.ofMinutes(1)))
 *     .build();
 * limiters.fungible("llm", llm).tryAcquire(apiKey, Cost.of(Map.of("requests", 1L, "tokens", 800L)));
 * }</pre>
 *
 * <p>Each limit has a name: the one given to the builder, or, from {@link #of(Limit, Limit...)}, its window as
 * {@link Limit#toString()} writes it ({@code "1s"}, {@code "1h"}). A {@link Cost} charges limits by name. All the
 * limits of a quota live in one bucket item per account and are decided by one conditional write.
 *
 * <h2>The bound, for every limit at once</h2>
 *
 * <p>Each limit {@code i} is a GCRA bucket of its own ({@link io.github.ratelimiter.store.Gcra}), a lane of the one
 * item. A request is admitted only when every lane's rule admits its cost at the decision's {@code now}, and then
 * every lane moves exactly as that lane alone would have moved; a denial moves no lane. So the sequence of states of
 * lane {@code i} is the sequence a single bucket of limit {@code i} goes through when it is asked exactly the
 * admitted requests, each of which it admits. The single-limit bound therefore holds for each lane on its own, and
 * so for all of them at once: over every interval of length {@code t}, the admitted cost charged to limit {@code i}
 * is at most {@code limit_i + floor(t * limit_i / window_i)}, for every {@code i}. Requests denied by one lane cost
 * the others nothing, which is what a sequence of separate limiters (or envoyproxy/ratelimit's separate counters)
 * cannot give. Clock skew acts per lane as for a single limit.
 *
 * <p>Immutable and thread-safe; equal when the same names carry the same limits in the same order.
 */
public final class Quota {

  /** Names are short identifiers: letters, digits, {@code _ - .}, up to 64 characters. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** The most limits one quota may hold: each is a condition of the one write that decides them all. */
  public static final int MAX_LIMITS = 8;

  private final Map<String, Limit> limits;

  private Quota(Map<String, Limit> limits) {
    this.limits = Collections.unmodifiableMap(new LinkedHashMap<>(limits));
  }

  /**
   * A quota of these limits, each named by its window ({@code "1s"}, {@code "10m"}, {@code "1d"}), each charged the
   * same permits by {@link FungibleLimiter#tryAcquire(String, long)}.
   *
   * @throws IllegalArgumentException if a limit is null, two have the same window (name them with
   *     {@link #builder()}), or there are more than {@link #MAX_LIMITS}
   */
  public static Quota of(Limit first, Limit... more) {
    Builder builder = builder();
    List<Limit> all = new ArrayList<>();
    all.add(first);
    all.addAll(List.of(Objects.requireNonNull(more, "more")));
    for (Limit limit : all) {
      if (limit == null) {
        throw new IllegalArgumentException("a quota's limits must not be null: " + all);
      }
      String name = Limit.windowText(limit.window());
      if (builder.limits.containsKey(name)) {
        throw new IllegalArgumentException("two limits per " + name + " in one quota (" + builder.limits.get(name)
            + " and " + limit + "): name them with Quota.builder()");
      }
      builder.limit(name, limit);
    }
    return builder.build();
  }

  /** A builder of named limits. */
  public static Builder builder() {
    return new Builder();
  }

  /** The quota of one limit: what {@link RateLimiters#fungible(String, Limit)} enforces. */
  public static Quota of(Limit limit) {
    return of(limit, new Limit[0]);
  }

  /** The limits by name, in the order they were given. */
  public Map<String, Limit> limits() {
    return limits;
  }

  /** The names of the limits, in order. */
  public List<String> names() {
    return List.copyOf(limits.keySet());
  }

  /**
   * The limit of that name.
   *
   * @throws IllegalArgumentException if the quota has no limit of that name
   */
  public Limit limit(String name) {
    Limit limit = limits.get(name);
    if (limit == null) {
      throw new IllegalArgumentException("quota " + this + " has no limit named '" + name + "'; it has "
          + limits.keySet());
    }
    return limit;
  }

  /** The first limit: the one stored where a single limit is, and what a one-limit quota is. */
  public Limit first() {
    return limits.values().iterator().next();
  }

  /** How many limits. */
  public int size() {
    return limits.size();
  }

  /** Whether some limit is 0, which blocks every request. */
  public boolean blocks() {
    return limits.values().stream().anyMatch(Limit::blocks);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Quota other && new ArrayList<>(limits.entrySet()).equals(
        new ArrayList<>(other.limits.entrySet()));
  }

  @Override
  public int hashCode() {
    return new ArrayList<>(limits.entrySet()).hashCode();
  }

  /** As people write it: {@code 10 per 1s, 1000 per 1h}, or {@code requests: 60 per 1m, tokens: ...} when named. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    limits.forEach((name, limit) -> {
      if (text.length() > 0) {
        text.append(", ");
      }
      if (!name.equals(Limit.windowText(limit.window()))) {
        text.append(name).append(": ");
      }
      text.append(limit);
    });
    return text.toString();
  }

  /** Builds a {@link Quota} of named limits. Not thread-safe. */
  public static final class Builder {
    private final LinkedHashMap<String, Limit> limits = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Adds a limit.
     *
     * @throws IllegalArgumentException if {@code name} is not 1 to 64 letters, digits, {@code _ - .}, is already
     *     used, {@code limit} is null, or the quota would hold more than {@link #MAX_LIMITS}
     */
    public Builder limit(String name, Limit limit) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("a limit's name must be 1 to 64 letters, digits, '_', '-' or '.': "
            + (name == null ? null : "'" + name + "'"));
      }
      if (limit == null) {
        throw new IllegalArgumentException("limit '" + name + "' must not be null");
      }
      if (limits.containsKey(name)) {
        throw new IllegalArgumentException("the quota already has a limit named '" + name + "': " + limits.get(name));
      }
      if (limits.size() == MAX_LIMITS) {
        throw new IllegalArgumentException("a quota holds at most " + MAX_LIMITS + " limits; '" + name
            + "' would be the " + (MAX_LIMITS + 1) + "th");
      }
      limits.put(name, limit);
      return this;
    }

    /**
     * The quota.
     *
     * @throws IllegalArgumentException if no limit was added
     */
    public Quota build() {
      if (limits.isEmpty()) {
        throw new IllegalArgumentException("a quota needs at least one limit");
      }
      return new Quota(limits);
    }
  }
}
