package dev.popw.internal.crypto;

/** The outcome of checking one signature. */
public enum SignatureCheck {
  /** The signature is mathematically valid and in canonical form. */
  VALID,
  /**
   * The signature verifies but is not in the one canonical form we accept: an ECDSA signature with
   * s &gt; n/2, or an Ed25519 signature whose S is not reduced modulo the group order. Accepting
   * it would let anyone make a second valid signature for the same message (malleability).
   */
  NON_CANONICAL,
  /** The signature does not verify, or is not well-formed. */
  INVALID
}
