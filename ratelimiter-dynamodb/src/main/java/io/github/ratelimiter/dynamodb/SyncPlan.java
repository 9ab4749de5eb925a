package io.github.ratelimiter.dynamodb;

import io.github.ratelimiter.store.LimitRecord;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link LimitLoader} sync changes (or, for a dry run, would change) in the limit table for one service.
 *
 * <p>Rows of the service that the file no longer lists are {@link Action#DELETE deleted}; listed rows that are new
 * are {@link Action#CREATE created}; listed rows whose limits (limit, window, name, the other limits and their
 * order), leasing switch or parent differ are {@link Action#UPDATE updated};
 * equal rows are left untouched and only counted in {@link #unchanged()}. A listed key whose row belongs to another
 * service, or to no service (set by hand), is a {@link Conflict} and is left alone, unless the sync was forced: then
 * the row is {@link Action#TAKE_OVER taken over} (overwritten, now owned by this service). Immutable.
 *
 * @param serviceName the service
 * @param changes the writes, ordered by action, then key
 * @param conflicts the listed keys left alone because another owner holds them (empty when forced)
 * @param unchanged how many listed rows already held the wanted limit
 * @param applied whether the changes were written; false for a dry run
 */
public record SyncPlan(String serviceName, List<Change> changes, List<Conflict> conflicts, int unchanged,
    boolean applied) {

  /** Copies the lists. */
  public SyncPlan {
    Objects.requireNonNull(serviceName, "serviceName");
    changes = List.copyOf(changes);
    conflicts = List.copyOf(conflicts);
  }

  /** What a change does to one row. */
  public enum Action {
    /** Writes a row that did not exist. */
    CREATE,
    /** Rewrites a row of the service whose limits, leasing switch or parent differ. */
    UPDATE,
    /** Deletes a row of the service that the file no longer lists. */
    DELETE,
    /** Overwrites a row owned by another service or by none (forced syncs only). */
    TAKE_OVER
  }

  /**
   * One write.
   *
   * @param action what it does
   * @param key the row
   * @param before the stored row; {@code null} for a create, and for a stored row that cannot be read as a limit
   *     (e.g. a {@code windowSec} of 0)
   * @param after the row written; {@code null} for a delete
   */
  public record Change(Action action, LimitKey key, LimitRecord before, LimitRecord after) {
    /** Requires the action and key. */
    public Change {
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(key, "key");
    }
  }

  /**
   * A listed row that another owner holds.
   *
   * @param key the row
   * @param owner the service that owns it, or {@code null} when the row has no {@code serviceName} (set by hand)
   * @param stored the stored row, or {@code null} when it cannot be read as a limit
   * @param wanted the row the file asks for
   */
  public record Conflict(LimitKey key, String owner, LimitRecord stored, LimitRecord wanted) {
    /** Requires the key and wanted row. */
    public Conflict {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(wanted, "wanted");
    }
  }

  /** The changes of one action. */
  public List<Change> changes(Action action) {
    return changes.stream().filter(c -> c.action() == action).toList();
  }

  /** How many changes of one action. */
  public int count(Action action) {
    return (int) changes.stream().filter(c -> c.action() == action).count();
  }

  /** Whether some listed rows were left alone because another owner holds them. */
  public boolean hasConflicts() {
    return !conflicts.isEmpty();
  }

  /** One line: the counts of each action, unchanged rows and conflicts. */
  public String summary() {
    return (applied ? "" : "dry run: ") + "service '" + serviceName + "': " + count(Action.CREATE) + " created, "
        + count(Action.UPDATE) + " updated, " + count(Action.DELETE) + " deleted, " + count(Action.TAKE_OVER)
        + " taken over, " + unchanged + " unchanged, " + conflicts.size() + " conflict(s)"
        + (applied ? "" : " (nothing written)");
  }
}
