package dev.popw.coordinator.registry;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.store.DeviceStore;
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
 * the device's own, the network ours, the timestamp within the allowed window and later than the
 * device's current registration (registrations only move forward), so an old registration cannot
 * be replayed to move a device back to a previous owner. Re-sending the identical current
 * registration succeeds and changes nothing (it does not reactivate a deactivated device).
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
      throw new RegistrationException("registration is for network " + quoted(reg.getNetworkId()) + ", this coordinator serves '" + networkId + "'");
    }
    long now = clock.millis();
    long signedAt = reg.getTimestampMs(); // uint64: 2^63 and above are far in the future
    if (signedAt < 0 || Math.abs(now - signedAt) > window.toMillis()) {
      throw new RegistrationException("registration timestamp is " + (signedAt < 0 ? "centuries" : Math.abs(now - signedAt) / 1000 + " s")
          + " away from the coordinator's clock (allowed: " + window.toSeconds() + " s); check the device clock");
    }
    Location loc = reg.hasLocation() ? reg.getLocation() : null;
    if (loc != null) {
      checkLocation(loc);
    }
    checkKeyStorage(reg);
    DeviceId id = r.deviceId().orElseThrow();
    DeviceStore.Upsert done = store.devices().upsertDevice(id, r.owner().orElseThrow().toString(), reg.getKindValue(),
        loc == null ? null : loc.getLatitude(), loc == null ? null : loc.getLongitude(),
        loc == null || loc.getH3Cell() == 0 ? null : loc.getH3Cell(), now, signedAt, signedRegistration);
    if (done == DeviceStore.Upsert.NOT_NEWER) {
      throw new RegistrationException("registration is not newer than the device's current registration; registrations only move"
          + " forward, so sign a new one (an older one may be a replay)");
    }
    if (done == DeviceStore.Upsert.STORED) {
      pipeline.deviceChanged(id.toString());
      onChanged.accept(id);
    }
    return id;
  }

  /**
   * Text from a registration, quoted for a one-line message: control characters, line separators
   * and format characters (bidirectional overrides) escaped as {@code \\uXXXX}, so that a network
   * id with a line break cannot split the refusal or forge a log line; at most 64 characters.
   */
  static String quoted(String s) {
    StringBuilder b = new StringBuilder("'");
    for (int i = 0; i < s.length() && i < 64; i++) {
      char c = s.charAt(i);
      int type = Character.getType(c);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\'' || c == '\\' || type == Character.FORMAT
          || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append(s.length() > 64 ? "'..." : "'").toString();
  }

  /**
   * Where the key is held (fields 8 and 9, docs/hardware-keys.md): a known kind, and a detail of at
   * most 128 characters without control or format characters, since the API and the logs show it.
   */
  private static void checkKeyStorage(Registration reg) {
    int k = reg.getKeyStorageValue();
    if (k != 0 && dev.popw.identity.KeyStorage.Kind.fromWireValue(k) == null) {
      throw new RegistrationException("registration key_storage " + k + " is not a known kind (1 software, 2 pkcs11, 3 tpm, 4 ecc608)");
    }
    String d = reg.getKeyStorageDetail();
    if (d.length() > dev.popw.registration.Registrations.MAX_STORAGE_DETAIL) {
      throw new RegistrationException("registration key_storage_detail is " + d.length() + " characters, at most "
          + dev.popw.registration.Registrations.MAX_STORAGE_DETAIL);
    }
    for (int i = 0; i < d.length(); i++) {
      char c = d.charAt(i);
      int type = Character.getType(c);
      if (c < 0x20 || (c >= 0x7f && c < 0xa0) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw new RegistrationException("registration key_storage_detail " + quoted(d) + " has control or format characters");
      }
    }
  }

  /** The same rule as for telemetry locations (PayloadBounds): finite, and a place on Earth. */
  private static void checkLocation(Location l) {
    double lat = l.getLatitude();
    double lon = l.getLongitude();
    if (!Double.isFinite(lat) || !Double.isFinite(lon)) {
      throw new RegistrationException("registration location is not finite");
    }
    if (lat < -90 || lat > 90) {
      throw new RegistrationException("registration latitude " + lat + " outside [-90.0, 90.0]");
    }
    if (lon < -180 || lon > 180) {
      throw new RegistrationException("registration longitude " + lon + " outside [-180.0, 180.0]");
    }
  }

  /** Deactivates (or reactivates) a device; its envelopes are then rejected as DEVICE_INACTIVE. */
  public void setActive(DeviceId id, boolean active) {
    store.devices().setActive(id, active);
    pipeline.deviceChanged(id.toString());
    onChanged.accept(id);
    if (!active) {
      onDeactivate.accept(id);
    }
  }

  private volatile java.util.function.Consumer<DeviceId> onDeactivate = id -> { };
  private volatile java.util.function.Consumer<DeviceId> onChanged = id -> { };

  /** Called with each device registered, re-registered, deactivated or reactivated here (a cluster tells its other nodes). */
  public void onChanged(java.util.function.Consumer<DeviceId> action) {
    this.onChanged = action;
  }

  /** Called with each device deactivated (the embedded broker closes its connection). */
  public void onDeactivate(java.util.function.Consumer<DeviceId> action) {
    this.onDeactivate = action;
  }
}
