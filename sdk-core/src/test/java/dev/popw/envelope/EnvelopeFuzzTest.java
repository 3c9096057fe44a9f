package dev.popw.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 120,000 hostile inputs from a fixed seed and fixed envelopes, so every run is the same: truncated
 * envelopes, random garbage, oversize buffers and randomly mutated envelopes. The verifier never
 * throws and never accepts any of them. Other seeds: {@code -Dpopw.fuzz.seed=N
 * -Dpopw.fuzz.timestamp=MS}.
 */
class EnvelopeFuzzTest {
  private static final long SEED = Long.getLong("popw.fuzz.seed", 0x5eed_f00dL);
  private static final long TIMESTAMP_MS = Long.getLong("popw.fuzz.timestamp", 1_795_521_600_000L);
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();

  @Test
  void hostile_inputs_are_rejected_without_exceptions() throws Exception {
    Random rnd = new Random(SEED);
    byte[][] valid = new byte[KeyType.values().length][];
    for (KeyType t : KeyType.values()) {
      EnvelopeSealer s = EnvelopeSealer.builder().signer(TestKeys.signer(t)).sequence(new FixedSequence(1))
          .clock(Clock.fixed(Instant.ofEpochMilli(TIMESTAMP_MS), ZoneOffset.UTC)).networkId("popw-test").build();
      valid[t.ordinal()] = s.seal(SampleTelemetry.gpus(2)).bytes();
    }
    Map<Reason, Integer> garbageReasons = new EnumMap<>(Reason.class);
    int garbageThatParses = 0;

    // 1. Every strict prefix of a valid envelope, repeated with random lengths: 30,000 cases.
    for (int i = 0; i < 30_000; i++) {
      byte[] v = valid[rnd.nextInt(valid.length)];
      byte[] truncated = Arrays.copyOf(v, rnd.nextInt(v.length));
      assertEquals(Reason.MALFORMED, verify(truncated).reason(), "truncated to " + truncated.length);
    }
    // 2. Random garbage of random length below the limit: 50,000 cases.
    for (int i = 0; i < 50_000; i++) {
      byte[] g = new byte[rnd.nextInt(i % 10 == 0 ? 16_384 : 300)];
      rnd.nextBytes(g);
      VerificationResult r = verify(g);
      garbageReasons.merge(r.reason(), 1, Integer::sum);
      if (r.reason() != Reason.MALFORMED) {
        // Only bytes that really parse as an envelope may get a more specific reason.
        assertTrue(parses(g), "garbage that does not parse got " + r);
        garbageThatParses++;
      }
      assertNotEquals(Reason.OK, r.reason());
    }
    // 3. Oversize buffers, garbage or padded envelopes: 10,000 cases.
    for (int i = 0; i < 10_000; i++) {
      byte[] big = new byte[EnvelopeVerifier.DEFAULT_MAX_ENVELOPE_BYTES + 1 + rnd.nextInt(100_000)];
      if (rnd.nextBoolean()) {
        byte[] v = valid[rnd.nextInt(valid.length)];
        System.arraycopy(v, 0, big, 0, v.length);
      } else {
        rnd.nextBytes(big);
      }
      assertEquals(Reason.TOO_LARGE, verify(big).reason());
    }
    // 4. Valid envelopes with 1 to 8 random byte mutations: 30,000 cases. Two mutations can land
    // on the same byte and restore it, so the property is: OK only for the unchanged bytes.
    for (int i = 0; i < 30_000; i++) {
      byte[] original = valid[rnd.nextInt(valid.length)];
      byte[] m = original.clone();
      int n = 1 + rnd.nextInt(8);
      for (int k = 0; k < n; k++) {
        m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
      }
      if (verify(m).reason() == Reason.OK) {
        assertArrayEquals(original, m, "a changed envelope verified");
      }
    }
    int malformed = garbageReasons.getOrDefault(Reason.MALFORMED, 0);
    assertTrue(malformed >= 49_000, "garbage outcomes: " + garbageReasons);
    System.out.printf("fuzz: garbage outcomes %s (%d parsed as envelopes)%n", garbageReasons, garbageThatParses);
  }

  private VerificationResult verify(byte[] b) {
    VerificationResult r = verifier.verify(b); // must not throw
    assertNotNull(r);
    return r;
  }

  private static boolean parses(byte[] b) {
    try {
      SignedEnvelope.parseFrom(b);
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }
}
