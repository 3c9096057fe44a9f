package dev.popw.registration;

import dev.popw.identity.DeviceId;
import dev.popw.identity.EvmAddress;
import dev.popw.proto.v1.Registration;
import java.util.Optional;

/** The outcome of verifying a signed registration. Immutable. */
public final class RegistrationResult {
  private final Registration registration;
  private final DeviceId deviceId;
  private final String error;

  private RegistrationResult(Registration registration, DeviceId deviceId, String error) {
    this.registration = registration;
    this.deviceId = deviceId;
    this.error = error;
  }

  static RegistrationResult valid(Registration r, DeviceId id) {
    return new RegistrationResult(r, id, null);
  }

  static RegistrationResult invalid(String error) {
    return new RegistrationResult(null, null, error);
  }

  public boolean isValid() {
    return error == null;
  }

  /** Why it is invalid; empty when valid. */
  public Optional<String> error() {
    return Optional.ofNullable(error);
  }

  public Optional<Registration> registration() {
    return Optional.ofNullable(registration);
  }

  public Optional<DeviceId> deviceId() {
    return Optional.ofNullable(deviceId);
  }

  /** The owner address; present when valid. */
  public Optional<EvmAddress> owner() {
    return registration().map(r -> EvmAddress.parse("0x" + dev.popw.internal.encoding.Hex.encode(r.getOwner().toByteArray())));
  }
}
