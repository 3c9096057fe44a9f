package dev.popw.gpuproof;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * An independent, deliberately plain implementation of docs/gpu-proofs.md: the whole byte streams
 * through a ByteBuffer, matrices as long[][], the product as a triple loop in long arithmetic, and
 * the tree level by level with explicit padding. It shares no code with the classes it checks.
 */
final class NaiveProduct {
  private NaiveProduct() {}

  static long splitmix(long z) {
    z ^= z >>> 30;
    z *= 0xBF58476D1CE4E5B9L;
    z ^= z >>> 27;
    z *= 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static long key(String tag, byte[] seed, int m) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    ByteBuffer in = ByteBuffer.allocate(tag.length() + 1 + seed.length + 4);
    in.put(tag.getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put(seed).putInt(m);
    return ByteBuffer.wrap(d.digest(in.array())).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
  }

  /** The first {@code count} bytes of the stream. */
  static byte[] stream(long key, int count) {
    ByteBuffer out = ByteBuffer.allocate(count).order(ByteOrder.LITTLE_ENDIAN);
    for (long w = 0; out.position() < count; w++) {
      out.putLong(splitmix(key + (w + 1) * 0x9E3779B97F4A7C15L));
    }
    return out.array();
  }

  static long[][] a(byte[] seed, int n, int m) throws Exception {
    byte[] s = stream(key("popw.v1.gpu.A", seed, m), n * n);
    long[][] x = new long[n][n];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < n; c++) {
        x[r][c] = s[r * n + c];
      }
    }
    return x;
  }

  static long[][] b(byte[] seed, int n, int m) throws Exception {
    byte[] s = stream(key("popw.v1.gpu.B", seed, m), n * n);
    long[][] x = new long[n][n];
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < n; c++) {
        x[r][c] = s[c * n + r];
      }
    }
    return x;
  }

  static long[][] product(long[][] a, long[][] b) {
    int n = a.length;
    long[][] c = new long[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        long s = 0;
        for (int k = 0; k < n; k++) {
          s += a[i][k] * b[k][j];
        }
        c[i][j] = s;
      }
    }
    return c;
  }

  /** The bytes of tile (I, J) of c. */
  static byte[] tile(long[][] c, int t, int ti, int tj) {
    ByteBuffer out = ByteBuffer.allocate(4 * t * t).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < t; j++) {
        long v = c[ti * t + i][tj * t + j];
        if (v != (int) v) {
          throw new AssertionError("INT32 overflow");
        }
        out.putInt((int) v);
      }
    }
    return out.array();
  }

  /** Morton index by looping over bits. */
  static long morton(int row, int col) {
    long z = 0;
    for (int bit = 0; bit < 31; bit++) {
      z |= (long) ((col >> bit) & 1) << (2 * bit);
      z |= (long) ((row >> bit) & 1) << (2 * bit + 1);
    }
    return z;
  }

  static byte[] sha(byte[]... parts) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      d.update(p);
    }
    return d.digest();
  }

  /** Root over every product's tiles in leaf order, padded with zero leaves to a power of two. */
  static byte[] root(byte[] seed, int n, int t, int matrices) throws Exception {
    int side = n / t;
    int leaves = matrices * side * side;
    int width = 1;
    while (width < leaves) {
      width *= 2;
    }
    byte[][] level = new byte[width][];
    for (int i = 0; i < width; i++) {
      level[i] = new byte[32];
    }
    for (int m = 0; m < matrices; m++) {
      long[][] c = product(a(seed, n, m), b(seed, n, m));
      for (int ti = 0; ti < side; ti++) {
        for (int tj = 0; tj < side; tj++) {
          long leaf = (long) m * side * side + morton(ti, tj);
          level[(int) leaf] = sha(new byte[] {0}, ByteBuffer.allocate(8).putLong(leaf).array(), tile(c, t, ti, tj));
        }
      }
    }
    while (level.length > 1) {
      byte[][] up = new byte[level.length / 2][];
      for (int i = 0; i < up.length; i++) {
        up[i] = sha(new byte[] {1}, level[2 * i], level[2 * i + 1]);
      }
      level = up;
    }
    return level[0];
  }
}
