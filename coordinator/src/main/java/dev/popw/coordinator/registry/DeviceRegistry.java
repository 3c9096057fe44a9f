package dev.popw.coordinator.registry;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.store.Store;
import dev.popw.identity.DeviceId;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Registration;
import dev.popw.registration.RegistrationResult;
import dev.popw.registration.Registrations;
import java.time.Clock;
import java.time.Duration;

/**
 * Registers devices from signed registrations (see {@link Registrations}): the signature must be
 * the device's own, the network ours and the timestamp within the allowed window, so an old
 * registration cannot be replayed to move a device back to a previous owner.
 */
public final class DeviceRegistry {
  private final Store store;
  private final IngestPipeline pipeline;
  private final String networkId;
  private final Clock clock;
  private final Duration window;

  public DeviceRegistry(Store store, IngestPipeline pipeline, String networkId, Clock clock, Duration window) {
    this.store = store;
    this.pipeline = pipeline;
    this.networkId = networkId;
    this.clock = clock;
    this.window = window;
  }

  /**
   * Verifies and stores a signed registration.
   *
   * @return the registered device id
   * @throws RegistrationException with a message for the device owner
   */
  public DeviceId register(byte[] signedRegistration) {
    RegistrationResult r = Registrations.verify(signedRegistration);
    if (!r.isValid()) {
      throw new RegistrationException("invalid registration: " + r.error().orElse("?"));
    }
    Registration reg = r.registration().orElseThrow();
    if (!networkId.equals(reg.getNetworkId())) {
      throw new RegistrationException("registration is for network '" + reg.getNetworkId() + "', this coordinator serves '" + networkId + "'");
    }
    long now = clock.millis();
    if (Math.abs(now - reg.getTimestampMs()) > window.toMillis()) {
      throw new RegistrationException("registration timestamp is " + Math.abs(now - reg.getTimestampMs()) / 1000
          + " s away from the coordinator's clock (allowed: " + window.toSeconds() + " s); check the device clock");
    }
    DeviceId id = r.deviceId().orElseThrow();
    Location loc = reg.hasLocation() ? reg.getLocation() : null;
    store.devices().upsertDevice(id, r.owner().orElseThrow().toString(), reg.getKindValue(),
        loc == null ? null : loc.getLatitude(), loc == null ? null : loc.getLongitude(),
        loc == null || loc.getH3Cell() == 0 ? null : loc.getH3Cell(), now, signedRegistration);
    pipeline.deviceChanged(id.toString());
    return id;
  }

  /** Deactivates (or reactivates) a device; its envelopes are then rejected as DEVICE_INACTIVE. */
  public void setActive(DeviceId id, boolean active) {
    store.devices().setActive(id, active);
    pipeline.deviceChanged(id.toString());
  }
}
