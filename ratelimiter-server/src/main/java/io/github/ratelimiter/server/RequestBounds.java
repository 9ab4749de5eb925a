package io.github.ratelimiter.server;

/**
 * The largest request the service decides; a larger one is answered {@code INVALID_ARGUMENT} (HTTP 400) naming the
 * field and the bound, before anything is looked up or sent to the store. The defaults are far above what Envoy
 * sends (a few descriptors of a few short entries) and keep one request's work and memory small. Immutable.
 *
 * @param maxDescriptors descriptors per request, default 64
 * @param maxEntries entries per descriptor, default 16
 * @param maxKeyBytes UTF-8 bytes per entry key, default 256
 * @param maxValueBytes UTF-8 bytes per entry value, default 1024
 * @param maxHitsAddend the largest {@code hits_addend}, default 1,000,000,000 (more than any configured limit
 *     admits at once)
 */
public record RequestBounds(int maxDescriptors, int maxEntries, int maxKeyBytes, int maxValueBytes,
    long maxHitsAddend) {

  /** The defaults above. */
  public static final RequestBounds DEFAULTS = new RequestBounds(64, 16, 256, 1024, 1_000_000_000L);

  /** Validates the bounds: each at least 1. */
  public RequestBounds {
    positive("maxDescriptors", maxDescriptors);
    positive("maxEntries", maxEntries);
    positive("maxKeyBytes", maxKeyBytes);
    positive("maxValueBytes", maxValueBytes);
    positive("maxHitsAddend", maxHitsAddend);
  }

  private static void positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1: " + value);
    }
  }
}
