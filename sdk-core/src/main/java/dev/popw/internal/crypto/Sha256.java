package dev.popw.internal.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.crypto.digests.KeccakDigest;

/**
 * One-shot digests. SHA-256 is the JDK's (every Java platform has it), whose compression function
 * the JVM compiles to the CPU's SHA instructions where it has them: about seven times Bouncy
 * Castle's rate for an envelope's telemetry on the project's x86 machine (docs/benchmarks.md).
 */
public final class Sha256 {
  private static final MessageDigest PROTOTYPE = prototype();
  /** One digest per thread: {@code getInstance} per call costs a provider lookup. */
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Sha256::copy);

  private Sha256() {}

  private static MessageDigest prototype() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e); // every Java SE platform must have it
    }
  }

  private static MessageDigest copy() {
    try {
      return (MessageDigest) PROTOTYPE.clone();
    } catch (CloneNotSupportedException e) {
      return prototype();
    }
  }

  public static byte[] hash(byte[] data) {
    return hash(data, 0, data.length);
  }

  public static byte[] hash(byte[] data, int off, int len) {
    MessageDigest d = DIGEST.get();
    d.update(data, off, len);
    return d.digest(); // digest() also resets it for the next call
  }

  /** Keccak-256 as the EVM uses it (not SHA3-256). */
  public static byte[] keccak256(byte[] data) {
    KeccakDigest d = new KeccakDigest(256);
    d.update(data, 0, data.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }
}
