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
  void the_documented_group_vector_matches_the_code_and_its_receipts_verify() {
    Map<String, String> v = DocumentedVectors.block(DOC, "receipt group ed25519");
    assertEquals(ReceiptVectors.computeGroup(), v, "docs/wire-format.md is stale: regenerate it with ReceiptVectors.main");
    ReceiptTrust pinned = ReceiptTrust.pinned(v.get("coordinator_public_key"));
    for (String k : new String[] {"signed_receipt_0", "signed_receipt_2"}) {
      ReceiptCheck c = pinned.check(Hex.decode(v.get(k)), device);
      assertTrue(c.isValid() && c.authenticated(), k + ": " + c.failure());
    }
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

  private static java.util.List<Receipt> many(DeviceId d, int n) {
    java.util.List<Receipt> l = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] h = new byte[32];
      h[0] = (byte) i;
      h[1] = (byte) (i >> 8);
      l.add(Receipt.newBuilder().setEnvelopeHash(ByteString.copyFrom(h)).setSequence(i + 1).setStatus(Receipt.Status.ACCEPTED)
          .setCoordinatorTimeMs(1_700_000_000_000L + i).setDeviceId(ByteString.copyFrom(d.toBytes())).build());
    }
    return l;
  }

  /** SHA-256 with the JDK, written out here, not through Receipts: the batch rules as docs/wire-format.md states them. */
  private static byte[] sha256(byte[]... parts) throws Exception {
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  @Test
  void every_receipt_of_a_batch_verifies_with_its_path_for_every_batch_size() throws Exception {
    byte[] leafDomain = "popw.v1.ReceiptLeaf\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] nodeDomain = "popw.v1.ReceiptNode\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] rootDomain = "popw.v1.ReceiptRoot\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] spki = Hex.decode("302a300506032b6570032100" + Hex.encode(coordinator.publicKey()));
    PublicKey pk = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    for (int n : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 100, 256}) {
      java.util.List<Receipt> rs = many(device, n);
      java.util.List<byte[]> signed = Receipts.signBatch(rs, coordinator);
      assertEquals(n, signed.size());
      int expectedPath = 32 - Integer.numberOfLeadingZeros(n - 1); // ceil(log2 n); an unpaired node's path is shorter
      for (int i = 0; i < n; i++) {
        ReceiptCheck c = trust.check(signed.get(i), device);
        assertTrue(c.isValid(), "receipt " + i + " of " + n + ": " + c.failure());
        assertTrue(c.authenticated());
        assertEquals(rs.get(i), c.receipt());
        SignedReceipt sr = SignedReceipt.parseFrom(signed.get(i));
        assertTrue(sr.getReceiptPathCount() <= expectedPath, "path of " + sr.getReceiptPathCount() + " in a batch of " + n);
        // Independently: the root from the documented hashes, the signature with the JDK's Ed25519.
        byte[] h = sha256(leafDomain, sr.getReceipt().toByteArray());
        for (ByteString sib : sr.getReceiptPathList()) {
          byte[] o = sib.toByteArray();
          boolean first = java.util.Arrays.compareUnsigned(h, o) <= 0;
          h = sha256(nodeDomain, first ? h : o, first ? o : h);
        }
        Signature jdk = Signature.getInstance("Ed25519");
        jdk.initVerify(pk);
        jdk.update(n == 1 ? Receipts.signedMessage(sr.getReceipt().toByteArray()) : concat(rootDomain, h));
        assertTrue(jdk.verify(sr.getSignature().toByteArray()), "JDK check of receipt " + i + " of " + n);
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] m = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, m, a.length, b.length);
    return m;
  }

  @Test
  void a_batch_receipt_with_its_path_or_receipt_changed_is_refused() throws Exception {
    java.util.List<byte[]> a = Receipts.signBatch(many(device, 9), coordinator);
    java.util.List<byte[]> b = Receipts.signBatch(many(device, 9).subList(1, 9), coordinator);
    SignedReceipt sr = SignedReceipt.parseFrom(a.get(3));
    byte[] sib = sr.getReceiptPath(0).toByteArray();
    sib[5] ^= 1;
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(sr.toBuilder().setReceiptPath(0, ByteString.copyFrom(sib)).build().toByteArray(), device).failure());
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(sr.toBuilder().clearReceiptPath().build().toByteArray(), device).failure(),
        "without its path the root signature is not a signature over the receipt");
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(sr.toBuilder().addReceiptPath(ByteString.copyFrom(new byte[32])).build().toByteArray(), device).failure());
    assertEquals(ReceiptFailure.MALFORMED, trust.check(sr.toBuilder().addReceiptPath(ByteString.copyFrom(new byte[31])).build().toByteArray(), device).failure());
    SignedReceipt.Builder tooLong = sr.toBuilder();
    for (int i = 0; i < Receipts.MAX_PATH; i++) {
      tooLong.addReceiptPath(ByteString.copyFrom(new byte[32]));
    }
    assertEquals(ReceiptFailure.MALFORMED, trust.check(tooLong.build().toByteArray(), device).failure());
    Receipt changed = Receipt.parseFrom(sr.getReceipt()).toBuilder().setStatus(Receipt.Status.REJECTED).build();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(sr.toBuilder().setReceipt(changed.toByteString()).build().toByteArray(), device).failure());
    // Another batch's signature with this receipt's path, and a single receipt's signature with a path added.
    SignedReceipt other = SignedReceipt.parseFrom(b.get(2));
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(sr.toBuilder().setSignature(other.getSignature()).build().toByteArray(), device).failure());
    SignedReceipt single = SignedReceipt.parseFrom(Receipts.sign(rejected(device), coordinator));
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(single.toBuilder().addReceiptPath(ByteString.copyFrom(sib)).build().toByteArray(), device).failure());
    // A batch signed by another key, and a batch receipt for another device.
    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
    byte[] forged = Receipts.signBatch(many(device, 4), stranger).get(1);
    assertEquals(ReceiptFailure.UNTRUSTED_KEY, trust.check(forged, device).failure());
    SignedReceipt forgedNoHint = SignedReceipt.parseFrom(forged).toBuilder().clearCoordinatorKey().build();
    assertEquals(ReceiptFailure.BAD_SIGNATURE, trust.check(forgedNoHint.toByteArray(), device).failure());
    DeviceId otherDevice = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()).deviceId();
    assertEquals(ReceiptFailure.WRONG_DEVICE, trust.check(a.get(0), otherDevice).failure());
    assertThrows(IllegalArgumentException.class, () -> Receipts.signBatch(java.util.List.of(), coordinator));
  }
}
