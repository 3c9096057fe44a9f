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

  public static void main(String[] args) {
    System.out.println("### receipt ed25519\n```");
    compute().forEach((k, val) -> System.out.println(k + ": " + val));
    System.out.println("```");
  }
}
