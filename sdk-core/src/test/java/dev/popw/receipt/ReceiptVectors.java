package dev.popw.receipt;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Receipt;
import dev.popw.testing.TestKeys;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The receipt vector of docs/wire-format.md: the coordinator key is RFC 8032 TEST 2, the device
 * the Ed25519 vector's (RFC 8032 TEST 1), answering that vector's envelope. {@code main} prints it.
 */
final class ReceiptVectors {
  static final String ENVELOPE_HASH = "11902184e89a3cbdce39e777ecb7d5fd54463b8f97f079207392f3278dd99e96";
  static final long COORDINATOR_TIME_MS = 1795521600250L;

  private ReceiptVectors() {}

  static DeviceId device() {
    return TestKeys.signer(KeyType.ED25519).deviceId();
  }

  static Receipt receipt() {
    return Receipt.newBuilder()
        .setEnvelopeHash(ByteString.copyFrom(Hex.decode(ENVELOPE_HASH)))
        .setSequence(42)
        .setStatus(Receipt.Status.ACCEPTED)
        .setCoordinatorTimeMs(COORDINATOR_TIME_MS)
        .setDeviceId(ByteString.copyFrom(device().toBytes()))
        .build();
  }

  static Map<String, String> compute() {
    SoftwareSigner key = TestKeys.coordinator();
    byte[] receipt = receipt().toByteArray();
    Map<String, String> v = new LinkedHashMap<>();
    v.put("coordinator_private_key", TestKeys.COORDINATOR_SEED);
    v.put("coordinator_public_key", Hex.encode(key.publicKey()));
    v.put("device_id", device().toString());
    v.put("receipt", Hex.encode(receipt));
    byte[] message = Receipts.signedMessage(receipt);
    v.put("signed_message", Hex.encode(message));
    v.put("signature", Hex.encode(key.sign(message)));
    v.put("signed_receipt", Hex.encode(Receipts.sign(receipt(), key)));
    return v;
  }

  /** Three receipts of the vector's device (sequences 42, 43, 44) under one signature. */
  static java.util.List<Receipt> group() {
    java.util.List<Receipt> l = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      byte[] hash = i == 0 ? Hex.decode(ENVELOPE_HASH)
          : dev.popw.internal.crypto.Sha256.hash(("popw receipt group vector " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      l.add(receipt().toBuilder().setEnvelopeHash(ByteString.copyFrom(hash)).setSequence(42 + i).build());
    }
    return l;
  }

  /** The grouped-receipt vector: leaves, the one node, the root, its signature, two of the signed receipts. */
  static Map<String, String> computeGroup() {
    SoftwareSigner key = TestKeys.coordinator();
    java.util.List<Receipt> g = group();
    Map<String, String> v = new LinkedHashMap<>();
    v.put("coordinator_public_key", Hex.encode(key.publicKey()));
    byte[][] leaves = new byte[3][];
    for (int i = 0; i < 3; i++) {
      v.put("receipt_" + i, Hex.encode(g.get(i).toByteArray()));
      leaves[i] = Receipts.leaf(g.get(i).toByteArray());
    }
    for (int i = 0; i < 3; i++) {
      v.put("leaf_" + i, Hex.encode(leaves[i]));
    }
    byte[] node = Receipts.node(leaves[0], leaves[1]);
    byte[] root = Receipts.node(node, leaves[2]);
    v.put("node_01", Hex.encode(node));
    v.put("root", Hex.encode(root));
    v.put("root_message", Hex.encode(Receipts.rootMessage(root)));
    v.put("signature", Hex.encode(key.sign(Receipts.rootMessage(root))));
    java.util.List<byte[]> signed = Receipts.signBatch(g, key);
    v.put("signed_receipt_0", Hex.encode(signed.get(0)));
    v.put("signed_receipt_2", Hex.encode(signed.get(2)));
    return v;
  }

  public static void main(String[] args) {
    System.out.println("### receipt ed25519\n```");
    compute().forEach((k, val) -> System.out.println(k + ": " + val));
    System.out.println("```");
    System.out.println("\n### receipt group ed25519\n```");
    computeGroup().forEach((k, val) -> System.out.println(k + ": " + val));
    System.out.println("```");
  }
}
