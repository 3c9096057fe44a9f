package dev.popw.testing;

import dev.popw.envelope.VerificationResult;

/** One envelope a test receiver got: where it came from and what the verifier said. */
public record ReceivedEnvelope(String source, VerificationResult result, long sequence, String hashHex) {}
