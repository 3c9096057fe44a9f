package dev.popw.coordinator.signatures;

import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;

/** The start-up check of a native engine: a signature sdk-core makes verifies, an altered one does not. */
final class SelfTest {
  private SelfTest() {}

  /** @return what is wrong, or null */
  static String check(NativeSignatureEngine engine, KeyType type) {
    try {
      byte[] seed = new byte[32];
      seed[0] = 1; // a fixed, valid private key on every curve
      SoftwareSigner signer = SoftwareSigner.fromPrivateKey(type, seed);
      byte[] message = "popw.v1.SelfTest\0native signature engine".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] sig = signer.sign(message);
      byte[] encoded = engineEncoding(type, signer.publicKey());
      Object key = engine.prepare(type, encoded);
      if (key == null) {
        return "key not taken";
      }
      if (!engine.verify(type, key, message, 0, message.length, sig)) {
        return "a valid signature was refused";
      }
      byte[] bad = sig.clone();
      bad[5] ^= 0x10;
      if (engine.verify(type, key, message, 0, message.length, bad)) {
        return "an altered signature was accepted";
      }
      message[message.length - 1] ^= 1;
      if (engine.verify(type, key, message, 0, message.length, sig)) {
        return "a signature over another message was accepted";
      }
      return null;
    } catch (Exception | LinkageError e) {
      return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
  }

  /** What sdk-core hands an engine: Ed25519 keys as they are, ECDSA keys as the uncompressed point. */
  static byte[] engineEncoding(KeyType type, byte[] canonical) {
    return switch (type) {
      case ED25519 -> canonical;
      case ECDSA_P256 -> org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256r1").getCurve().decodePoint(canonical)
          .getEncoded(false);
      case ECDSA_SECP256K1 -> org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256k1").getCurve().decodePoint(canonical)
          .getEncoded(false);
    };
  }
}
