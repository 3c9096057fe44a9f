package dev.popw.gpuproof;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The matrices of a challenge, derived from its seed (docs/gpu-proofs.md, "The work"). For product
 * {@code m}, A is read row by row and B column by column from two streams of 64-bit words:
 *
 * <pre>
 * key_A(m) = first 8 bytes, little-endian, of SHA-256("popw.v1.gpu.A" || 0x00 || seed || u32be m)
 * key_B(m) = the same with "popw.v1.gpu.B"
 * word(key, w) = mix(key + (w + 1) * 0x9E3779B97F4A7C15)          (mod 2^64)
 * mix(z): z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >>> 27)) * 0x94D049BB133111EB; z ^ (z >>> 31)
 * A[r][c] = byte (c mod 8) of word(key_A, (r * n + c) / 8), little-endian, as a signed INT8
 * B[r][c] = byte (r mod 8) of word(key_B, (c * n + r) / 8)                   (column-major stream)
 * </pre>
 *
 * {@code mix} is SplitMix64's finalizer (the one of {@link java.util.SplittableRandom}). A row of A
 * and a column of B can be generated on their own, which is what lets the verifier check a tile
 * without the rest of the matrices. The generator is fast rather than cryptographic: the device
 * knows the seed anyway (it must build the matrices); what matters is that the seed is not known
 * before the challenge and that the matrices have no structure that makes their product cheaper.
 */
public final class ChallengeMatrices {
  /** The golden-ratio increment of SplitMix64. */
  public static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private ChallengeMatrices() {}

  /** SplitMix64's output function. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The stream word {@code w} of {@code key}. */
  public static long word(long key, long w) {
    return mix(key + (w + 1) * GOLDEN);
  }

  public static long keyA(byte[] seed, int matrix) {
    return key("popw.v1.gpu.A", seed, matrix);
  }

  public static long keyB(byte[] seed, int matrix) {
    return key("popw.v1.gpu.B", seed, matrix);
  }

  /** The memory probe's key: "popw.v1.gpu.P", matrix number 0. */
  public static long keyProbe(byte[] seed) {
    return key("popw.v1.gpu.P", seed, 0);
  }

  static long key(String tag, byte[] seed, int index) {
    MessageDigest d = sha256();
    d.update(tag.getBytes(StandardCharsets.US_ASCII));
    d.update((byte) 0);
    d.update(seed);
    d.update(new byte[] {(byte) (index >>> 24), (byte) (index >>> 16), (byte) (index >>> 8), (byte) index});
    byte[] h = d.digest();
    long k = 0;
    for (int i = 7; i >= 0; i--) {
      k = (k << 8) | (h[i] & 0xFF);
    }
    return k;
  }

  /** Row {@code r} of A (n values) into {@code out[off .. off + n)}. */
  public static void rowOfA(long keyA, int n, int r, int[] out, int off) {
    stream(keyA, (long) r * n / 8, n, out, off);
  }

  /** Column {@code c} of B (n values, top to bottom) into {@code out[off .. off + n)}. */
  public static void columnOfB(long keyB, int n, int c, int[] out, int off) {
    stream(keyB, (long) c * n / 8, n, out, off);
  }

  /** {@code count} (a multiple of 8) signed bytes of the stream from word {@code firstWord}. */
  static void stream(long key, long firstWord, int count, int[] out, int off) {
    long w = firstWord;
    for (int i = 0; i < count; i += 8, w++) {
      long v = word(key, w);
      out[off + i] = (byte) v;
      out[off + i + 1] = (byte) (v >>> 8);
      out[off + i + 2] = (byte) (v >>> 16);
      out[off + i + 3] = (byte) (v >>> 24);
      out[off + i + 4] = (byte) (v >>> 32);
      out[off + i + 5] = (byte) (v >>> 40);
      out[off + i + 6] = (byte) (v >>> 48);
      out[off + i + 7] = (byte) (v >>> 56);
    }
  }

  /** One element of A (for tests and documentation). */
  public static int a(long keyA, int n, int r, int c) {
    long idx = (long) r * n + c;
    return (byte) (word(keyA, idx >>> 3) >>> (8 * (idx & 7)));
  }

  /** One element of B. */
  public static int b(long keyB, int n, int r, int c) {
    long idx = (long) c * n + r;
    return (byte) (word(keyB, idx >>> 3) >>> (8 * (idx & 7)));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
