package dev.popw.transport;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter ("equal jitter"): attempt n waits a random time between half
 * and all of {@code min(max, initial * 2^n)}, so that a fleet of devices does not reconnect in
 * lockstep after an outage.
 */
public final class Backoff {
  private final long initialMs;
  private final long maxMs;
  private int attempt;

  public Backoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
    this.initialMs = initial.toMillis();
    this.maxMs = max.toMillis();
  }

  /** The delay before the next attempt; each call doubles the ceiling up to the maximum. */
  public synchronized long nextDelayMillis() {
    long ceiling = initialMs << Math.min(attempt, 30);
    if (ceiling <= 0 || ceiling > maxMs) {
      ceiling = maxMs;
    }
    attempt++;
    long half = ceiling / 2;
    return half + ThreadLocalRandom.current().nextLong(ceiling - half + 1);
  }

  /** After a success: start again from the initial delay. */
  public synchronized void reset() {
    attempt = 0;
  }
}
