package dev.popw.gpuproof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.SignedChallenge;
import dev.popw.receipt.ReceiptFailure;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.testing.DocumentedVectors;
import dev.popw.testing.TestKeys;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A device acts only on challenges its pinned coordinator key signed for it; and the documented vectors. */
class ChallengesTest {
  private static final Path DOC = DocumentedVectors.doc("wire-format.md");
  private final ReceiptTrust trust = TestKeys.coordinatorTrust();

  @Test
  void a_challenge_signed_by_the_pinned_key_for_this_device_is_accepted() {
    Challenges.Check c = Challenges.check(trust, Challenges.sign(GpuProofVectors.challenge(), TestKeys.coordinator()),
        GpuProofVectors.device().deviceId());
    assertTrue(c.isValid());
    assertTrue(c.authenticated());
    assertEquals(16, c.challenge().getWork().getN());
  }

  @Test
  void unsigned_forged_tampered_and_misaddressed_challenges_are_ignored() {
    var device = GpuProofVectors.device().deviceId();
    byte[] good = Challenges.sign(GpuProofVectors.challenge(), TestKeys.coordinator());
    byte[] unsigned = SignedChallenge.newBuilder().setChallenge(GpuProofVectors.challenge().toByteString()).build().toByteArray();
    assertEquals(ReceiptFailure.UNSIGNED, Challenges.check(trust, unsigned, device).failure());
    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new java.security.SecureRandom());
    assertEquals(ReceiptFailure.UNTRUSTED_KEY, Challenges.check(trust, Challenges.sign(GpuProofVectors.challenge(), stranger), device).failure());
    byte[] strangerHidingKey = SignedChallenge.newBuilder().mergeFrom(parse(Challenges.sign(GpuProofVectors.challenge(), stranger)))
        .clearCoordinatorKey().build().toByteArray();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, Challenges.check(trust, strangerHidingKey, device).failure());
    SignedChallenge sc = parse(good);
    Challenge bigger = sc.getChallenge().isEmpty() ? null : GpuProofVectors.challenge().toBuilder()
        .setWork(GpuProofVectors.challenge().getWork().toBuilder().setN(8)).build();
    byte[] tampered = sc.toBuilder().setChallenge(bigger.toByteString()).build().toByteArray();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, Challenges.check(trust, tampered, device).failure());
    assertEquals(ReceiptFailure.WRONG_DEVICE, Challenges.check(trust, good, TestKeys.signer(KeyType.ECDSA_P256).deviceId()).failure());
    assertEquals(ReceiptFailure.MALFORMED, Challenges.check(trust, GpuProofVectors.challenge().toByteArray(), device).failure(),
        "a bare, unwrapped challenge");
    assertEquals(ReceiptFailure.MALFORMED, Challenges.check(trust, new byte[Challenges.MAX_BYTES + 1], device).failure());
    assertFalse(Challenges.check(trust, new byte[0], device).isValid());
    ByteString.copyFrom(good); // good stays good
    assertTrue(Challenges.check(trust, good, device).isValid());
  }

  private static SignedChallenge parse(byte[] b) {
    try {
      return SignedChallenge.parseFrom(b);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void the_documented_vectors_match_the_code() throws Exception {
    for (Map.Entry<String, Map<String, String>> e : GpuProofVectors.all().entrySet()) {
      assertEquals(e.getValue(), DocumentedVectors.block(DOC, e.getKey()), "docs/wire-format.md '" + e.getKey()
          + "' is stale: regenerate it with GpuProofVectors.main");
    }
  }

  @Test
  void the_jdk_verifies_the_challenge_signature() throws Exception {
    Map<String, String> v = DocumentedVectors.block(DOC, "gpu challenge");
    var pk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Hex.decode("302a300506032b6570032100"
        + v.get("coordinator_public_key"))));
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(pk);
    s.update(Hex.decode(v.get("signed_message")));
    assertTrue(s.verify(Hex.decode(v.get("signature"))));
  }
}
