package dev.popw.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.identity.KeyType;
import dev.popw.internal.keys.Schemes;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.math.BigInteger;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each reason code, provoked on purpose. */
class EnvelopeReasonsTest {
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();

  private static SignedEnvelope envelope(KeyType type) throws Exception {
    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(TestKeys.signer(type)).sequence(new FixedSequence(1)).networkId("popw-test").build();
    return SignedEnvelope.parseFrom(sealer.seal(SampleTelemetry.gpus(1)).bytes());
  }

  private Reason verify(SignedEnvelope e) {
    return verifier.verify(e.toByteArray()).reason();
  }

  @Test
  void too_large_is_checked_before_parsing_and_is_configurable() throws Exception {
    byte[] big = new byte[EnvelopeVerifier.DEFAULT_MAX_ENVELOPE_BYTES + 1];
    assertEquals(Reason.TOO_LARGE, verifier.verify(big).reason());
    SignedEnvelope e = envelope(KeyType.ED25519);
    EnvelopeVerifier small = EnvelopeVerifier.builder().maxEnvelopeBytes(e.getSerializedSize() - 1).build();
    assertEquals(Reason.TOO_LARGE, small.verify(e.toByteArray()).reason());
    assertEquals(Reason.OK, EnvelopeVerifier.builder().maxEnvelopeBytes(e.getSerializedSize()).build().verify(e.toByteArray()).reason());
  }

  @Test
  void malformed_inputs() throws Exception {
    assertEquals(Reason.MALFORMED, verifier.verify(new byte[0]).reason());
    assertEquals(Reason.MALFORMED, verifier.verify(null).reason());
    assertEquals(Reason.MALFORMED, verifier.verify(new byte[] {(byte) 0xff, (byte) 0xff}).reason());
    SignedEnvelope e = envelope(KeyType.ED25519);
    assertEquals(Reason.MALFORMED, verify(e.toBuilder().clearVersion().build()));
    assertEquals(Reason.MALFORMED, verify(e.toBuilder().clearKeyType().build()));
    assertEquals(Reason.MALFORMED, verify(e.toBuilder().clearTelemetry().build()));
    assertEquals(Reason.MALFORMED, verify(e.toBuilder().setSignature(e.getSignature().substring(0, 63)).build()));
    assertEquals(Reason.MALFORMED, verify(e.toBuilder().setTelemetry(ByteString.copyFrom(new byte[] {0x0a, 0x05, 1})).build()));
  }

