package dev.popw.envelope;

/** Why an envelope was accepted or rejected by {@link EnvelopeVerifier}. */
public enum Reason {
  /** Well-formed, and signed by the key it names. */
  OK("valid"),
  /** Larger than the verifier's size limit; not parsed. */
  TOO_LARGE("envelope exceeds the size limit"),
  /** Not a parsable envelope or telemetry, or a required field is missing. */
  MALFORMED("not a well-formed envelope"),
  /** The envelope's version is not one this verifier knows. */
  UNSUPPORTED_VERSION("unsupported envelope version"),
  /** The key type is not one this verifier knows. */
  UNSUPPORTED_KEY_TYPE("unsupported key type"),
  /** The public key is not in canonical encoding or not a valid curve point. */
  BAD_PUBLIC_KEY("invalid public key"),
  /** The telemetry's device id is not the envelope's public key. */
  KEY_MISMATCH("device id does not match the signing key"),
  /**
   * The signature verifies but is not in canonical form (ECDSA high S, Ed25519 unreduced S), which
   * would make it malleable.
   */
  NON_CANONICAL_SIGNATURE("signature is not in canonical form"),
  /** The signature does not verify. */
  BAD_SIGNATURE("signature does not verify");

  private final String description;

  Reason(String description) {
    this.description = description;
  }

  /** A short human description. */
  public String description() {
    return description;
  }
}
