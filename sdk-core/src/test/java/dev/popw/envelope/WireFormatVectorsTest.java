package dev.popw.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Sha256;
import dev.popw.internal.encoding.Hex;
import dev.popw.testing.DocumentedVectors;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.web3j.crypto.ECDSASignature;
import org.web3j.crypto.Sign;

/** docs/wire-format.md and the code agree byte for byte, and independent implementations agree. */
class WireFormatVectorsTest {
  private static final Path DOC = DocumentedVectors.doc("wire-format.md");

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void the_document_matches_the_code(KeyType type) {
    assertEquals(WireFormatVectors.compute(type), documented(type.label()),
        "docs/wire-format.md is stale: regenerate it with WireFormatVectors.main");
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void the_vector_envelopes_verify(KeyType type) {
    Map<String, String> v = WireFormatVectors.compute(type);
    VerificationResult r = EnvelopeVerifier.create().verify(Hex.decode(v.get("envelope")));
    assertEquals(Reason.OK, r.reason());
    assertEquals(v.get("device_id"), r.deviceId().orElseThrow().toString());
    assertEquals(v.get("envelope_hash"), Hex.encode(r.envelopeHash().orElseThrow()));
  }

  /** The JDK's own provider (SunEC), which shares no code with Bouncy Castle. */
  @Test
  void the_jdk_verifies_the_ed25519_and_p256_vectors() throws Exception {
    Map<String, String> ed = WireFormatVectors.compute(KeyType.ED25519);
    byte[] spki = Hex.decode("302a300506032b6570032100" + ed.get("public_key"));
    PublicKey edKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    Signature edSig = Signature.getInstance("Ed25519");
    edSig.initVerify(edKey);
    edSig.update(Hex.decode(ed.get("signed_message")));
    assertTrue(edSig.verify(Hex.decode(ed.get("signature"))), "SunEC rejects the Ed25519 vector");

    Map<String, String> p = WireFormatVectors.compute(KeyType.ECDSA_P256);
    org.bouncycastle.math.ec.ECPoint q =
        EcdsaScheme.P256.decodeAnyPublicKey(Hex.decode(p.get("public_key"))).point().normalize();
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECPublicKeySpec spec = new ECPublicKeySpec(
        new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
        params.getParameterSpec(ECParameterSpec.class));
    Signature ecSig = Signature.getInstance("SHA256withECDSAinP1363Format");
    ecSig.initVerify(KeyFactory.getInstance("EC").generatePublic(spec));
    ecSig.update(Hex.decode(p.get("signed_message")));
    assertTrue(ecSig.verify(Hex.decode(p.get("signature"))), "SunEC rejects the P-256 vector");
  }

  /** web3j recovers the secp256k1 vector's signer from the signature alone. */
  @Test
  void web3j_recovers_the_secp256k1_signer() {
    Map<String, String> k = WireFormatVectors.compute(KeyType.ECDSA_SECP256K1);
    byte[] sig = Hex.decode(k.get("signature"));
    ECDSASignature s = new ECDSASignature(
        new BigInteger(1, Arrays.copyOfRange(sig, 0, 32)), new BigInteger(1, Arrays.copyOfRange(sig, 32, 64)));
    assertTrue(s.isCanonical(), "web3j's own low-S rule");
    byte[] digest = Sha256.hash(Hex.decode(k.get("signed_message")));
    byte[] uncompressed = EcdsaScheme.SECP256K1.decodeAnyPublicKey(Hex.decode(k.get("public_key"))).point().getEncoded(false);
    BigInteger expected = new BigInteger(1, Arrays.copyOfRange(uncompressed, 1, 65));
    boolean recovered = false;
    for (int recId = 0; recId < 2; recId++) {
      recovered |= expected.equals(Sign.recoverFromSignature(recId, s, digest));
    }
    assertTrue(recovered, "web3j does not recover the vector's public key");
  }

  /**
   * the 3 envelope, 3 registration, 1 EIP-712, 2 receipt (one alone, one of a group) and 4 GPU proof vectors (recomputing the GPU work itself).
   * the 3 envelope, 3 registration and 1 EIP-712 vectors.
   */
  @Test
  void the_python_checker_accepts_the_document() throws Exception {
    Assumptions.assumeTrue(exit("python3", "-c", "import cryptography") == 0, "python3 with 'cryptography' not installed");
    Process p = new ProcessBuilder("python3", "../docs/check-vectors.py", DOC.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals(13, out.lines().filter(l -> l.endsWith(": ok")).count(), out);
  }

  private static Map<String, String> documented(String label) {
    return DocumentedVectors.block(DOC, label);
  }

  private static int exit(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }
}
