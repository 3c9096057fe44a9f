package dev.popw.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.internal.keys.Schemes;
import dev.popw.proto.v1.Telemetry;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EnvelopeRoundTripTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();

  private static EnvelopeSealer sealer(SoftwareSigner signer) {
    return EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(CLOCK).networkId("popw-test").build();
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void sealed_envelopes_of_every_payload_kind_verify(KeyType type) {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    EnvelopeSealer sealer = sealer(signer);
    SealedEnvelope[] sealed = {
      sealer.seal(SampleTelemetry.weather()), sealer.seal(SampleTelemetry.witness()), sealer.seal(SampleTelemetry.gpus(8))
    };
    for (SealedEnvelope s : sealed) {
      VerificationResult r = verifier.verify(s.bytes());
      assertEquals(Reason.OK, r.reason(), r.detail());
      assertEquals(signer.deviceId(), r.deviceId().orElseThrow());
      assertArrayEquals(s.hash(), r.envelopeHash().orElseThrow());
      assertEquals(s.telemetry(), r.telemetry().orElseThrow());
    }
    Telemetry t = verifier.verify(sealed[1].bytes()).telemetry().orElseThrow();
    assertEquals(2, t.getSequence());
    assertEquals(CLOCK.millis(), t.getTimestampMs());
    assertEquals("popw-test", t.getNetworkId());
    assertEquals(Telemetry.PayloadCase.COVERAGE, t.getPayloadCase());
    assertEquals(SampleTelemetry.witness(), t.getCoverage());
  }

  @Test
  void envelopes_form_a_hash_chain() {
    EnvelopeSealer sealer = sealer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()));
    SealedEnvelope a = sealer.seal(SampleTelemetry.weather());
    SealedEnvelope b = sealer.seal(SampleTelemetry.weather());
    SealedEnvelope c = sealer.seal(SampleTelemetry.weather());
    assertEquals(0, a.telemetry().getPrevHash().size());
    assertArrayEquals(a.hash(), b.telemetry().getPrevHash().toByteArray());
    assertArrayEquals(b.hash(), c.telemetry().getPrevHash().toByteArray());
    assertArrayEquals(c.hash(), sealer.chainHead());
    assertArrayEquals(Envelopes.hash(c.telemetry().toByteArray()), c.hash());
  }

  @Test
  void a_sealer_can_continue_an_earlier_chain() {
    byte[] head = new byte[32];
    Arrays.fill(head, (byte) 7);
    EnvelopeSealer sealer = EnvelopeSealer.builder()
        .signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom()))
        .sequence(new FixedSequence(100)).networkId("n").chainHead(head).build();
    SealedEnvelope s = sealer.seal(SampleTelemetry.weather());
    assertArrayEquals(head, s.telemetry().getPrevHash().toByteArray());
    assertEquals(100, s.sequence());
  }

  @ParameterizedTest
  @EnumSource(value = KeyType.class, names = {"ECDSA_P256", "ECDSA_SECP256K1"})
  void ecdsa_signatures_are_deterministic_and_low_s(KeyType type) {
    SoftwareSigner signer = SoftwareSigner.generate(type, new SecureRandom());
    BigInteger halfN = Schemes.ecdsa(type).domain().getN().shiftRight(1);
    for (int i = 0; i < 300; i++) {
      byte[] msg = ("message " + i).getBytes();
      byte[] sig = signer.sign(msg);
      assertArrayEquals(sig, signer.sign(msg), "RFC 6979 signatures are deterministic");
      assertTrue(new BigInteger(1, Arrays.copyOfRange(sig, 32, 64)).compareTo(halfN) <= 0, "s must be low");
    }
  }

  @Test
  void builder_fails_fast_on_a_missing_part() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> EnvelopeSealer.builder().sequence(new FixedSequence(1)).networkId("n").build());
    assertTrue(e.getMessage().contains("signer"));
    assertThrows(IllegalStateException.class,
        () -> EnvelopeSealer.builder().signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom())).networkId("n").build());
    assertThrows(IllegalStateException.class,
        () -> EnvelopeSealer.builder().signer(SoftwareSigner.generate(KeyType.ED25519, new SecureRandom())).sequence(new FixedSequence(1)).build());
  }
}
