package dev.popw.entropy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Entropy;
import dev.popw.proto.v1.SignedEntropy;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The device side of beacon entropy: what it believes, and how beacon ids are derived. */
class EntropyTrustTest {
  static final long NOW = 1_795_521_600_000L;
  final SoftwareSigner coordinator = SoftwareSigner.fromPrivateKey(KeyType.ED25519,
      HexFormat.of().parseHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  final EntropyTrust trust = EntropyTrust.pinned(coordinator.publicKey(), "popw-test", 30_000);

  Entropy entropy(long issued, String network) {
    byte[] v = new byte[32];
    Arrays.fill(v, (byte) 3);
    return Entropy.newBuilder().setValue(ByteString.copyFrom(v)).setSequence(5).setIssuedAtMs(issued).setExpiresAtMs(issued + 180_000)
        .setNetworkId(network).build();
  }

  @Test
  void fresh_entropy_signed_by_the_pinned_key_is_believed_and_the_signature_is_standard_ed25519() throws Exception {
    byte[] signed = Entropies.sign(entropy(NOW - 10_000, "popw-test"), coordinator);
    EntropyCheck c = trust.check(signed, NOW);
    assertTrue(c.isValid(), c.detail());
    assertEquals(5, c.entropy().getSequence());
    // the JDK's own Ed25519 verifies it over "popw.v1.Entropy" 0x00 || entropy
    SignedEntropy se = SignedEntropy.parseFrom(signed);
    byte[] pk = coordinator.publicKey();
    byte[] le = pk.clone();
    boolean odd = (le[31] & 0x80) != 0;
    le[31] &= 0x7f;
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) {
      be[i] = le[31 - i];
    }
    var key = java.security.KeyFactory.getInstance("Ed25519").generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519,
        new EdECPoint(odd, new java.math.BigInteger(1, be))));
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(key);
    s.update("popw.v1.Entropy".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    s.update((byte) 0);
    s.update(se.getEntropy().toByteArray());
    assertTrue(s.verify(se.getSignature().toByteArray()));
  }

  @Test
  void expired_entropy_is_refused() {
    byte[] signed = Entropies.sign(entropy(NOW - 200_000, "popw-test"), coordinator);
    EntropyCheck c = trust.check(signed, NOW);
    assertEquals(EntropyFailure.EXPIRED, c.failure());
    assertTrue(c.detail().contains("20 s ago"), c.detail());
    assertEquals(EntropyFailure.EXPIRED, trust.check(signed, NOW - 20_000).failure(), "at its expiry it is already refused");
    assertTrue(trust.check(signed, NOW - 20_001).isValid());
  }

  @Test
  void forged_foreign_future_and_other_network_entropy_is_refused() {
    SoftwareSigner stranger = SoftwareSigner.generate(KeyType.ED25519, new java.security.SecureRandom());
    assertEquals(EntropyFailure.UNTRUSTED_KEY, trust.check(Entropies.sign(entropy(NOW, "popw-test"), stranger), NOW).failure());
    byte[] signed = Entropies.sign(entropy(NOW, "popw-test"), coordinator);
    byte[] tampered = SignedEntropy.newBuilder(parse(signed)).setEntropy(entropy(NOW + 1, "popw-test").toByteString()).build().toByteArray();
    assertEquals(EntropyFailure.BAD_SIGNATURE, trust.check(tampered, NOW).failure());
    byte[] unsigned = SignedEntropy.newBuilder(parse(signed)).clearSignature().build().toByteArray();
    assertEquals(EntropyFailure.UNSIGNED, trust.check(unsigned, NOW).failure());
    assertEquals(EntropyFailure.WRONG_NETWORK, trust.check(Entropies.sign(entropy(NOW, "other"), coordinator), NOW).failure());
    assertEquals(EntropyFailure.FROM_THE_FUTURE, trust.check(Entropies.sign(entropy(NOW + 60_000, "popw-test"), coordinator), NOW).failure());
    assertEquals(EntropyFailure.MALFORMED, trust.check(new byte[] {1, 2, 3}, NOW).failure());
  }

  @Test
  void the_beacon_id_is_the_documented_hash() throws Exception {
    byte[] value = new byte[32];
    byte[] nonce = new byte[16];
    byte[] device = {(byte) 0xed, 1, 9};
    Arrays.fill(value, (byte) 0x11);
    Arrays.fill(nonce, (byte) 0x22);
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    d.update("popw.v1.Beacon".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    d.update((byte) 0);
    d.update(value);
    d.update(nonce);
    d.update(device);
    assertArrayEquals(Arrays.copyOf(d.digest(), 16), Entropies.beaconId(value, nonce, device));
    assertArrayEquals(Arrays.copyOf(value, 8), Entropies.prefix(value));
  }

  private static SignedEntropy parse(byte[] b) {
    try {
      return SignedEntropy.parseFrom(b);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
