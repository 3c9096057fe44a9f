package dev.popw.fuzz;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.EnvelopeVerifier;
import dev.popw.envelope.VerificationResult;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import dev.popw.testing.TestKeys;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of {@link EnvelopeVerifier#verify} with arbitrary bytes as a
 * SignedEnvelope. The seeds are valid envelopes of every key type and payload kind, so the
 * mutations start from the real structure. Properties:
 *
 * <ul>
 *   <li>it never throws, and never gets to its catch-all (a runtime exception inside the checks,
 *       which it reports as "unparsable envelope (...)": hostile input reached code that is not
 *       ready for it);
 *   <li>it accepts only what was signed: an OK result carries the key, telemetry bytes and
 *       signature of one of the seeds (only the seeds were signed with the test keys; the outer
 *       envelope may be re-encoded, the signed content not);
 *   <li>every accessor of the result works.
 * </ul>
 *
 * Run by the failsafe execution "fuzz" (JAZZER_FUZZ=1, a fixed budget); {@code bench/fuzz} runs it
 * longer. A finding is saved under {@code src/test/resources/dev/popw/fuzz/EnvelopeVerifierFuzzerInputs/}
 * and replayed by every later run.
 */
class EnvelopeVerifierFuzzer {
  static {
    // What Jazzer instruments for coverage in this fork: sdk-core and protobuf's parser (read when
    // the fuzz test starts, after this class is initialized).
    System.setProperty("jazzer.instrument", "dev.popw.**,com.google.protobuf.**");
  }

  private static final String CATCH_ALL = "unparsable envelope (";
  private static final EnvelopeVerifier VERIFIER = EnvelopeVerifier.create();
  private static final List<SignedEnvelope> SIGNED = new ArrayList<>();
  private static final FuzzStats STATS = new FuzzStats("EnvelopeVerifierFuzzer");

  static Stream<byte[]> arbitraryBytes() {
    List<byte[]> seeds = new ArrayList<>();
    for (KeyType t : KeyType.values()) {
      EnvelopeSealer s = EnvelopeSealer.builder().signer(TestKeys.signer(t)).sequence(new FixedSequence(1))
          .clock(Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC)).networkId("popw-test").build();
      seeds.add(s.seal(SampleTelemetry.weather()).bytes());
      seeds.add(s.seal(SampleTelemetry.witness()).bytes());
      seeds.add(s.seal(SampleTelemetry.gpus(2)).bytes());
    }
    synchronized (SIGNED) {
      for (byte[] b : seeds) {
        try {
          SIGNED.add(SignedEnvelope.parseFrom(b));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return seeds.stream();
  }

  @MethodSource
  @FuzzTest(maxDuration = "10s")
  void arbitraryBytes(byte[] input) {
    VerificationResult r = VERIFIER.verify(input);
    assertNotNull(r);
    STATS.run(r.reason().name());
    if (r.detail().startsWith(CATCH_ALL)) {
      throw new AssertionError("an exception escaped the verifier's checks: " + r.detail());
    }
    // Every accessor works on whatever the verifier got to.
    r.deviceId();
    r.envelopeHash();
    r.telemetryBytes();
    r.toString();
    if (r.isOk()) {
      Telemetry t = r.telemetry().orElseThrow();
      assertNotNull(t);
      SignedEnvelope env;
      try {
        env = SignedEnvelope.parseFrom(input);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError("accepted bytes that do not parse", e);
      }
      if (!wasSigned(env)) {
        throw new AssertionError("accepted an envelope nobody signed: " + Arrays.toString(input));
      }
    }
  }

  private static boolean wasSigned(SignedEnvelope env) {
    synchronized (SIGNED) {
      for (SignedEnvelope s : SIGNED) {
        if (s.getKeyType() == env.getKeyType() && s.getPublicKey().equals(env.getPublicKey())
            && s.getTelemetry().equals(env.getTelemetry()) && s.getSignature().equals(env.getSignature())) {
          return true;
        }
      }
    }
    return false;
  }

  @BeforeAll
  static void start() {
    // nothing to start; initializes the class (its jazzer.instrument) before Jazzer reads its options
  }

  @AfterAll
  static void summary() {
    STATS.report();
  }
}
