package dev.popw.outbox;

/**
 * A snapshot of an outbox's counters. Counts of events ({@code appended}, {@code acknowledged},
 * {@code dropped}, {@code expired}, {@code corrupt}) are since the outbox was opened; {@code pending}
 * and {@code bytes} are the current state, recovered from disk.
 */
public final class OutboxStats {
  private final long pending;
  private final long bytes;
  private final long appended;
  private final long acknowledged;
  private final long dropped;
  private final long expired;
  private final long corrupt;

  OutboxStats(long pending, long bytes, long appended, long acknowledged, long dropped, long expired, long corrupt) {
    this.pending = pending;
    this.bytes = bytes;
    this.appended = appended;
    this.acknowledged = acknowledged;
    this.dropped = dropped;
    this.expired = expired;
    this.corrupt = corrupt;
  }

  /** Entries not yet acknowledged, dropped or expired. */
  public long pending() {
    return pending;
  }

  /** Bytes on disk, all segments. */
  public long bytes() {
    return bytes;
  }

  public long appended() {
    return appended;
  }

  public long acknowledged() {
    return acknowledged;
  }

  /** Entries lost to the overflow policy (or refused, under {@link OverflowPolicy#REJECT_NEW}). */
  public long dropped() {
    return dropped;
  }

  /** Time-critical entries dropped unsent because they expired. */
  public long expired() {
    return expired;
  }

  /** Records skipped because their checksum failed (disk corruption, not a torn tail). */
  public long corrupt() {
    return corrupt;
  }

  @Override
  public String toString() {
    return String.format("pending=%d bytes=%d appended=%d acknowledged=%d dropped=%d expired=%d corrupt=%d",
        pending, bytes, appended, acknowledged, dropped, expired, corrupt);
  }
}
