package dev.popw.gpuproof;

import dev.popw.proto.v1.MatmulChallenge;
import java.util.Locale;

/**
 * What one challenge asks for, checked: {@code matrices} products of two {@code n x n} INT8
 * matrices from {@code seed}, committed in tiles of {@code tile x tile} INT32 values, and a memory
 * probe of {@code probeBytes}. Leaves of the commitment: one per tile, ordered by product, then by
 * the Morton (Z-order) index of the tile in its product ({@link #leaf}), so that every aligned
 * square block of tiles is one subtree.
 *
 * @param seed 32 bytes
 */
public record ProofParameters(byte[] seed, int n, int tile, int matrices, long probeBytes) {
  /** Largest matrix dimension: INT32 accumulation of n products of at most 2^14 stays exact below 2^17. */
  public static final int MAX_N = 65_536;
  public static final int MAX_TILE = 256;
  /** Largest number of leaves (tiles) a commitment may have. */
  public static final long MAX_LEAVES = 1L << 40;
  public static final long MAX_PROBE_BYTES = 1L << 40;
  public static final int PROBE_BLOCK_BYTES = 64;

  public ProofParameters {
    if (seed == null || seed.length != 32) {
      throw new IllegalArgumentException("a challenge seed is 32 bytes");
    }
    seed = seed.clone();
    if (n < 8 || n > MAX_N || Integer.bitCount(n) != 1) {
      throw new IllegalArgumentException("matrix dimension n = " + n + " must be a power of two from 8 to " + MAX_N);
    }
    if (tile < 2 || tile > MAX_TILE || Integer.bitCount(tile) != 1 || tile > n) {
      throw new IllegalArgumentException("tile = " + tile + " must be a power of two from 2 to " + MAX_TILE + " and at most n");
    }
    if (matrices < 1 || matrices > 1_000_000) {
      throw new IllegalArgumentException("matrices = " + matrices + " must be from 1 to 1000000");
    }
    if ((double) matrices * ((double) n / tile) * ((double) n / tile) > MAX_LEAVES) {
      throw new IllegalArgumentException("the challenge has more than 2^40 tiles");
    }
    if (probeBytes < 0 || probeBytes > MAX_PROBE_BYTES || probeBytes % PROBE_BLOCK_BYTES != 0) {
      throw new IllegalArgumentException("probe_bytes = " + probeBytes + " must be a multiple of 64 from 0 to 2^40");
    }
  }

  /** The parameters of a challenge message. */
  public static ProofParameters of(MatmulChallenge c) {
    return new ProofParameters(c.getSeed().toByteArray(), c.getN(), c.getTile(), c.getMatrices(), c.getProbeBytes());
  }

  @Override
  public byte[] seed() {
    return seed.clone();
  }

  /** Tiles along one side of a product. */
  public int tilesPerSide() {
    return n / tile;
  }

  public long tilesPerMatrix() {
    return (long) tilesPerSide() * tilesPerSide();
  }

  /** Leaves of the commitment (tiles of all products). */
  public long leaves() {
    return tilesPerMatrix() * matrices;
  }

  /** Height of the commitment tree: ceil(log2(leaves)); its leaf level is padded to 2^height. */
  public int height() {
    long l = leaves();
    return l <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(l - 1);
  }

  /** Bytes of one opened tile. */
  public int tileBytes() {
    return 4 * tile * tile;
  }

  public long probeBlocks() {
    return probeBytes / PROBE_BLOCK_BYTES;
  }

  /** Integer operations of the work: 2 n^3 per product (a multiply and an add per term). */
  public double operations() {
    return 2.0 * matrices * n * (double) n * n;
  }

  /** The leaf index of tile (row block I, column block J) of product m. */
  public long leaf(int m, int tileRow, int tileColumn) {
    return m * tilesPerMatrix() + morton(tileRow, tileColumn);
  }

  /** {product, tile row, tile column} of a leaf. */
  public int[] tileOf(long leaf) {
    if (leaf < 0 || leaf >= leaves()) {
      throw new IllegalArgumentException("leaf " + leaf + " is not one of the " + leaves() + " tiles");
    }
    long p = leaf % tilesPerMatrix();
    return new int[] {(int) (leaf / tilesPerMatrix()), compact(p >>> 1), compact(p)};
  }

  /** Interleaves the bits: row bit k goes to bit 2k + 1, column bit k to bit 2k. */
  static long morton(int row, int column) {
    return (spread(row) << 1) | spread(column);
  }

  private static long spread(int v) {
    long x = v & 0xFFFFFFFFL;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FL;
    x = (x | (x << 2)) & 0x3333333333333333L;
    x = (x | (x << 1)) & 0x5555555555555555L;
    return x;
  }

  private static int compact(long x) {
    x &= 0x5555555555555555L;
    x = (x | (x >>> 1)) & 0x3333333333333333L;
    x = (x | (x >>> 2)) & 0x0F0F0F0F0F0F0F0FL;
    x = (x | (x >>> 4)) & 0x00FF00FF00FF00FFL;
    x = (x | (x >>> 8)) & 0x0000FFFF0000FFFFL;
    x = (x | (x >>> 16)) & 0x00000000FFFFFFFFL;
    return (int) x;
  }

  /** "1 x 2048^2, tile 8" style summary. */
  public String describe() {
    return String.format(Locale.ROOT, "%d product%s of %d x %d, %d x %d tiles", matrices, matrices == 1 ? "" : "s", n, n, tile, tile);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProofParameters p && java.util.Arrays.equals(seed, p.seed) && n == p.n && tile == p.tile
        && matrices == p.matrices && probeBytes == p.probeBytes;
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(seed) * 31 + n * 7 + tile;
  }

  @Override
  public String toString() {
    return describe() + ", probe " + probeBytes + " bytes";
  }
}
