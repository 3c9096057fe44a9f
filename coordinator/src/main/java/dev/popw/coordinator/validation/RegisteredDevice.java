package dev.popw.coordinator.validation;

/**
 * What the registry said about a device when its epoch closed: the state validation used, kept
 * with the epoch so that re-validation sees the same registry.
 *
 * @param latitude registered latitude, or null
 * @param longitude registered longitude, or null
 */
public record RegisteredDevice(String deviceId, int kind, Double latitude, Double longitude) {
  public boolean hasLocation() {
    return latitude != null && longitude != null;
  }
}
