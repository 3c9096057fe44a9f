package dev.popw.coordinator.signatures;

import dev.popw.identity.KeyType;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The differential check of {@link SignatureDifferentialTest} at full size: 1,000,000 random and
 * crafted signatures (94% Ed25519, 6% ECDSA on both curves), decided identically by Bouncy Castle
 * alone and by the native path. 187 s on the project's 2-core machine, quiet.
 */
class SignatureDifferentialIT {
  @Test
  void a_million_random_and_crafted_signatures_are_decided_identically() {
    org.junit.jupiter.api.Assumptions.assumeTrue(SignatureDifferentialTest.nativePlatform(), "ACCP has no native library for this platform");
    NativeSignatureEngine.Loaded l = NativeSignatureEngine.load();
    org.junit.jupiter.api.Assertions.assertNotNull(l.engine(), l::problem);
    org.junit.jupiter.api.Assertions.assertEquals(EnumSet.allOf(KeyType.class), l.engine().keyTypes());
    int n = 1_000_000;
    DifferentialCases cases = new DifferentialCases(l.engine(), 256);
    SignatureDifferentialTest.assertAgreed(cases.run(2026, n), n);
  }
}
