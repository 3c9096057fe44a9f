package dev.popw.receipt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.encoding.Hex;
import dev.popw.proto.v1.Receipt;
import dev.popw.proto.v1.SignedReceipt;
import dev.popw.testing.DocumentedVectors;
import dev.popw.testing.TestKeys;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Receipt signing and checking: what a device believes, and the documented vector
 * (docs/wire-format.md, "receipt ed25519"; keys from RFC 8032 section 7.1 TEST 1 and TEST 2).
 */
class ReceiptsTest {
  private static final Path DOC = DocumentedVectors.doc("wire-format.md");
  private final SoftwareSigner coordinator = TestKeys.coordinator();
  private final ReceiptTrust trust = TestKeys.coordinatorTrust();
  private final DeviceId device = ReceiptVectors.device();

  private static Receipt rejected(DeviceId d) {
    return Receipt.newBuilder().setEnvelopeHash(ByteString.copyFrom(new byte[32])).setSequence(7)
        .setStatus(Receipt.Status.REJECTED).setReason("EQUIVOCATION").setDeviceId(ByteString.copyFrom(d.toBytes())).build();
  }

  @Test
  void the_document_matches_the_code() {
    assertEquals(ReceiptVectors.compute(), DocumentedVectors.block(DOC, "receipt ed25519"),
        "docs/wire-format.md is stale: regenerate it with ReceiptVectors.main");
  }

  @Test
  void the_documented_vector_verifies_with_the_jdk_and_the_trust() throws Exception {
    Map<String, String> v = DocumentedVectors.block(DOC, "receipt ed25519");
    // JDK SunEC Ed25519: X.509 SubjectPublicKeyInfo prefix for a raw 32-byte key.
    byte[] spki = Hex.decode("302a300506032b6570032100" + v.get("coordinator_public_key"));
    PublicKey pk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(pk);
    s.update(Hex.decode(v.get("signed_message")));
    assertTrue(s.verify(Hex.decode(v.get("signature"))));
    ReceiptCheck c = ReceiptTrust.pinned(v.get("coordinator_public_key")).check(Hex.decode(v.get("signed_receipt")),
        DeviceId.parse(v.get("device_id")));
    assertTrue(c.isValid());
    assertTrue(c.authenticated());
    assertEquals(ReceiptVectors.ENVELOPE_HASH, Hex.encode(c.receipt().getEnvelopeHash().toByteArray()));
  }

  @Test
  void accepts_a_receipt_the_pinned_key_signed_for_this_device() {
    ReceiptCheck c = trust.check(Receipts.sign(rejected(device), coordinator), device);
    assertTrue(c.isValid());
    assertTrue(c.authenticated());
    assertEquals(Receipt.Status.REJECTED, c.receipt().getStatus());
  }

  @Test
  void ignores_an_unsigned_receipt() {
    byte[] unsigned = SignedReceipt.newBuilder().setReceipt(rejected(device).toByteString()).build().toByteArray();
    assertEquals(ReceiptFailure.UNSIGNED, trust.check(unsigned, device).failure());
  }

  @Test
  void ignores_a_bare_receipt_as_sent_before_receipts_were_signed() {
    assertEquals(ReceiptFailure.MALFORMED, trust.check(rejected(device).toByteArray(), device).failure());
  }

  @Test
  void ignores_a_receipt_signed_by_another_key() {
    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    assertEquals(ReceiptFailure.UNTRUSTED_KEY, trust.check(Receipts.sign(rejected(device), stranger), device).failure());
  }

  @Test
  void ignores_a_receipt_signed_by_another_key_that_claims_the_pinned_one() throws Exception {
    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    SignedReceipt forged = SignedReceipt.parseFrom(Receipts.sign(rejected(device), stranger)).toBuilder()
        .setCoordinatorKey(ByteString.copyFrom(coordinator.publicKey())).build();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(forged.toByteArray(), device).failure());
  }

  @Test
  void ignores_a_tampered_receipt() throws Exception {
    SignedReceipt genuine = SignedReceipt.parseFrom(Receipts.sign(
        rejected(device).toBuilder().setStatus(Receipt.Status.ACCEPTED).setReason("").build(), coordinator));
    // Turn a genuine ACCEPTED into REJECTED, keeping the signature.
    Receipt altered = Receipt.parseFrom(genuine.getReceipt()).toBuilder().setStatus(Receipt.Status.REJECTED).build();
    byte[] tampered = genuine.toBuilder().setReceipt(altered.toByteString()).build().toByteArray();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(tampered, device).failure());
    byte[] sig = genuine.getSignature().toByteArray();
    sig[10] ^= 1;
    byte[] badSig = genuine.toBuilder().setSignature(ByteString.copyFrom(sig)).build().toByteArray();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(badSig, device).failure());
  }

  @Test
  void ignores_a_genuine_receipt_for_another_device() {
    DeviceId other = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId();
    byte[] theirs = Receipts.sign(rejected(other), coordinator);
    assertTrue(trust.check(theirs, other).isValid());
    assertEquals(ReceiptFailure.WRONG_DEVICE, trust.check(theirs, device).failure());
  }

  @Test
  void ignores_a_receipt_bound_to_nothing() {
    Receipt unbound = Receipt.newBuilder().setStatus(Receipt.Status.REJECTED).setReason("MALFORMED").build();
    assertEquals(ReceiptFailure.WRONG_DEVICE, trust.check(Receipts.sign(unbound, coordinator), device).failure());
  }

  @Test
  void ignores_garbage_and_oversized_input() {
    assertEquals(ReceiptFailure.MALFORMED, trust.check(new byte[] {(byte) 0xff, 1, 2}, device).failure());
    assertEquals(ReceiptFailure.MALFORMED, trust.check(new byte[0], device).failure());
    assertEquals(ReceiptFailure.MALFORMED, trust.check(new byte[Receipts.MAX_BYTES + 1], device).failure());
  }

  @Test
  void the_signature_is_domain_separated() {
    byte[] r = rejected(device).toByteArray();
    byte[] m = Receipts.signedMessage(r);
    assertEquals("popw.v1.Receipt\0", new String(m, 0, 16, java.nio.charset.StandardCharsets.US_ASCII));
    // The same bytes signed as telemetry or without the prefix do not pass for a receipt.
    SignedReceipt noPrefix = SignedReceipt.newBuilder().setReceipt(ByteString.copyFrom(r))
        .setSignature(ByteString.copyFrom(coordinator.sign(r))).build();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(noPrefix.toByteArray(), device).failure());
  }

  @Test
  void development_trust_skips_the_signature_but_not_the_binding() {
    ReceiptTrust dev = ReceiptTrust.unverifiedForDevelopment();
    byte[] unsigned = SignedReceipt.newBuilder().setReceipt(rejected(device).toByteString()).build().toByteArray();
    ReceiptCheck c = dev.check(unsigned, device);
    assertTrue(c.isValid());
    assertFalse(c.authenticated());
    DeviceId other = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId();
    assertEquals(ReceiptFailure.WRONG_DEVICE, dev.check(unsigned, other).failure());
  }

  @Test
  void a_pinned_key_must_be_an_ed25519_public_key() {
    assertThrows(IllegalArgumentException.class, () -> ReceiptTrust.pinned("abcd"));
    assertThrows(IllegalArgumentException.class, () -> ReceiptTrust.pinned(new byte[31]));
    assertThrows(IllegalArgumentException.class,
        () -> Receipts.sign(rejected(device), TestKeys.signer(KeyType.ECDSA_P256)));
  }
}
