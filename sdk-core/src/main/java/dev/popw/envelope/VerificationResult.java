package dev.popw.envelope;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.Telemetry;
import java.util.Optional;

/**
 * The outcome of verifying one envelope: a {@link Reason} and, as far as parsing got, what was in
 * it. Immutable and thread-safe.
 */
public final class VerificationResult {
  private final Reason reason;
  private final String detail;
  private final KeyType keyType;
  private final byte[] publicKey;
  private final ByteString telemetryBytes;
  private final Telemetry telemetry;
  private volatile byte[] hash;
  private volatile DeviceId deviceId;

  private VerificationResult(
      Reason reason, String detail, KeyType keyType, byte[] publicKey, ByteString telemetryBytes, Telemetry telemetry) {
    this.reason = reason;
    this.detail = detail;
    this.keyType = keyType;
    this.publicKey = publicKey;
    this.telemetryBytes = telemetryBytes;
    this.telemetry = telemetry;
  }

  static VerificationResult reject(Reason reason, String detail) {
    return new VerificationResult(reason, detail, null, null, null, null);
  }

  static VerificationResult reject(Reason reason, String detail, KeyType keyType, byte[] publicKey, ByteString telemetryBytes, Telemetry telemetry) {
    return new VerificationResult(reason, detail, keyType, publicKey, telemetryBytes, telemetry);
  }

  static VerificationResult ok(KeyType keyType, byte[] publicKey, ByteString telemetryBytes, Telemetry telemetry) {
    return new VerificationResult(Reason.OK, Reason.OK.description(), keyType, publicKey, telemetryBytes, telemetry);
  }

  /** As {@link #ok}, with the device id already known (the verifier caches it with the decoded key). */
  static VerificationResult ok(KeyType keyType, byte[] publicKey, ByteString telemetryBytes, Telemetry telemetry, DeviceId id) {
    VerificationResult r = ok(keyType, publicKey, telemetryBytes, telemetry);
    r.deviceId = id;
    return r;
  }

  public Reason reason() {
    return reason;
  }

  /** True if the reason is {@link Reason#OK}. */
  public boolean isOk() {
    return reason == Reason.OK;
  }

  /** A human explanation, more specific than the reason's description. */
  public String detail() {
    return detail;
  }

  /** The parsed telemetry, if parsing got that far (also for some rejections, as evidence). */
  public Optional<Telemetry> telemetry() {
    return Optional.ofNullable(telemetry);
  }

  /** The device id of the envelope's key, if the key type and length were valid. */
  public Optional<DeviceId> deviceId() {
    if (keyType == null || publicKey == null || publicKey.length != keyType.publicKeyLength()) {
      return Optional.empty();
    }
    DeviceId id = deviceId;
    if (id == null) {
      id = DeviceId.of(keyType, publicKey);
      deviceId = id;
    }
    return Optional.of(id);
  }

  /** The envelope hash (SHA-256 of the telemetry bytes), if the envelope had telemetry bytes. */
  public Optional<byte[]> envelopeHash() {
    if (telemetryBytes == null) {
      return Optional.empty();
    }
    byte[] h = hash;
    if (h == null) {
      h = Envelopes.hash(telemetryBytes.toByteArray());
      hash = h;
    }
    return Optional.of(h.clone());
  }

  /** The exact telemetry bytes the signature covers, if present. */
  public Optional<byte[]> telemetryBytes() {
    return telemetryBytes == null ? Optional.empty() : Optional.of(telemetryBytes.toByteArray());
  }

  @Override
  public String toString() {
    return reason + (reason == Reason.OK ? "" : ": " + detail);
  }
}
