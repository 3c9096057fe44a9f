package dev.popw.coordinator.validation;

/**
 * A coverage device's epoch in numbers, stored for the rewards work (table coverage_devices):
 * what it beaconed and witnessed, its HIP-15 units before and its units after the HIP-17 hex
 * density scale, and what the cross-beacon checks found.
 *
 * @param h3Cell the device's hex at the density resolution (0 without a location)
 * @param hexScale HIP-17 transmit scale of its hex (0 when it is not interactive: no valid witnessed beacon)
 * @param beaconUnits HIP-15 beacon units of its valid beacons, each scaled by its hex scale
 * @param witnessUnits HIP-15 witness units of its selected witnesses, each scaled by the beaconer's hex scale
 * @param reciprocal whether it beaconed and witnessed validly within the reciprocity window
 * @param fitOffsetM distance from its claimed location to where its path losses fit best; NaN when not fitted
 */
public record CoverageSummary(String deviceId, long beacons, long validBeacons, long witnesses, long validWitnesses,
    long selectedWitnesses, double beaconUnits, double witnessUnits, double hexScale, long h3Cell, boolean reciprocal,
    double fitOffsetM) {
  public double units() {
    return beaconUnits + witnessUnits;
  }
}
