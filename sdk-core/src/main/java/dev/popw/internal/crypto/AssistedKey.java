package dev.popw.internal.crypto;

import java.math.BigInteger;

/**
 * A key whose plain signature equation is first tried on a faster implementation (see {@code
 * dev.popw.envelope.SignatureEngine}), with every canonical-form rule applied here, before the
 * call, exactly as {@link Ed25519Scheme} and {@link EcdsaScheme} apply them. A refusal or a failure
 * of the fast path is decided by Bouncy Castle, so both paths accept exactly the same signatures.
 */
public final class AssistedKey implements VerifyingKey {
  /** The fast plain verification: true = verifies; false or an exception = ask Bouncy Castle. */
  @FunctionalInterface
  public interface Fast {
    boolean verify(byte[] message, int off, int len, byte[] signature) throws Exception;
  }

  /** Told what each fast call did; the coordinator's metrics. Must be thread-safe and quick. */
  public interface Outcomes {
    /** Outcomes of the fast path: ACCEPTED, REFUSED (Bouncy Castle asked), FAILED (threw; Bouncy Castle asked). */
    enum Kind { ACCEPTED, REFUSED, FAILED }

    void fast(Kind kind);

    Outcomes NONE = k -> {};
  }

  private final VerifyingKey reference;
  private final Fast fast;
  private final Outcomes outcomes;

  private AssistedKey(VerifyingKey reference, Fast fast, Outcomes outcomes) {
    this.reference = reference;
    this.fast = fast;
    this.outcomes = outcomes;
  }

  /**
   * Wraps a key decoded by {@link Ed25519Scheme#decodePublicKey} or {@link
   * EcdsaScheme#decodePublicKey}.
   */
  public static VerifyingKey of(VerifyingKey reference, Fast fast, Outcomes outcomes) {
    if (!(reference instanceof Ed25519Scheme.Key) && !(reference instanceof EcdsaScheme.Key)) {
      throw new IllegalArgumentException("not a key of this package: " + reference.getClass());
    }
    return new AssistedKey(reference, fast, outcomes == null ? Outcomes.NONE : outcomes);
  }

  /** The encoding a {@code SignatureEngine} is given: Ed25519 as is, ECDSA as the uncompressed point. */
  public static byte[] engineEncoding(VerifyingKey reference, byte[] canonical) {
    if (reference instanceof EcdsaScheme.Key k) {
      return k.point().getEncoded(false);
    }
    return canonical.clone();
  }

  @Override
  public SignatureCheck verify(byte[] message, int off, int len, byte[] signature) {
    if (reference instanceof Ed25519Scheme.Key k) {
      return ed25519(k, message, off, len, signature);
    }
    return ecdsa((EcdsaScheme.Key) reference, message, off, len, signature);
  }

  private SignatureCheck ed25519(Ed25519Scheme.Key k, byte[] message, int off, int len, byte[] signature) {
    if (signature == null || signature.length != 64 || !Ed25519Scheme.isCanonicalR(signature)) {
      return SignatureCheck.INVALID; // Bouncy Castle refuses these too, before any arithmetic
    }
    if (!Ed25519Scheme.isCanonicalS(signature)) {
      byte[] reduced = Ed25519Scheme.reduceS(signature);
      return plain(message, off, len, reduced) ? SignatureCheck.NON_CANONICAL : SignatureCheck.INVALID;
    }
    return plain(message, off, len, signature) ? SignatureCheck.VALID : SignatureCheck.INVALID;
  }

  private SignatureCheck ecdsa(EcdsaScheme.Key k, byte[] message, int off, int len, byte[] signature) {
    if (signature == null || signature.length != 64) {
      return SignatureCheck.INVALID;
    }
    BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 0, 32));
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 32, 64));
    if (!k.inRange(r) || !k.inRange(s)) {
      return SignatureCheck.INVALID;
    }
    if (!plain(message, off, len, signature)) {
      return SignatureCheck.INVALID;
    }
    return k.isHighS(s) ? SignatureCheck.NON_CANONICAL : SignatureCheck.VALID;
  }

  /** The plain equation: the fast path, and Bouncy Castle for whatever it does not accept. */
  private boolean plain(byte[] message, int off, int len, byte[] signature) {
    try {
      if (fast.verify(message, off, len, signature)) {
        outcomes.fast(Outcomes.Kind.ACCEPTED);
        return true;
      }
      outcomes.fast(Outcomes.Kind.REFUSED);
    } catch (Exception | LinkageError e) {
      outcomes.fast(Outcomes.Kind.FAILED);
    }
    return referencePlain(message, off, len, signature);
  }

  /** Bouncy Castle's plain equation, on a signature that passed the checks above. */
  boolean referencePlain(byte[] message, int off, int len, byte[] signature) {
    if (reference instanceof Ed25519Scheme.Key k) {
      return k.plain(message, off, len, signature);
    }
    EcdsaScheme.Key k = (EcdsaScheme.Key) reference;
    BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 0, 32));
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 32, 64));
    return k.verifyStandard(Sha256.hash(message, off, len), r, s);
  }
}
