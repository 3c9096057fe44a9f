package dev.popw.coordinator.store;

/**
 * Caps on the bytes of rejections kept as evidence (each row is charged its envelope, conflicting
 * hash and detail plus {@link EnvelopeStore#ROW_OVERHEAD}); the oldest rows are deleted first,
 * EQUIVOCATION evidence last.
 *
 * @param perDevice per registered device
 * @param unattributed for rejections that are no registered device's (bad signatures, unparseable
 *     bytes, unregistered keys), together
 * @param total for all rejections
 */
public record RejectionLimits(long perDevice, long unattributed, long total) {
  public RejectionLimits {
    if (perDevice < 1 || unattributed < 1 || total < 1) {
      throw new IllegalArgumentException("rejection caps must be positive");
    }
  }

  /** 64 KiB per device, 1 MiB unattributed, 64 MiB in all (the settings' defaults). */
  public static RejectionLimits defaults() {
    return new RejectionLimits(64 * 1024, 1024 * 1024, 64 * 1024 * 1024);
  }
}
