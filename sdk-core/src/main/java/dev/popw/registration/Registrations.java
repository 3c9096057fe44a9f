package dev.popw.registration;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.identity.DeviceId;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.keys.Schemes;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Registration;
import dev.popw.proto.v1.SignedRegistration;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * Signed device registrations: a device proves it holds its key and names the owner address its
 * work is credited to (the same idea as IoTeX ioID). Signed with the device key over the domain
 * {@code popw.v1.Registration} and a zero byte, so a registration can never pass for telemetry.
 */
public final class Registrations {
  private static final byte[] DOMAIN = "popw.v1.Registration\0".getBytes(StandardCharsets.US_ASCII);
  /** Largest serialized registration a verifier parses. */
  public static final int MAX_BYTES = 4096;

  private Registrations() {}

  /**
   * Builds and signs a registration.
   *
   * @param location optional, may be {@code null}
   */
  public static byte[] sign(DeviceSigner signer, EvmAddress owner, DeviceKind kind, Location location, String networkId, Clock clock) {
    return sign(signer, owner, kind, location, networkId, clock, null);
  }

  /** Longest {@code key_storage_detail} a registration carries (longer details are cut). */
  public static final int MAX_STORAGE_DETAIL = 128;

  /**
   * Builds and signs a registration that also says where the key is held ({@code key_storage},
   * {@code key_storage_detail}; {@code null}: not said, as {@link #sign(DeviceSigner, EvmAddress,
   * DeviceKind, Location, String, Clock)}).
   */
  public static byte[] sign(DeviceSigner signer, EvmAddress owner, DeviceKind kind, Location location, String networkId, Clock clock,
      dev.popw.identity.KeyStorage storage) {
    Registration.Builder b = Registration.newBuilder()
        .setKeyTypeValue(signer.keyType().wireValue())
        .setPublicKey(ByteString.copyFrom(signer.publicKey()))
        .setOwner(ByteString.copyFrom(owner.bytes()))
        .setKind(kind)
        .setTimestampMs(clock.millis())
        .setNetworkId(networkId);
    if (location != null) {
      b.setLocation(location);
    }
    if (storage != null) {
      b.setKeyStorageValue(storage.kind().wireValue());
      String d = storage.detail();
      b.setKeyStorageDetail(d.length() > MAX_STORAGE_DETAIL ? d.substring(0, MAX_STORAGE_DETAIL) : d);
    }
    byte[] reg = b.build().toByteArray();
    return SignedRegistration.newBuilder()
        .setRegistration(ByteString.copyFrom(reg))
        .setSignature(ByteString.copyFrom(signer.sign(message(reg))))
        .build()
        .toByteArray();
  }

  private static byte[] message(byte[] registration) {
    return dev.popw.internal.crypto.Domains.prefixed(DOMAIN, registration);
  }

  /** Verifies a signed registration. Never throws on bad input. */
  public static RegistrationResult verify(byte[] signed) {
    if (signed == null || signed.length == 0 || signed.length > MAX_BYTES) {
      return RegistrationResult.invalid("registration is empty or larger than " + MAX_BYTES + " bytes");
    }
    try {
      // Parsed from a ByteString, as the envelope verifier parses telemetry: protobuf-javalite's
      // parseFrom(byte[]) takes varints longer than 10 bytes (wrapping their bits into other
      // values) that its ByteString parser, the protobuf spec and other implementations refuse.
      SignedRegistration sr = SignedRegistration.parseFrom(ByteString.copyFrom(signed));
      byte[] regBytes = sr.getRegistration().toByteArray();
      Registration reg = Registration.parseFrom(sr.getRegistration());
      KeyType type = KeyType.fromWireValue(reg.getKeyTypeValue());
      if (type == null) {
        return RegistrationResult.invalid("unsupported key type " + reg.getKeyTypeValue());
      }
      if (reg.getOwner().size() != 20) {
        return RegistrationResult.invalid("owner must be a 20-byte EVM address");
      }
      if (reg.getKind() == DeviceKind.DEVICE_KIND_UNSPECIFIED || reg.getKindValue() > 3) {
        return RegistrationResult.invalid("device kind must be SENSOR, COVERAGE or GPU");
      }
      VerifyingKey key = Schemes.decodePublicKey(type, reg.getPublicKey().toByteArray());
      if (key == null) {
        return RegistrationResult.invalid("public key is not a canonical " + type.label() + " key");
      }
      byte[] m = message(regBytes);
      SignatureCheck check = key.verify(m, 0, m.length, sr.getSignature().toByteArray());
      if (check != SignatureCheck.VALID) {
        return RegistrationResult.invalid(check == SignatureCheck.NON_CANONICAL ? "signature is not canonical" : "signature does not verify");
      }
      return RegistrationResult.valid(reg, DeviceId.of(type, reg.getPublicKey().toByteArray()));
    } catch (InvalidProtocolBufferException e) {
      return RegistrationResult.invalid("not a signed registration: " + e.getMessage());
    } catch (RuntimeException e) {
      // Defence in depth, as in the envelope verifier: hostile input reached code not ready for it.
      // A reason of its own, so that fuzzing tells it from a plain parse error.
      return RegistrationResult.invalid("unparsable registration (" + e.getClass().getSimpleName() + ")");
    }
  }
}
