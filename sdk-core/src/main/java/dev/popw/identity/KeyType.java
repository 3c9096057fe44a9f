package dev.popw.identity;

/**
 * The signature scheme of a device key.
 *
 * <p>The numbers are the wire values of {@code popw.v1.KeyType}; the multicodec codes are those of
 * the <a href="https://github.com/multiformats/multicodec">multicodec table</a>, used in the device
 * id ({@code did:key}).
 */
public enum KeyType {
  /** Ed25519 (RFC 8032, pure). The default. 32-byte public key, 64-byte signature. */
  ED25519(1, 0xed, 32, "ed25519"),
  /**
   * ECDSA over NIST P-256 with SHA-256, as secure elements (ATECC608, TPM 2.0) implement it.
   * 33-byte compressed public key, 64-byte r||s signature with low S.
   */
  ECDSA_P256(2, 0x1200, 33, "p256"),
  /**
   * ECDSA over secp256k1 with SHA-256. The EVM-native curve: the device has an Ethereum address.
   * 33-byte compressed public key, 64-byte r||s signature with low S.
   */
  ECDSA_SECP256K1(3, 0xe7, 33, "secp256k1");

  /** Length of every signature, in bytes, for all key types. */
  public static final int SIGNATURE_LENGTH = 64;

  private final int wireValue;
  private final int multicodec;
  private final int publicKeyLength;
  private final String label;

  KeyType(int wireValue, int multicodec, int publicKeyLength, String label) {
    this.wireValue = wireValue;
    this.multicodec = multicodec;
    this.publicKeyLength = publicKeyLength;
    this.label = label;
  }

  /** The value of this key type in {@code popw.v1.KeyType}. */
  public int wireValue() {
    return wireValue;
  }

  /** The multicodec code of this key type's public key. */
  public int multicodec() {
    return multicodec;
  }

  /** Length of the canonical public key encoding, in bytes. */
  public int publicKeyLength() {
    return publicKeyLength;
  }

  /** The short name used in configuration and on the command line: ed25519, p256, secp256k1. */
  public String label() {
    return label;
  }

  /** Returns the key type for a wire value, or {@code null} if the value is unknown. */
  public static KeyType fromWireValue(int value) {
    for (KeyType t : values()) {
      if (t.wireValue == value) {
        return t;
      }
    }
    return null;
  }

  /**
   * Parses a key type name as users write it: {@code ed25519}, {@code p256} (or {@code p-256},
   * {@code secp256r1}), {@code secp256k1}; case-insensitive.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static KeyType parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
    switch (n) {
      case "ed25519":
        return ED25519;
      case "p256":
      case "p-256":
      case "secp256r1":
      case "ecdsa_p256":
        return ECDSA_P256;
      case "secp256k1":
      case "k256":
      case "ecdsa_secp256k1":
        return ECDSA_SECP256K1;
      default:
        throw new IllegalArgumentException(
            "unknown key type '" + name + "': expected ed25519, p256 or secp256k1");
    }
  }
}
