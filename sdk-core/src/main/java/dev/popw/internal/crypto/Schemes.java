package dev.popw.internal.crypto;

import dev.popw.identity.KeyType;

/** Dispatch from a key type to its scheme. */
public final class Schemes {
  private Schemes() {}

  /**
   * Decodes a public key in its canonical encoding for the key type; {@code null} if it is not
   * canonical or not a valid point.
   */
  public static VerifyingKey decodePublicKey(KeyType type, byte[] encoded) {
    switch (type) {
      case ED25519:
        return Ed25519Scheme.decodePublicKey(encoded);
      case ECDSA_P256:
      case ECDSA_SECP256K1:
        return EcdsaScheme.of(type).decodePublicKey(encoded);
      default:
        throw new IllegalArgumentException("unknown key type " + type);
    }
  }
}
