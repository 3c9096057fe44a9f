package dev.popw.identity;

/**
 * Signs with a device key that never leaves it: a key file, a PKCS#11 token or a secure element.
 *
 * <p>Implementations are thread-safe. Open one with {@link DeviceSigners#open(String)}.
 */
public interface DeviceSigner extends AutoCloseable {
  KeyType keyType();

  /** The canonical public key encoding (32 bytes for Ed25519, 33-byte compressed point for ECDSA). */
  byte[] publicKey();

  /** This key's device id. */
  DeviceId deviceId();

  /**
   * Signs {@code message} with the scheme of {@link #keyType()}: pure Ed25519, or ECDSA over
   * SHA-256(message), low-S, r||s. Always 64 bytes. Software keys sign deterministically (RFC 6979);
   * hardware keys (PKCS#11, TPM, ECC608) use the token's random nonce, and verifiers do not require
   * determinism.
   *
   * @throws SignerException if the key store fails (for example a disconnected secure element)
   */
  byte[] sign(byte[] message);

  /** Where the key is held (reported by {@code popw-agent info} and in the registration). */
  default KeyStorage storage() {
    return KeyStorage.SOFTWARE;
  }

  /** Releases the key; the signer cannot sign afterwards. */
  @Override
  void close();
}
