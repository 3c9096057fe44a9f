package dev.popw.internal.crypto;

/** A decoded, validated public key, ready to verify. Implementations are immutable and thread-safe. */
public interface VerifyingKey {
  /**
   * Checks a 64-byte signature over {@code message[off, off+len)} under the envelope's rules
   * (canonical form required).
   */
  SignatureCheck verify(byte[] message, int off, int len, byte[] signature);
}
