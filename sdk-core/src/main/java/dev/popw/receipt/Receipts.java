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
  static final byte[] ROOT_DOMAIN = "popw.v1.ReceiptRoot\0".getBytes(StandardCharsets.US_ASCII);
  static final byte[] LEAF_DOMAIN = "popw.v1.ReceiptLeaf\0".getBytes(StandardCharsets.US_ASCII);
  static final byte[] NODE_DOMAIN = "popw.v1.ReceiptNode\0".getBytes(StandardCharsets.US_ASCII);
  /** Longest {@code receipt_path} a device accepts: a tree of up to 2^32 receipts. */
  public static final int MAX_PATH = 32;
  /** Largest serialized {@code SignedReceipt} a device parses (a fuller receipt holds a Merkle proof). */
  public static final int MAX_BYTES = 16 * 1024;

  private Receipts() {}

  /** The bytes the signature covers: the domain prefix, a zero byte, the receipt bytes. */
  public static byte[] signedMessage(byte[] receipt) {
    return dev.popw.internal.crypto.Domains.prefixed(DOMAIN, receipt);
  }

  /** The bytes a batch signature covers: the domain prefix, a zero byte, the tree's root. */
  public static byte[] rootMessage(byte[] root) {
    return dev.popw.internal.crypto.Domains.prefixed(ROOT_DOMAIN, root);
  }

  /** A receipt's leaf in a batch tree. */
  static byte[] leaf(byte[] receipt) {
    return dev.popw.internal.crypto.Sha256.hash(dev.popw.internal.crypto.Domains.prefixed(LEAF_DOMAIN, receipt));
  }

  /** The parent of two nodes: the pair sorted (unsigned bytes), so a path needs no left/right bits. */
  static byte[] node(byte[] a, byte[] b) {
    boolean aFirst = java.util.Arrays.compareUnsigned(a, b) <= 0;
    byte[] m = new byte[NODE_DOMAIN.length + 64];
    System.arraycopy(NODE_DOMAIN, 0, m, 0, NODE_DOMAIN.length);
    System.arraycopy(aFirst ? a : b, 0, m, NODE_DOMAIN.length, 32);
    System.arraycopy(aFirst ? b : a, 0, m, NODE_DOMAIN.length + 32, 32);
    return dev.popw.internal.crypto.Sha256.hash(m);
  }

  /**
   * The root a receipt and its path lead to, or null when the path is malformed (longer than
   * {@link #MAX_PATH}, or a sibling that is not 32 bytes).
   */
  static byte[] rootOf(byte[] receipt, java.util.List<ByteString> path) {
    if (path.size() > MAX_PATH) {
      return null;
    }
    byte[] h = leaf(receipt);
    for (ByteString sibling : path) {
      if (sibling.size() != 32) {
        return null;
      }
      h = node(h, sibling.toByteArray());
    }
    return h;
  }

  /**
   * Signs many receipts with one signature: a Merkle tree over their leaves, its root signed, and
   * each receipt sent with its path to the root (an odd node at the end of a level moves up
   * unpaired). One receipt is signed alone, as {@link #sign} does.
   *
   * @return the serialized {@code SignedReceipt}s, in the order of {@code receipts}
   * @throws IllegalArgumentException if the key is not Ed25519 or there are no receipts
   * @throws dev.popw.identity.SignerException if the signer fails
   */
  public static java.util.List<byte[]> signBatch(java.util.List<Receipt> receipts, DeviceSigner coordinatorKey) {
    if (receipts.isEmpty()) {
      throw new IllegalArgumentException("no receipts to sign");
    }
    if (receipts.size() == 1) {
      return java.util.List.of(sign(receipts.get(0), coordinatorKey));
    }
    if (coordinatorKey.keyType() != KeyType.ED25519) {
      throw new IllegalArgumentException("a coordinator key is Ed25519, got " + coordinatorKey.keyType());
    }
    int n = receipts.size();
    byte[][] bytes = new byte[n][];
    java.util.List<byte[][]> levels = new java.util.ArrayList<>();
    byte[][] level = new byte[n][];
    for (int i = 0; i < n; i++) {
      bytes[i] = receipts.get(i).toByteArray();
      level[i] = leaf(bytes[i]);
    }
    levels.add(level);
    while (level.length > 1) {
      byte[][] up = new byte[(level.length + 1) / 2][];
      for (int i = 0; i < up.length; i++) {
        up[i] = 2 * i + 1 < level.length ? node(level[2 * i], level[2 * i + 1]) : level[2 * i];
      }
      levels.add(up);
      level = up;
    }
    ByteString signature = ByteString.copyFrom(coordinatorKey.sign(rootMessage(level[0])));
    ByteString key = ByteString.copyFrom(coordinatorKey.publicKey());
    java.util.List<byte[]> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      SignedReceipt.Builder b = SignedReceipt.newBuilder().setReceipt(ByteString.copyFrom(bytes[i])).setSignature(signature).setCoordinatorKey(key);
      int at = i;
      for (int l = 0; l < levels.size() - 1; l++) {
        byte[][] nodes = levels.get(l);
        int sibling = at ^ 1;
        if (sibling < nodes.length) {
          b.addReceiptPath(ByteString.copyFrom(nodes[sibling]));
        }
        at >>= 1;
      }
      out.add(b.build().toByteArray());
    }
    return out;
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
