package dev.popw.outbox;

import java.time.Duration;
import java.util.Objects;

/** When the outbox forces appended entries to the storage device. */
public final class FsyncPolicy {
  private final Duration interval;

  private FsyncPolicy(Duration interval) {
    this.interval = interval;
  }

  /**
   * Every append is forced to disk before its future completes. Safest; the rate is bounded by the
   * device's fsync latency (SD cards: tens to hundreds per second).
   */
  public static FsyncPolicy everyWrite() {
    return new FsyncPolicy(Duration.ZERO);
  }

  /**
   * Appends are forced together every {@code interval}; each append's future completes after the
   * force that covers it. Durability is the same, latency up to one interval, throughput much higher.
   */
  public static FsyncPolicy groupCommit(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isZero() || interval.isNegative()) {
      throw new IllegalArgumentException("group commit interval must be positive, got " + interval);
    }
    return new FsyncPolicy(interval);
  }

  public boolean isEveryWrite() {
    return interval.isZero();
  }

  /** The group commit interval; zero for {@link #everyWrite()}. */
  public Duration interval() {
    return interval;
  }

  @Override
  public String toString() {
    return isEveryWrite() ? "every-write" : "group-commit(" + interval.toMillis() + "ms)";
  }
}
