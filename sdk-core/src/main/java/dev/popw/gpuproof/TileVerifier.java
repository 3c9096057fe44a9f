package dev.popw.gpuproof;

import java.util.Locale;

/**
 * Checks that an opened tile holds exactly its part of A x B. Two ways, each O(n) per tile row
 * instead of the prover's O(n^2) per row:
 *
 * <ul>
 *   <li><b>recompute</b>: tile^2 dot products of length n (tile^2 n multiply-adds);
 *   <li><b>Freivalds</b>: for a random vector r, A_rows (B_cols r) = C_tile r, in arithmetic modulo
 *       2^64 (Java's long), {@value #ROUNDS} rounds: 2 tile n + tile^2 multiply-adds per round. A wrong
 *       tile passes one round with probability at most 2^-32 (its entries differ from the true ones
 *       by less than 2^32, so a row of differences has an entry with fewer than 32 factors of two),
 *       so both rounds with at most 2^-64.
 * </ul>
 *
 * {@link Method#AUTO} takes the one measured cheaper for the tile size ({@link Method#cheaper}). On a
 * mismatch the tile is recomputed to name the first wrong element.
 */
public final class TileVerifier {
  public static final int ROUNDS = 2;

  public enum Method {
    RECOMPUTE, FREIVALDS, AUTO;

    /**
     * The method AUTO picks for tiles of this size. By operation count Freivalds' test is cheaper
     * from tile 5 up (tile^2 n against about 4 tile n multiply-adds), but the recomputation is INT32
     * dot products, which the JIT vectorizes, while the test runs in 64-bit arithmetic: measured
     * (bench/run gpu-proof, docs/benchmarks.md) recomputation is faster at 8 x 8 tiles, Freivalds'
     * test from 16 x 16 up.
     */
    public static Method cheaper(int tile) {
      return tile >= 16 ? FREIVALDS : RECOMPUTE;
    }
  }

  private TileVerifier() {}

  /**
   * Null when {@code data} is the tile of {@code leaf}; otherwise one line naming the first wrong
   * element (row and column in the product) with its value and the expected one.
   *
   * @param openSeed keys the Freivalds vectors ({@link OpenSelection#freivalds})
   */
  public static String check(ProofParameters p, long leaf, byte[] data, Method method, byte[] openSeed) {
    if (data.length != p.tileBytes()) {
      return String.format(Locale.ROOT, "tile %d has %d bytes, expected %d", leaf, data.length, p.tileBytes());
    }
    TileMath.Operands o = TileMath.operands(p, leaf);
    int[] c = TileMath.values(data);
    Method m = method == Method.AUTO ? Method.cheaper(p.tile()) : method;
    if (m == Method.FREIVALDS && freivaldsHolds(p, o, c, leaf, openSeed)) {
      return null;
    }
    int[] expected = TileMath.product(p, o);
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != c[i]) {
        int row = o.tileRow() * p.tile() + i / p.tile();
        int col = o.tileColumn() * p.tile() + i % p.tile();
        return String.format(Locale.ROOT, "tile %d (product %d, rows %d-%d, columns %d-%d) is not A x B: element (%d, %d) is %d,"
            + " expected %d", leaf, o.product(), o.tileRow() * p.tile(), o.tileRow() * p.tile() + p.tile() - 1,
            o.tileColumn() * p.tile(), o.tileColumn() * p.tile() + p.tile() - 1, row, col, c[i], expected[i]);
      }
    }
    return null; // Freivalds failed but the tile is right: impossible unless the arithmetic is broken
  }

  static boolean freivaldsHolds(ProofParameters p, TileMath.Operands o, int[] c, long leaf, byte[] openSeed) {
    int n = p.n();
    int s = p.tile();
    int[] a = o.rowsOfA();
    int[] b = o.columnsOfB();
    long[] u = new long[n];
    for (int round = 0; round < ROUNDS; round++) {
      long[] r = OpenSelection.freivalds(openSeed, leaf, round, s);
      java.util.Arrays.fill(u, 0);
      for (int j = 0; j < s; j++) { // u = B_cols r (n values)
        long rj = r[j];
        int off = j * n;
        for (int k = 0; k < n; k++) {
          u[k] += b[off + k] * rj;
        }
      }
      for (int i = 0; i < s; i++) {
        long v = 0; // (A_rows u)_i
        int off = i * n;
        for (int k = 0; k < n; k++) {
          v += a[off + k] * u[k];
        }
        long w = 0; // (C r)_i
        for (int j = 0; j < s; j++) {
          w += c[i * s + j] * r[j];
        }
        if (v != w) {
          return false;
        }
      }
    }
    return true;
  }
}
