package dev.popw.internal.keys;

import dev.popw.identity.KeyType;
import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Ed25519Scheme;
import dev.popw.internal.crypto.VerifyingKey;

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
        return ecdsa(type).decodePublicKey(encoded);
      default:
        throw new IllegalArgumentException("unknown key type " + type);
    }
  }

  /**
   * The ECDSA scheme of an ECDSA key type.
   *
   * @throws IllegalArgumentException for a key type that is not ECDSA
   */
  public static EcdsaScheme ecdsa(KeyType type) {
    switch (type) {
      case ECDSA_P256:
        return EcdsaScheme.P256;
      case ECDSA_SECP256K1:
        return EcdsaScheme.SECP256K1;
      default:
        throw new IllegalArgumentException("not an ECDSA key type: " + type);
    }
  }
}
