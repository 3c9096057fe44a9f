package dev.popw.entropy;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.Sha256;
import dev.popw.proto.v1.Entropy;
import dev.popw.proto.v1.SignedEntropy;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Signing entropy (coordinator side) and deriving beacon ids from it (both sides).
 *
 * <pre>
 * signed_message = "popw.v1.Entropy" || 0x00 || entropy_bytes            (Ed25519, coordinator key)
 * beacon_id      = SHA-256("popw.v1.Beacon" || 0x00 || value[32] || nonce[16] || device_id)[0..16]
 * entropy_prefix = value[0..8]                                            (what the radio payload carries)
 * </pre>
 *
 * The beacon id mixes the coordinator's entropy (so it cannot exist before the entropy was
 * published) with the device's own nonce (so nobody who merely knows the entropy can compute it:
 * a witness must have heard the radio payload to name it).
 */
public final class Entropies {
  static final byte[] DOMAIN = "popw.v1.Entropy\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BEACON_DOMAIN = "popw.v1.Beacon\0".getBytes(StandardCharsets.US_ASCII);
  /** Entropy values are this long. */
  public static final int VALUE_BYTES = 32;
  /** Beacon nonces are this long. */
  public static final int NONCE_BYTES = 16;
  /** Beacon ids are this long. */
  public static final int BEACON_ID_BYTES = 16;
  /** The radio payload carries this many leading bytes of the entropy value. */
  public static final int PREFIX_BYTES = 8;
  /** Largest serialized SignedEntropy a device parses. */
  public static final int MAX_BYTES = 1024;

  private Entropies() {}

  /** The bytes the signature covers: the domain prefix, a zero byte, the entropy bytes. */
  public static byte[] signedMessage(byte[] entropy) {
    return dev.popw.internal.crypto.Domains.prefixed(DOMAIN, entropy);
  }

  /**
   * Signs entropy with the coordinator's Ed25519 key.
   *
   * @return the serialized {@code SignedEntropy}, as published
   * @throws IllegalArgumentException if the key is not Ed25519 or the value is not 32 bytes
   */
  public static byte[] sign(Entropy entropy, DeviceSigner coordinatorKey) {
    Objects.requireNonNull(entropy, "entropy");
    if (coordinatorKey.keyType() != KeyType.ED25519) {
      throw new IllegalArgumentException("a coordinator key is Ed25519, got " + coordinatorKey.keyType());
    }
    if (entropy.getValue().size() != VALUE_BYTES) {
      throw new IllegalArgumentException("an entropy value is " + VALUE_BYTES + " bytes, got " + entropy.getValue().size());
    }
    byte[] bytes = entropy.toByteArray();
    return SignedEntropy.newBuilder()
        .setEntropy(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(coordinatorKey.sign(signedMessage(bytes))))
        .setCoordinatorKey(ByteString.copyFrom(coordinatorKey.publicKey()))
        .build()
        .toByteArray();
  }

  /**
   * The beacon id a device must send with this entropy and nonce.
   *
   * @param value the entropy value (32 bytes)
   * @param nonce the device's 16 random bytes
   * @param deviceIdBytes the beaconer's device id in binary form (Telemetry.device_id)
   */
  public static byte[] beaconId(byte[] value, byte[] nonce, byte[] deviceIdBytes) {
    if (value.length != VALUE_BYTES || nonce.length != NONCE_BYTES) {
      throw new IllegalArgumentException("beacon ids need a 32-byte entropy value and a 16-byte nonce");
    }
    byte[] m = new byte[BEACON_DOMAIN.length + VALUE_BYTES + NONCE_BYTES + deviceIdBytes.length];
    int o = 0;
    System.arraycopy(BEACON_DOMAIN, 0, m, o, BEACON_DOMAIN.length);
    o += BEACON_DOMAIN.length;
    System.arraycopy(value, 0, m, o, VALUE_BYTES);
    o += VALUE_BYTES;
    System.arraycopy(nonce, 0, m, o, NONCE_BYTES);
    o += NONCE_BYTES;
    System.arraycopy(deviceIdBytes, 0, m, o, deviceIdBytes.length);
    return Arrays.copyOf(Sha256.hash(m), BEACON_ID_BYTES);
  }

  /** The leading bytes of an entropy value that the radio payload carries. */
  public static byte[] prefix(byte[] value) {
    return Arrays.copyOf(value, PREFIX_BYTES);
  }
}
