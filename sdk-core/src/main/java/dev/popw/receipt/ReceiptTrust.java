package dev.popw.receipt;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.identity.DeviceId;
import dev.popw.internal.crypto.Ed25519Scheme;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedReceipt;
import java.util.Arrays;

/**
 * Which receipts a device believes: those signed by the coordinator key it pinned. Anything else
 * (unsigned, signed by another key, tampered, or for another device) is ignored, so a stranger
 * who can publish on a device's receipts topic cannot make it drop an envelope.
 *
 * <p>Immutable and thread-safe.
 */
public final class ReceiptTrust {
  private final byte[] pinnedKey;
  private final VerifyingKey key;

  private ReceiptTrust(byte[] pinnedKey, VerifyingKey key) {
    this.pinnedKey = pinnedKey;
    this.key = key;
  }

  /**
   * Trusts receipts signed by this coordinator key.
   *
   * @param coordinatorPublicKey the coordinator's 32-byte Ed25519 public key
   * @throws IllegalArgumentException if it is not a valid Ed25519 public key
   */
  public static ReceiptTrust pinned(byte[] coordinatorPublicKey) {
    VerifyingKey k = Ed25519Scheme.decodePublicKey(coordinatorPublicKey);
    if (k == null) {
      throw new IllegalArgumentException("a coordinator key is a 32-byte Ed25519 public key");
    }
    return new ReceiptTrust(coordinatorPublicKey.clone(), k);
  }

  /**
   * {@link #pinned(byte[])} from 64 hex digits.
   *
   * @throws IllegalArgumentException if it is not 64 hex digits of a valid Ed25519 public key
   */
  public static ReceiptTrust pinned(String coordinatorPublicKeyHex) {
    String h = coordinatorPublicKeyHex.strip();
    if (!h.matches("[0-9a-fA-F]{64}")) {
      throw new IllegalArgumentException("a coordinator key is 64 hex digits (32-byte Ed25519 public key), got '" + h + "'");
    }
    return pinned(Hex.decode(h.toLowerCase(java.util.Locale.ROOT)));
  }

  /**
   * Development only: believes any well-formed {@code SignedReceipt} for this device without
   * checking its signature, so anyone who can reach the device's receipts topic can make it drop
   * data. Never use it on a real network.
   */
  public static ReceiptTrust unverifiedForDevelopment() {
    return new ReceiptTrust(null, null);
  }

  /** True unless this is {@link #unverifiedForDevelopment()}. */
  public boolean verifies() {
    return key != null;
  }

  /** The pinned coordinator key (a copy), empty for development trust. */
  public java.util.Optional<byte[]> coordinatorKey() {
    return pinnedKey == null ? java.util.Optional.empty() : java.util.Optional.of(pinnedKey.clone());
  }

  /**
   * Checks one serialized {@code SignedReceipt} for {@code device}. Never throws on bad input.
   *
   * <p>Binding: a receipt that names a device ({@code device_id}) must name this one; one that
   * names none must at least name an envelope hash (the transport then matches it against the
   * envelopes it awaits, and a hash covers the telemetry, which names the device).
   */
  public ReceiptCheck check(byte[] payload, DeviceId device) {
    if (payload == null || payload.length == 0 || payload.length > Receipts.MAX_BYTES) {
      return ReceiptCheck.invalid(ReceiptFailure.MALFORMED);
    }
    SignedReceipt sr;
    Receipt r;
    try {
      sr = SignedReceipt.parseFrom(payload);
      if (sr.getReceipt().isEmpty()) {
        return ReceiptCheck.invalid(ReceiptFailure.MALFORMED);
      }
      r = Receipt.parseFrom(sr.getReceipt());
    } catch (InvalidProtocolBufferException e) {
      return ReceiptCheck.invalid(ReceiptFailure.MALFORMED);
    }
    if (key != null) {
      if (sr.getSignature().isEmpty()) {
        return ReceiptCheck.invalid(ReceiptFailure.UNSIGNED);
      }
      if (!sr.getCoordinatorKey().isEmpty() && !Arrays.equals(sr.getCoordinatorKey().toByteArray(), pinnedKey)) {
        return ReceiptCheck.invalid(ReceiptFailure.UNTRUSTED_KEY);
      }
      byte[] m;
      if (sr.getReceiptPathCount() == 0) {
        m = Receipts.signedMessage(sr.getReceipt().toByteArray());
      } else { // one signature over a tree of receipts: this one's path leads to the signed root
        byte[] root = Receipts.rootOf(sr.getReceipt().toByteArray(), sr.getReceiptPathList());
        if (root == null) {
          return ReceiptCheck.invalid(ReceiptFailure.MALFORMED);
        }
        m = Receipts.rootMessage(root);
      }
      if (key.verify(m, 0, m.length, sr.getSignature().toByteArray()) != SignatureCheck.VALID) {
        return ReceiptCheck.invalid(ReceiptFailure.BAD_SIGNATURE);
      }
    }
    boolean bound = r.getDeviceId().isEmpty() ? !r.getEnvelopeHash().isEmpty() : device.matches(r.getDeviceId().toByteArray());
    if (!bound) {
      return ReceiptCheck.invalid(ReceiptFailure.WRONG_DEVICE);
    }
    return ReceiptCheck.valid(r, key != null);
  }

  @Override
  public String toString() {
    return key == null ? "receipts unverified (development)" : "receipts signed by coordinator " + Hex.encode(pinnedKey);
  }
}
