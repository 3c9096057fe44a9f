package dev.popw.coordinator.validation;

/**
 * The reward units of one coverage report (table coverage_reports): HIP-15 units for its place
 * among its beacon's witnesses, times the HIP-17 scale of the beaconer's hex.
 *
 * @param beacon true for a beacon report, false for a witness
 * @param witnessCount HIP-15's w for the beacon: selected witnesses plus those refused for their signal
 * @param baseUnits HIP-15 units (0 when invalid or not selected)
 * @param hexScale the beaconer's HIP-17 scale
 * @param units baseUnits × hexScale
 */
public record ReportUnits(byte[] envelopeHash, String deviceId, boolean beacon, int witnessCount, double baseUnits, double hexScale,
    double units) {}
