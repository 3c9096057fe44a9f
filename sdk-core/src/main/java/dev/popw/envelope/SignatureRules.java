package dev.popw.envelope;

import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.AssistedKey;
import dev.popw.internal.crypto.SignatureCheck;
import dev.popw.internal.crypto.VerifyingKey;
import dev.popw.internal.keys.Schemes;

/**
 * One signature checked under the envelope rules (docs/wire-format.md, "Signing"), over any
 * message: the check {@link EnvelopeVerifier} makes, without the envelope around it. For tests and
 * tools that compare signature paths (the coordinator's differential test).
 */
public final class SignatureRules {
  private SignatureRules() {}

  /** The decision. */
  public enum Outcome {
    /** Verifies, canonical form. */
    VALID,
    /** Verifies only in a non-canonical form (ECDSA high S, Ed25519 S &gt;= L): NON_CANONICAL_SIGNATURE. */
    NON_CANONICAL,
    /** Does not verify: BAD_SIGNATURE. */
    INVALID,
    /** The public key is not a canonical key of this type: BAD_PUBLIC_KEY. */
    BAD_PUBLIC_KEY
  }

  /**
   * Checks {@code signature} over {@code message} under {@code publicKey} (its canonical encoding:
   * Ed25519 32 bytes, ECDSA 33-byte compressed).
   *
   * @param engine a faster path, or null for Bouncy Castle alone
   */
  public static Outcome check(KeyType type, byte[] publicKey, byte[] message, byte[] signature, SignatureEngine engine) {
    VerifyingKey key = Schemes.decodePublicKey(type, publicKey);
    if (key == null) {
      return Outcome.BAD_PUBLIC_KEY;
    }
    SignatureCheck c = withEngine(type, key, publicKey, engine).verify(message, 0, message.length, signature);
    return switch (c) {
      case VALID -> Outcome.VALID;
      case NON_CANONICAL -> Outcome.NON_CANONICAL;
      default -> Outcome.INVALID;
    };
  }

  /**
   * The key with the engine's fast path in front; the key itself without an engine, or when the
   * engine declines or fails to prepare it. {@link EnvelopeVerifier} decodes its keys through here.
   */
  static VerifyingKey withEngine(KeyType type, VerifyingKey key, byte[] raw, SignatureEngine engine) {
    if (engine == null) {
      return key;
    }
    Object prepared;
    try {
      prepared = engine.prepare(type, AssistedKey.engineEncoding(key, raw));
    } catch (Exception | LinkageError e) {
      prepared = null;
    }
    if (prepared == null) {
      return key;
    }
    Object k = prepared;
    return AssistedKey.of(key, (m, off, len, sig) -> engine.verify(type, k, m, off, len, sig), AssistedKey.Outcomes.NONE);
  }
}
