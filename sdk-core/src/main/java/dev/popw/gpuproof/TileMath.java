package dev.popw.gpuproof;

/**
 * Exact arithmetic on tiles: the rows of A and columns of B a tile needs, its product, and its
 * bytes. Used by the verifier to check an opened tile and by provers to open one.
 */
public final class TileMath {
  private TileMath() {}

  /** The {@code tile} rows of A (row-major, tile x n) and columns of B (column-major, tile x n) of a leaf. */
  public record Operands(int product, int tileRow, int tileColumn, int[] rowsOfA, int[] columnsOfB) {}

  public static Operands operands(ProofParameters p, long leaf) {
    int[] t = p.tileOf(leaf);
    int n = p.n();
    int s = p.tile();
    byte[] seed = p.seed();
    long ka = ChallengeMatrices.keyA(seed, t[0]);
    long kb = ChallengeMatrices.keyB(seed, t[0]);
    int[] a = new int[s * n];
    int[] b = new int[s * n];
    for (int i = 0; i < s; i++) {
      ChallengeMatrices.rowOfA(ka, n, t[1] * s + i, a, i * n);
      ChallengeMatrices.columnOfB(kb, n, t[2] * s + i, b, i * n);
    }
    return new Operands(t[0], t[1], t[2], a, b);
  }

  /** The tile's exact INT32 values, row-major (tile x tile). */
  public static int[] product(ProofParameters p, Operands o) {
    int n = p.n();
    int s = p.tile();
    int[] c = new int[s * s];
    for (int i = 0; i < s; i++) {
      for (int j = 0; j < s; j++) {
        c[i * s + j] = dot(o.rowsOfA(), i * n, o.columnsOfB(), j * n, n);
      }
    }
    return c;
  }

  static int dot(int[] a, int ao, int[] b, int bo, int n) {
    int sum = 0;
    for (int k = 0; k < n; k++) {
      sum += a[ao + k] * b[bo + k];
    }
    return sum;
  }

  /** INT32 values as tile bytes: little-endian, in order. */
  public static byte[] bytes(int[] values) {
    byte[] out = new byte[values.length * 4];
    toBytes(values, 0, values.length, out, 0);
    return out;
  }

  static void toBytes(int[] values, int from, int count, byte[] out, int off) {
    for (int i = 0; i < count; i++) {
      int v = values[from + i];
      int o = off + 4 * i;
      out[o] = (byte) v;
      out[o + 1] = (byte) (v >>> 8);
      out[o + 2] = (byte) (v >>> 16);
      out[o + 3] = (byte) (v >>> 24);
    }
  }

  /** Tile bytes as INT32 values. */
  public static int[] values(byte[] data) {
    int[] v = new int[data.length / 4];
    for (int i = 0; i < v.length; i++) {
      int o = 4 * i;
      v[i] = (data[o] & 0xFF) | (data[o + 1] & 0xFF) << 8 | (data[o + 2] & 0xFF) << 16 | (data[o + 3] & 0xFF) << 24;
    }
    return v;
  }
}
