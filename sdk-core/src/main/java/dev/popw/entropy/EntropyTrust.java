package dev.popw.entropy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.internal.crypto.Ed25519Scheme;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Entropy;
import dev.popw.proto.v1.SignedEntropy;
import java.time.Instant;
import java.util.Arrays;

/**
 * Which entropy a coverage device beacons with: entropy signed by the coordinator key it pinned,
 * for its network, and not expired on its clock. Anyone can publish on an MQTT topic or answer an
 * HTTP request in the middle; a beacon built from forged entropy would only be refused by the
 * coordinator later, so the device refuses it first. Immutable and thread-safe.
 */
public final class EntropyTrust {
  private final byte[] pinnedKey;
  private final VerifyingKey key;
  private final String networkId;
  private final long clockToleranceMs;

  private EntropyTrust(byte[] pinnedKey, VerifyingKey key, String networkId, long clockToleranceMs) {
    this.pinnedKey = pinnedKey;
    this.key = key;
    this.networkId = networkId;
    this.clockToleranceMs = clockToleranceMs;
  }

  /**
   * Trusts entropy signed by this coordinator key for this network.
   *
   * @param coordinatorPublicKey the coordinator's 32-byte Ed25519 public key (the one receipts are pinned to)
   * @param clockToleranceMs how far the device's clock may be behind the coordinator's (entropy
   *     "issued in the future" by less than this is accepted)
   * @throws IllegalArgumentException if the key is not a valid Ed25519 public key
   */
  public static EntropyTrust pinned(byte[] coordinatorPublicKey, String networkId, long clockToleranceMs) {
    VerifyingKey k = Ed25519Scheme.decodePublicKey(coordinatorPublicKey);
    if (k == null) {
      throw new IllegalArgumentException("a coordinator key is a 32-byte Ed25519 public key");
    }
    return new EntropyTrust(coordinatorPublicKey.clone(), k, networkId, Math.max(0, clockToleranceMs));
  }

  /**
   * Development only: entropy for this network without checking its signature (a device that
   * also takes unsigned receipts). Anyone in the middle can then make its beacons worthless.
   */
  public static EntropyTrust unverifiedForDevelopment(String networkId, long clockToleranceMs) {
    return new EntropyTrust(null, null, networkId, Math.max(0, clockToleranceMs));
  }

  /**
   * Checks one serialized {@code SignedEntropy} at the device's time {@code nowMs}. Never throws on bad input.
   */
  public EntropyCheck check(byte[] payload, long nowMs) {
    if (payload == null || payload.length == 0 || payload.length > Entropies.MAX_BYTES) {
      return EntropyCheck.invalid(EntropyFailure.MALFORMED, "empty or larger than " + Entropies.MAX_BYTES + " bytes");
    }
    SignedEntropy se;
    Entropy e;
    try {
      se = SignedEntropy.parseFrom(payload);
      e = Entropy.parseFrom(se.getEntropy());
    } catch (InvalidProtocolBufferException x) {
      return EntropyCheck.invalid(EntropyFailure.MALFORMED, "not a SignedEntropy");
    }
    if (e.getValue().size() != Entropies.VALUE_BYTES) {
      return EntropyCheck.invalid(EntropyFailure.MALFORMED, "the value is " + e.getValue().size() + " bytes, not " + Entropies.VALUE_BYTES);
    }
    if (key != null && se.getSignature().isEmpty()) {
      return EntropyCheck.invalid(EntropyFailure.UNSIGNED, "no signature");
    }
    if (key != null && !se.getCoordinatorKey().isEmpty() && !Arrays.equals(se.getCoordinatorKey().toByteArray(), pinnedKey)) {
      return EntropyCheck.invalid(EntropyFailure.UNTRUSTED_KEY, "signed by " + Hex.encode(se.getCoordinatorKey().toByteArray())
          + ", pinned " + Hex.encode(pinnedKey));
    }
    byte[] m = Entropies.signedMessage(se.getEntropy().toByteArray());
    if (key != null && key.verify(m, 0, m.length, se.getSignature().toByteArray()) != SignatureCheck.VALID) {
      return EntropyCheck.invalid(EntropyFailure.BAD_SIGNATURE, "the signature does not verify under the pinned coordinator key");
    }
    if (!e.getNetworkId().equals(networkId)) {
      return EntropyCheck.invalid(EntropyFailure.WRONG_NETWORK, "issued for network '" + e.getNetworkId() + "', this device is on '"
          + networkId + "'");
    }
    // uint64 on the wire: compare unsigned, so 2^64-1 is "future", not "long ago"
    if (Long.compareUnsigned(e.getIssuedAtMs(), nowMs + clockToleranceMs) > 0) {
      return EntropyCheck.invalid(EntropyFailure.FROM_THE_FUTURE, "issued at " + Long.toUnsignedString(e.getIssuedAtMs())
          + " ms, " + (e.getIssuedAtMs() - nowMs) + " ms ahead of this device's clock; tolerance " + clockToleranceMs + " ms");
    }
    if (Long.compareUnsigned(e.getExpiresAtMs(), nowMs) <= 0) {
      return EntropyCheck.invalid(EntropyFailure.EXPIRED, "issued " + Instant.ofEpochMilli(e.getIssuedAtMs()) + ", expired "
          + Instant.ofEpochMilli(e.getExpiresAtMs()) + ", " + (nowMs - e.getExpiresAtMs()) / 1000 + " s ago");
    }
    return EntropyCheck.valid(e);
  }

  @Override
  public String toString() {
    return key == null ? "entropy unverified (development) for " + networkId
        : "entropy signed by coordinator " + Hex.encode(pinnedKey) + " for " + networkId;
  }
}
