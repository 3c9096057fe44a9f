package dev.popw.coordinator.validation;

/**
 * A device's work in one epoch, for rewards and the explorer.
 *
 * @param envelopes evidence envelopes of this kind in the epoch
 * @param valid of them VALID
 * @param completeness fraction of expected reading slots present, in [0, 1] (1 for kinds without slots)
 * @param quality the device's score in [0, 1] for the epoch (sensor: valid fraction × completeness)
 * @param units reward units the rewards engine turns into tokens (sensor: quality)
 * @param explanation how the numbers came about
 */
public record DeviceEpochSummary(String deviceId, WorkKind kind, long envelopes, long valid, double completeness, double quality,
    double units, String explanation) {
  public DeviceEpochSummary {
    explanation = Verdict.bounded(explanation);
  }
}
