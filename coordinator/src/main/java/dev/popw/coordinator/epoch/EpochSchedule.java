package dev.popw.coordinator.epoch;

import java.time.Duration;

/**
 * Epoch n covers receipt times {@code [n × length, (n + 1) × length)} in Unix milliseconds, so a
 * length that divides a day (the default, 24 h) aligns epochs to UTC midnight. An envelope's
 * epoch is decided by the coordinator's recorded receipt time, never by the device's clock.
 */
public record EpochSchedule(Duration length, Duration closeDelay) {
  public EpochSchedule {
    if (length.toMillis() < 1000) {
      throw new IllegalArgumentException("epoch.length_seconds must be at least 1");
    }
    if (closeDelay.isNegative()) {
      throw new IllegalArgumentException("epoch.close_delay_seconds must not be negative");
    }
  }

  /** 24-hour epochs closed 60 s after their end. */
  public static EpochSchedule defaults() {
    return new EpochSchedule(Duration.ofHours(24), Duration.ofSeconds(60));
  }

  public long epochOf(long receivedAtMs) {
    return Math.floorDiv(receivedAtMs, length.toMillis());
  }

  public long startOf(long epoch) {
    return epoch * length.toMillis();
  }

  public long endOf(long epoch) {
    return (epoch + 1) * length.toMillis();
  }

  /** When the epoch closes: its end plus the close delay (for envelopes received just before the end and still being written). */
  public long closesAt(long epoch) {
    return endOf(epoch) + closeDelay.toMillis();
  }
}
