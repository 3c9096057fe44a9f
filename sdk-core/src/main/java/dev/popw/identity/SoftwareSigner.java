package dev.popw.identity;

import dev.popw.internal.crypto.EcdsaScheme;
import dev.popw.internal.crypto.Ed25519Scheme;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A signer holding its private key in memory, loaded from a key file ({@link KeyFiles}).
 *
 * <p>Thread-safe. {@link #close()} wipes the key.
 */
public final class SoftwareSigner implements DeviceSigner {
  private final KeyType keyType;
  private final byte[] privateKey;
  private final byte[] publicKey;
  private final DeviceId deviceId;
  private volatile boolean closed;

  private SoftwareSigner(KeyType keyType, byte[] privateKey) {
    this.keyType = keyType;
    this.privateKey = privateKey;
    this.publicKey =
        keyType == KeyType.ED25519
            ? Ed25519Scheme.publicKey(privateKey)
            : ecdsa(keyType).publicKey(privateKey);
    this.deviceId = DeviceId.of(keyType, publicKey);
  }

  /** Generates a new key. */
  public static SoftwareSigner generate(KeyType keyType, SecureRandom random) {
    byte[] sk =
        keyType == KeyType.ED25519
            ? Ed25519Scheme.generatePrivateKey(random)
            : ecdsa(keyType).generatePrivateKey(random);
    return new SoftwareSigner(keyType, sk);
  }

  /**
   * Wraps a raw private key: the 32-byte Ed25519 seed, or the 32-byte big-endian ECDSA scalar. The
   * array is copied.
   *
   * @throws IllegalArgumentException if the key is not valid for its type
   */
  public static SoftwareSigner fromPrivateKey(KeyType keyType, byte[] privateKey) {
    if (privateKey.length != 32) {
      throw new IllegalArgumentException(keyType + " private key must be 32 bytes, got " + privateKey.length);
    }
    if (keyType != KeyType.ED25519 && !ecdsa(keyType).isValidPrivateKey(privateKey)) {
      throw new IllegalArgumentException(keyType + " private key is out of range");
    }
    return new SoftwareSigner(keyType, privateKey.clone());
  }

  @Override
  public KeyType keyType() {
    return keyType;
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  @Override
  public DeviceId deviceId() {
    return deviceId;
  }

  @Override
  public byte[] sign(byte[] message) {
    if (closed) {
      throw new SignerException("signer for " + deviceId + " is closed");
    }
    return keyType == KeyType.ED25519
        ? Ed25519Scheme.sign(privateKey, publicKey, message)
        : ecdsa(keyType).sign(privateKey, message);
  }

  /**
   * The ECDSA scheme of an ECDSA key type. The scheme knows its curve, not the key type: the
   * mapping is here, where keys are made.
   */
  static EcdsaScheme ecdsa(KeyType keyType) {
    switch (keyType) {
      case ECDSA_P256:
        return EcdsaScheme.P256;
      case ECDSA_SECP256K1:
        return EcdsaScheme.SECP256K1;
      default:
        throw new IllegalArgumentException("not an ECDSA key type: " + keyType);
    }
  }

  /** For {@link KeyFiles} only: the raw private key. */
  byte[] privateKeyForExport() {
    return privateKey;
  }

  @Override
  public void close() {
    closed = true;
    Arrays.fill(privateKey, (byte) 0);
  }

  @Override
  public String toString() {
    return "SoftwareSigner[" + keyType.label() + ", " + deviceId + "]";
  }
}
