package dev.popw.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Any change to a signed envelope is caught, with the reason that names it. */
class EnvelopeTamperTest {
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();

  private static SignedEnvelope sealed(KeyType type) throws InvalidProtocolBufferException {
    SoftwareSigner signer = TestKeys.signer(type);
    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(41)).networkId("popw-test").build();
    sealer.seal(SampleTelemetry.weather()); // so that prev_hash is set
    return SignedEnvelope.parseFrom(sealer.seal(SampleTelemetry.weather()).bytes());
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void every_single_bit_flip_of_the_serialized_envelope_is_rejected(KeyType type) throws Exception {
    byte[] good = sealed(type).toByteArray();
    assertEquals(Reason.OK, verifier.verify(good).reason());
    for (int bit = 0; bit < good.length * 8; bit++) {
      byte[] bad = good.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      VerificationResult r = verifier.verify(bad);
      assertNotEquals(Reason.OK, r.reason(), "flipping bit " + bit + " went unnoticed");
    }
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void a_flipped_bit_in_each_telemetry_field_breaks_the_signature(KeyType type) throws Exception {
    SignedEnvelope env = sealed(type);
    Telemetry t = Telemetry.parseFrom(env.getTelemetry());
    // Each field re-encoded with one bit of its value flipped, the original signature kept.
    check(env, t.toBuilder().setSequence(t.getSequence() ^ 1).build(), Reason.BAD_SIGNATURE);
    check(env, t.toBuilder().setTimestampMs(t.getTimestampMs() ^ (1L << 20)).build(), Reason.BAD_SIGNATURE);
    check(env, t.toBuilder().setPrevHash(flip(t.getPrevHash(), 77)).build(), Reason.BAD_SIGNATURE);
    check(env, t.toBuilder().setNetworkId("popw-tesu").build(), Reason.BAD_SIGNATURE);
    check(env, t.toBuilder().setSensor(t.getSensor().toBuilder()
        .setMeasurements(0, t.getSensor().getMeasurements(0).toBuilder().setValue(Double.longBitsToDouble(
            Double.doubleToLongBits(t.getSensor().getMeasurements(0).getValue()) ^ 1)))).build(), Reason.BAD_SIGNATURE);
    check(env, t.toBuilder().setDeviceId(flip(t.getDeviceId(), 100)).build(), Reason.KEY_MISMATCH);
    // Bytes the signer never wrote (an unknown field appended) also break it.
    check(env, Telemetry.parseFrom(env.getTelemetry().concat(ByteString.copyFrom(new byte[] {(byte) 0xf8, 0x07, 0x01}))), Reason.BAD_SIGNATURE);
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void a_flipped_bit_in_each_envelope_field_is_named(KeyType type) throws Exception {
    SignedEnvelope env = sealed(type);
    expect(env, e -> e.toBuilder().setVersion(e.getVersion() ^ 2).build(), EnumSet.of(Reason.UNSUPPORTED_VERSION));
    expect(env, e -> e.toBuilder().setKeyTypeValue(e.getKeyTypeValue() ^ 4).build(), EnumSet.of(Reason.UNSUPPORTED_KEY_TYPE));
    // P-256 and secp256k1 keys have the same length: swapping the type leaves a key that fails to
    // decode on the other curve or a device id that no longer matches.
    expect(env, e -> e.toBuilder().setKeyTypeValue(type == KeyType.ECDSA_P256 ? 3 : 2).build(),
        EnumSet.of(Reason.BAD_PUBLIC_KEY, Reason.KEY_MISMATCH));
    for (int bit = 0; bit < env.getPublicKey().size() * 8; bit++) {
      int b = bit;
      expect(env, e -> e.toBuilder().setPublicKey(flip(e.getPublicKey(), b)).build(), EnumSet.of(Reason.BAD_PUBLIC_KEY, Reason.KEY_MISMATCH));
    }
    for (int bit = 0; bit < 64 * 8; bit++) {
      int b = bit;
      expect(env, e -> e.toBuilder().setSignature(flip(e.getSignature(), b)).build(),
          EnumSet.of(Reason.BAD_SIGNATURE));
    }
  }

  private void check(SignedEnvelope env, Telemetry forged, Reason expected) {
    byte[] bytes = env.toBuilder().setTelemetry(forged.toByteString()).build().toByteArray();
    assertEquals(expected, verifier.verify(bytes).reason());
  }

  private void expect(SignedEnvelope env, UnaryOperator<SignedEnvelope> tamper, Set<Reason> allowed) {
    VerificationResult r = verifier.verify(tamper.apply(env).toByteArray());
    assertTrue(allowed.contains(r.reason()), "got " + r + ", expected one of " + allowed);
  }

  private static ByteString flip(ByteString b, int bit) {
    byte[] a = b.toByteArray();
    a[bit / 8] ^= (byte) (1 << (bit % 8));
    return ByteString.copyFrom(a);
  }
}
