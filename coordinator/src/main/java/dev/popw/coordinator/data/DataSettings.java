package dev.popw.coordinator.data;

import java.time.Duration;

/**
 * {@code [data]}: the paid data API (docs/rewards.md, "Data credits").
 *
 * @param creditsPerMessage data credits one served message costs (Helium: 1 credit per 24-byte packet); 0: the data API is free and open
 * @param maxPage most messages in one answer
 * @param tokenWindow how far a consumer token's time may be from the coordinator's
 * @param maxWait longest a long poll waits for new data
 */
public record DataSettings(long creditsPerMessage, int maxPage, Duration tokenWindow, Duration maxWait) {
  public DataSettings {
    if (creditsPerMessage < 0) {
      throw new IllegalArgumentException("data.credits_per_message must not be negative");
    }
    if (maxPage < 1 || maxPage > 10_000) {
      throw new IllegalArgumentException("data.max_page must be between 1 and 10000");
    }
  }

  public static DataSettings defaults() {
    return new DataSettings(1, 1000, Duration.ofMinutes(5), Duration.ofSeconds(20));
  }
}
