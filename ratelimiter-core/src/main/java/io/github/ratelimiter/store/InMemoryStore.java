package io.github.ratelimiter.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store that keeps everything in this process's memory: for tests, single-process services and the demo without
 * a DynamoDB-compatible server.
 *
 * <p>It applies the same algorithm as the DynamoDB store, atomically per key (a bucket is a compare-and-set on its
 * {@code tat}; slots are {@link ConcurrentHashMap#compute computed} under their key's lock), so both give identical
 * answers; the contract suite in {@code ratelimiter-testing} runs against both. Limits are set with
 * {@link #limits()}. Thread-safe. Nothing is ever evicted: buckets and slots live as long as the store.
 */
public final class InMemoryStore implements RateLimitStore {

  private record Key(String resourceName, String accountId) {}

  private final Map<Key, LimitRecord> limitRows = new ConcurrentHashMap<>();
  /** Per resource, per account: two lookups of strings that cache their hashes, and no key object per decision. */
  private final Map<String, Map<String, Cell>> buckets = new ConcurrentHashMap<>();
  private final Map<Key, ConcurrentHashMap<String, SlotRecord>> slotRows = new ConcurrentHashMap<>();

  private final LimitStore limits = new Limits();
  private final BucketStore bucketStore = new Buckets();
  private final SlotStore slots = new Slots();

  private InMemoryStore() {}

  /** Creates an empty store. */
  public static InMemoryStore create() {
    return new InMemoryStore();
  }

  @Override
  public LimitStore limits() {
    return limits;
  }

  @Override
  public BucketStore buckets() {
    return bucketStore;
  }

  @Override
  public SlotStore slots() {
    return slots;
  }

  private final class Limits implements LimitStore {
    @Override
    public Optional<LimitRecord> find(String resourceName, String accountId, Deadline deadline) {
      return Optional.ofNullable(limitRows.get(new Key(resourceName, accountId)));
    }

    @Override
    public void put(LimitRecord record) {
      limitRows.put(new Key(record.resourceName(), record.accountId()), record);
    }

    @Override
    public boolean delete(String resourceName, String accountId) {
      return limitRows.remove(new Key(resourceName, accountId)) != null;
    }

    @Override
    public List<LimitRecord> listByService(String serviceName) {
      return limitRows.values().stream().filter(r -> Objects.equals(r.serviceName(), serviceName)).toList();
    }

    @Override
    public List<LimitRecord> listByResource(String resourceName) {
      return limitRows.values().stream()
          .filter(r -> r.resourceName().equals(resourceName))
          .sorted(Comparator.comparing(LimitRecord::accountId))
          .toList();
    }
  }

  /**
   * A bucket: its first lane's {@code tat} (the only one a single limit has), and the quota lanes beyond the first by
   * name. The first moves by compare-and-set; the others change only under the cell's lock, held by quota steps,
   * which also move the first by compare-and-set, so a single-limit step and a quota step on one bucket stay atomic.
   */
  private static final class Cell extends AtomicLong {
    private static final long serialVersionUID = 1L;
    private final transient Map<String, Long> more = new HashMap<>();

    Cell() {
      super(BucketStore.UNKNOWN);
    }
  }

  private final class Buckets implements BucketStore {
    /**
     * The bucket used last, in front of the maps: a run of decisions for one bucket skips both lookups. A plain
     * field (a stale read costs only the lookups) and exact, since a bucket's holder is never replaced or evicted.
     */
    private Last last;

    private record Last(String resourceName, String accountId, Cell tat) {}

    @Override
    public BucketResult consume(BucketRequest request) {
      Last memo = last;
      Cell tat;
      if (memo != null && memo.accountId().equals(request.accountId())
          && memo.resourceName().equals(request.resourceName())) {
        tat = memo.tat();
      } else {
        tat = bucket(request.resourceName(), request.accountId());
        last = new Last(request.resourceName(), request.accountId(), tat);
      }
      while (true) { // each result made after the loop: a result made in a turn of it would be allocated
        long current = tat.get();
        long next = request.admittedTat(current);
        if (next == Gcra.DENIED) {
          return new BucketResult(false, current);
        }
        if (tat.compareAndSet(current, next)) {
          return new BucketResult(true, next);
        }
      }
    }

    @Override
    public QuotaResult consume(QuotaRequest request) {
      Cell cell = bucket(request.resourceName(), request.accountId());
      List<Lane> lanes = request.lanes();
      synchronized (cell) { // no store call inside: a few arithmetic steps
        while (true) {
          long first = cell.get();
          long[] stored = new long[lanes.size()];
          stored[0] = first;
          for (int i = 1; i < stored.length; i++) {
            stored[i] = cell.more.getOrDefault(lanes.get(i).name(), UNKNOWN);
          }
          QuotaResult result = request.applyTo(stored);
          if (!result.allowed()) {
            return result;
          }
          if (cell.compareAndSet(first, result.tats()[0])) {
            for (int i = 1; i < stored.length; i++) {
              if (result.tats()[i] != UNKNOWN) {
                cell.more.put(lanes.get(i).name(), result.tats()[i]);
              }
            }
            return result;
          }
        }
      }
    }

    @Override
    public boolean refund(RefundRequest request) {
      Cell cell = bucket(request.resourceName(), request.accountId());
      List<Refund> lanes = request.lanes();
      synchronized (cell) { // no store call inside
        while (true) {
          long first = cell.get();
          for (int i = 0; i < lanes.size(); i++) {
            long tat = i == 0 ? first : cell.more.getOrDefault(lanes.get(i).name(), UNKNOWN);
            if (tat < lanes.get(i).atLeastTat()) {
              return false;
            }
          }
          if (cell.compareAndSet(first, first - lanes.get(0).amountNanos())) {
            for (int i = 1; i < lanes.size(); i++) {
              Refund lane = lanes.get(i);
              if (lane.amountNanos() > 0) { // a lane with nothing to give back may have no state at all
                cell.more.put(lane.name(), cell.more.get(lane.name()) - lane.amountNanos());
              }
            }
            return true;
          }
        }
      }
    }

    private Cell bucket(String resourceName, String accountId) {
      Map<String, Cell> accounts = buckets.get(resourceName);
      if (accounts == null) {
        accounts = buckets.computeIfAbsent(resourceName, k -> new ConcurrentHashMap<>());
      }
      Cell tat = accounts.get(accountId);
      if (tat == null) {
        tat = accounts.computeIfAbsent(accountId, k -> new Cell());
      }
      return tat;
    }
  }

  private final class Slots implements SlotStore {
    private ConcurrentHashMap<String, SlotRecord> rows(String resourceName, String accountId) {
      return slotRows.computeIfAbsent(new Key(resourceName, accountId), k -> new ConcurrentHashMap<>());
    }

    @Override
    public List<SlotRecord> list(String resourceName, String accountId, Deadline deadline) {
      List<SlotRecord> rows = new ArrayList<>(rows(resourceName, accountId).values());
      rows.sort(SlotRecord.ORDER);
      return rows;
    }

    @Override
    public boolean claim(SlotRecord row, long nowEpochSecond, Deadline deadline) {
      boolean[] taken = new boolean[1];
      rows(row.resourceName(), row.accountId()).compute(row.reservationId(), (id, old) -> {
        taken[0] = old == null || !old.liveAt(nowEpochSecond);
        return taken[0] ? row : old;
      });
      return taken[0];
    }

    @Override
    public boolean update(SlotRecord row, long nowEpochSecond) {
      boolean[] replaced = new boolean[1];
      rows(row.resourceName(), row.accountId()).computeIfPresent(row.reservationId(), (id, old) -> {
        replaced[0] = row.holder() != null && row.holder().equals(old.holder()) && old.liveAt(nowEpochSecond);
        return replaced[0] ? row : old;
      });
      return replaced[0];
    }

    @Override
    public boolean delete(SlotRecord row) {
      boolean[] deleted = new boolean[1];
      rows(row.resourceName(), row.accountId()).computeIfPresent(row.reservationId(), (id, old) -> {
        deleted[0] = row.holder() == null
            ? old.holder() == null && row.resourceId() != null && row.resourceId().equals(old.resourceId())
            : row.holder().equals(old.holder())
                && (row.resourceId() == null || row.resourceId().equals(old.resourceId()));
        return deleted[0] ? null : old;
      });
      return deleted[0];
    }

    @Override
    public List<SlotRecord> findByResourceId(String resourceId) {
      List<SlotRecord> found = new ArrayList<>();
      for (ConcurrentHashMap<String, SlotRecord> rows : slotRows.values()) {
        for (SlotRecord row : rows.values()) {
          if (resourceId.equals(row.resourceId())) {
            found.add(row);
          }
        }
      }
      return found;
    }
  }
}
