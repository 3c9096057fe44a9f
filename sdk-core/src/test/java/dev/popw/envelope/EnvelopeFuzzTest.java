package dev.popw.envelope;

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
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 120,000 hostile inputs from a fixed seed: truncated envelopes, random garbage, oversize buffers
 * and randomly mutated envelopes. The verifier never throws and never accepts any of them.
 */
class EnvelopeFuzzTest {
  private static final long SEED = 0x5eed_f00dL;
  private final EnvelopeVerifier verifier = EnvelopeVerifier.create();

  @Test
  void hostile_inputs_are_rejected_without_exceptions() throws Exception {
    Random rnd = new Random(SEED);
    byte[][] valid = new byte[KeyType.values().length][];
    for (KeyType t : KeyType.values()) {
      EnvelopeSealer s = EnvelopeSealer.builder().signer(TestKeys.signer(t)).sequence(new FixedSequence(1)).networkId("popw-test").build();
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
    // 4. Valid envelopes with 1 to 8 random byte mutations: 30,000 cases.
    for (int i = 0; i < 30_000; i++) {
      byte[] m = valid[rnd.nextInt(valid.length)].clone();
      int n = 1 + rnd.nextInt(8);
      boolean changed = false;
      for (int k = 0; k < n; k++) {
        int pos = rnd.nextInt(m.length);
        byte old = m[pos];
        m[pos] = (byte) rnd.nextInt(256);
        changed |= m[pos] != old;
      }
      if (changed) {
        assertNotEquals(Reason.OK, verify(m).reason());
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
