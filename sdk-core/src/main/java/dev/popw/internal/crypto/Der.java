package dev.popw.internal.crypto;

import java.math.BigInteger;

/**
 * Strict DER for ECDSA signatures: {@code SEQUENCE { INTEGER r, INTEGER s }}, minimal lengths,
 * minimal non-negative integers, nothing after the sequence. Anything else is rejected, so that one
 * signature has exactly one encoding.
 */
public final class Der {
  private Der() {}

  /** Returns {r, s}, or {@code null} if the bytes are not strict DER. */
  public static BigInteger[] decodeEcdsaSignature(byte[] der) {
    if (der == null || der.length < 8 || der[0] != 0x30) {
      return null;
    }
    int[] pos = {1};
    int seqLen = readLength(der, pos);
    if (seqLen < 0 || pos[0] + seqLen != der.length) {
      return null;
    }
    BigInteger r = readInteger(der, pos);
    if (r == null) {
      return null;
    }
    BigInteger s = readInteger(der, pos);
    if (s == null || pos[0] != der.length) {
      return null;
    }
    return new BigInteger[] {r, s};
  }

  /** Encodes {r, s} as DER. */
  public static byte[] encodeEcdsaSignature(BigInteger r, BigInteger s) {
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    int bodyLen = 2 + rb.length + 2 + sb.length;
    byte[] out = new byte[2 + bodyLen];
    out[0] = 0x30;
    out[1] = (byte) bodyLen;
    out[2] = 0x02;
    out[3] = (byte) rb.length;
    System.arraycopy(rb, 0, out, 4, rb.length);
    out[4 + rb.length] = 0x02;
    out[5 + rb.length] = (byte) sb.length;
    System.arraycopy(sb, 0, out, 6 + rb.length, sb.length);
    return out;
  }

  // Lengths of an ECDSA signature over a 256-bit curve are always below 128, so only the short
  // form is valid DER here (DER forbids the long form for lengths below 128).
  private static int readLength(byte[] b, int[] pos) {
    if (pos[0] >= b.length) {
      return -1;
    }
    int len = b[pos[0]++] & 0xFF;
    return len < 0x80 ? len : -1;
  }

  private static BigInteger readInteger(byte[] b, int[] pos) {
    if (pos[0] >= b.length || b[pos[0]++] != 0x02) {
      return null;
    }
    int len = readLength(b, pos);
    if (len <= 0 || pos[0] + len > b.length) {
      return null;
    }
    int start = pos[0];
    if ((b[start] & 0x80) != 0) {
      return null; // negative
    }
    if (len > 1 && b[start] == 0 && (b[start + 1] & 0x80) == 0) {
      return null; // not minimal
    }
    pos[0] += len;
    byte[] mag = new byte[len];
    System.arraycopy(b, start, mag, 0, len);
    return new BigInteger(1, mag);
  }
}
