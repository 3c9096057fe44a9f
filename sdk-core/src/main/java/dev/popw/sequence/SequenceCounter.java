package dev.popw.sequence;

/**
 * Hands out a device's envelope sequence numbers: strictly increasing, never reused, even across
 * crashes and reboots. Gaps are allowed.
 */
public interface SequenceCounter {
  /**
   * The next sequence number. When this returns, the number is durably reserved: no later call, in
   * this process or after a restart, returns it again.
   *
   * @throws SequenceException if the reservation cannot be made durable
   */
  long next();
}
