package dev.popw.outbox;

/**
 * What the outbox does when an append would take it past its byte bound. Either way every lost
 * entry is counted in {@link OutboxStats} and logged.
 */
public enum OverflowPolicy {
  /**
   * Drop the oldest segment of unacknowledged entries (a few percent of the capacity) to make room.
   * The device keeps reporting its newest work, and stale time-critical entries go first by
   * nature. The default.
   */
  DROP_OLDEST,
  /** Refuse the new entry: its future fails with {@link OutboxFullException}; old entries stay. */
  REJECT_NEW
}
