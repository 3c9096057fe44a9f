package dev.popw.receipt;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceSigner;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedReceipt;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Signing receipts on the coordinator's side. A receipt travels as a {@code SignedReceipt}: the
 * exact receipt bytes, the coordinator's Ed25519 signature over
 * {@code "popw.v1.Receipt" || 0x00 || receipt}, and the coordinator's public key.
 *
 * <p>The domain prefix keeps a coordinator signature over a receipt from standing in for anything
 * else signed with the same key, and a device key's telemetry or registration signature (other
 * prefixes) from passing for a receipt.
 */
public final class Receipts {
  static final byte[] DOMAIN = "popw.v1.Receipt\0".getBytes(StandardCharsets.US_ASCII);
  /** Largest serialized {@code SignedReceipt} a device parses (a fuller receipt holds a Merkle proof). */
  public static final int MAX_BYTES = 16 * 1024;

  private Receipts() {}

  /** The bytes the signature covers: the domain prefix, a zero byte, the receipt bytes. */
  public static byte[] signedMessage(byte[] receipt) {
    return dev.popw.internal.crypto.Domains.prefixed(DOMAIN, receipt);
  }

  /**
   * Signs a receipt with the coordinator's key.
   *
   * @param coordinatorKey an Ed25519 signer; the private key stays in it
   * @return the serialized {@code SignedReceipt}, as sent to the device
   * @throws IllegalArgumentException if the key is not Ed25519
   * @throws dev.popw.identity.SignerException if the signer fails
   */
  public static byte[] sign(Receipt receipt, DeviceSigner coordinatorKey) {
    Objects.requireNonNull(receipt, "receipt");
    if (coordinatorKey.keyType() != KeyType.ED25519) {
      throw new IllegalArgumentException("a coordinator key is Ed25519, got " + coordinatorKey.keyType());
    }
    byte[] bytes = receipt.toByteArray();
    return SignedReceipt.newBuilder()
        .setReceipt(ByteString.copyFrom(bytes))
        .setSignature(ByteString.copyFrom(coordinatorKey.sign(signedMessage(bytes))))
        .setCoordinatorKey(ByteString.copyFrom(coordinatorKey.publicKey()))
        .build()
        .toByteArray();
  }
}