  /** The outer envelope is not signed: bytes outside the five fields of SignedEnvelope v1 are refused (issue 13). */
  @Test
  void fields_outside_the_signed_telemetry_are_malformed() throws Exception {
    byte[] good = envelope(KeyType.ED25519).toByteArray();
    assertTrue(verifier.verify(good).isOk());
    VerificationResult unknown = verifier.verify(concat(good, new byte[] {(byte) 0xf8, 0x07, 0x01})); // field 127 = 1
    assertEquals(Reason.MALFORMED, unknown.reason());
    assertTrue(unknown.detail().contains("unknown field 127"), unknown.detail());
    VerificationResult wrongType = verifier.verify(concat(good, new byte[] {0x0a, 0x01, 0x01})); // version, length-delimited
    assertEquals(Reason.MALFORMED, wrongType.reason());
    assertTrue(wrongType.detail().contains("field 1"), wrongType.detail());
    VerificationResult twice = verifier.verify(concat(good, new byte[] {0x08, 0x01})); // version again
    assertEquals(Reason.MALFORMED, twice.reason());
    assertTrue(twice.detail().contains("more than once"), twice.detail());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void unsupported_version_and_key_type() throws Exception {
    SignedEnvelope e = envelope(KeyType.ED25519);
    VerificationResult r = verifier.verify(e.toBuilder().setVersion(2).build().toByteArray());
    assertEquals(Reason.UNSUPPORTED_VERSION, r.reason());
    assertTrue(r.detail().contains("version 2"), r.detail());
    assertEquals(Reason.UNSUPPORTED_KEY_TYPE, verify(e.toBuilder().setKeyTypeValue(9).build()));
  }

  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"ECDSA_P256", "ECDSA_SECP256K1"})
  void bad_public_key_for_off_curve_or_non_canonical_encodings(KeyType type) throws Exception {
    SignedEnvelope e = envelope(type);
    byte[] pk = e.getPublicKey().toByteArray();
    // The uncompressed form of the same key is valid SEC1 but not canonical here.
    byte[] uncompressed = Schemes.ecdsa(type).decodeAnyPublicKey(pk).point().getEncoded(false);
    assertEquals(Reason.BAD_PUBLIC_KEY, verify(e.toBuilder().setPublicKey(ByteString.copyFrom(uncompressed)).build()));
    byte[] badPrefix = pk.clone();
    badPrefix[0] = 0x04;
    assertEquals(Reason.BAD_PUBLIC_KEY, verify(e.toBuilder().setPublicKey(ByteString.copyFrom(badPrefix)).build()));
    byte[] offCurve = new byte[33];
    offCurve[0] = 0x02;
    for (int x = 1; ; x++) {
      offCurve[32] = (byte) x;
      if (Schemes.ecdsa(type).decodePublicKey(offCurve) == null) {
        break;
      }
    }
    assertEquals(Reason.BAD_PUBLIC_KEY, verify(e.toBuilder().setPublicKey(ByteString.copyFrom(offCurve)).build()));
  }

  @Test
  void key_mismatch_when_telemetry_names_another_device() throws Exception {
    SignedEnvelope mine = envelope(KeyType.ED25519);
    SignedEnvelope other = envelope(KeyType.ECDSA_P256);
    // Another device's telemetry presented under this device's key.
    SignedEnvelope forged = mine.toBuilder().setTelemetry(other.getTelemetry()).build();
    assertEquals(Reason.KEY_MISMATCH, verify(forged));
  }

  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"ECDSA_P256", "ECDSA_SECP256K1"})
  void non_canonical_for_the_high_s_twin_of_a_valid_ecdsa_signature(KeyType type) throws Exception {
    SignedEnvelope e = envelope(type);
    byte[] sig = e.getSignature().toByteArray();
    BigInteger n = Schemes.ecdsa(type).domain().getN();
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
    byte[] high = n.subtract(s).toByteArray();
    byte[] twin = sig.clone();
    Arrays.fill(twin, 32, 64, (byte) 0);
    System.arraycopy(high, Math.max(0, high.length - 32), twin, 64 - Math.min(32, high.length), Math.min(32, high.length));
    assertEquals(Reason.NON_CANONICAL_SIGNATURE, verify(e.toBuilder().setSignature(ByteString.copyFrom(twin)).build()));
  }

  @Test
  void non_canonical_for_ed25519_s_plus_group_order() throws Exception {
    SignedEnvelope e = envelope(KeyType.ED25519);
    byte[] sig = e.getSignature().toByteArray();
    BigInteger l = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
    byte[] sLe = Arrays.copyOfRange(sig, 32, 64);
    BigInteger s = new BigInteger(1, reverse(sLe));
    byte[] sPlusL = reverse(fixed32(s.add(l)));
    byte[] forged = sig.clone();
    System.arraycopy(sPlusL, 0, forged, 32, 32);
    assertEquals(Reason.NON_CANONICAL_SIGNATURE, verify(e.toBuilder().setSignature(ByteString.copyFrom(forged)).build()));
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void bad_signature_from_another_key(KeyType type) throws Exception {
    SignedEnvelope e = envelope(type);
    SignedEnvelope other = envelope(type == KeyType.ED25519 ? KeyType.ECDSA_P256 : KeyType.ED25519);
    assertEquals(Reason.BAD_SIGNATURE, verify(e.toBuilder().setSignature(other.getSignature()).build()));
  }

  private static byte[] reverse(byte[] a) {
    byte[] r = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[a.length - 1 - i];
    }
    return r;
  }

  private static byte[] fixed32(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    System.arraycopy(b, Math.max(0, b.length - 32), out, 32 - Math.min(32, b.length), Math.min(32, b.length));
    return out;
  }
}
