package dev.popw.gpuproof;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The commitment over result tiles: a binary Merkle tree with the leaf index bound into each leaf,
 * so a proof shows both content and position (docs/gpu-proofs.md, "Commitment"):
 *
 * <pre>
 * leaf(i)   = SHA-256(0x00 || u64be i || tile bytes)     tile bytes: INT32 little-endian, row-major
 * node(l,r) = SHA-256(0x01 || l || r)
 * </pre>
 *
 * The leaf level is padded to 2^height with 32 zero bytes; a proof lists the sibling of each node
 * on the path from the leaf level up ({@code height} hashes), the index's bits saying left or right.
 * Not OpenZeppelin's sorted-pair tree of the evidence batches: that one proves membership only,
 * and a tile must be proven at its place.
 *
 * <p>An instance holds every level in memory (the CPU prover's sizes); large provers keep only
 * the upper levels and rebuild a block's subtree when one of its tiles is opened.
 */
public final class TileTree {
  /** The padding leaf. */
  public static final byte[] EMPTY = new byte[32];

  private final byte[][] levels; // levels[0] = leaves, 32 bytes each, flat; no padding stored
  private final long[] counts;

  private TileTree(byte[][] levels, long[] counts) {
    this.levels = levels;
    this.counts = counts;
  }

  /** Hash of one leaf: {@code tile} is the tile's bytes. */
  public static byte[] leafHash(MessageDigest d, long index, byte[] tile, int off, int len) {
    d.reset();
    d.update((byte) 0);
    d.update(u64(index));
    d.update(tile, off, len);
    return d.digest();
  }

  public static byte[] node(MessageDigest d, byte[] left, byte[] right) {
    d.reset();
    d.update((byte) 1);
    d.update(left);
    d.update(right);
    return d.digest();
  }

  /** The root of an all-padding subtree of this height (the padding of odd levels). */
  public static byte[] emptyRoot(MessageDigest d, int height) {
    byte[] z = EMPTY;
    for (int h = 0; h < height; h++) {
      z = node(d, z, z);
    }
    return z;
  }

  /**
   * Builds the tree over {@code count} leaf hashes, laid out flat (32 bytes each) in
   * {@code leaves}, which the tree keeps.
   *
   * @param height the tree height; 2^height must be at least count
   */
  public static TileTree build(byte[] leaves, long count, int height) {
    if (count < 1 || leaves.length < count * 32 || (height < 63 && (1L << height) < count)) {
      throw new IllegalArgumentException("a tree of height " + height + " cannot hold " + count + " leaves");
    }
    MessageDigest d = ChallengeMatrices.sha256();
    byte[][] levels = new byte[height + 1][];
    long[] counts = new long[height + 1];
    levels[0] = leaves;
    counts[0] = count;
    byte[] empty = EMPTY;
    byte[] l = new byte[32];
    byte[] r = new byte[32];
    for (int h = 1; h <= height; h++) {
      long below = counts[h - 1];
      long here = (below + 1) / 2;
      byte[] lv = new byte[Math.toIntExact(here * 32)];
      byte[] prev = levels[h - 1];
      for (long i = 0; i < here; i++) {
        System.arraycopy(prev, (int) (2 * i * 32), l, 0, 32);
        if (2 * i + 1 < below) {
          System.arraycopy(prev, (int) ((2 * i + 1) * 32), r, 0, 32);
        } else {
          System.arraycopy(empty, 0, r, 0, 32);
        }
        System.arraycopy(node(d, l, r), 0, lv, (int) (i * 32), 32);
      }
      levels[h] = lv;
      counts[h] = here;
      empty = node(d, empty, empty);
    }
    return new TileTree(levels, counts);
  }

  public int height() {
    return levels.length - 1;
  }

  public byte[] root() {
    return Arrays.copyOfRange(levels[height()], 0, 32);
  }

  public byte[] leaf(long index) {
    return Arrays.copyOfRange(levels[0], (int) (index * 32), (int) (index * 32) + 32);
  }

  /** The siblings of the path from leaf {@code index} to the root, leaf level first. */
  public List<byte[]> proof(long index) {
    if (index < 0 || index >= counts[0]) {
      throw new IllegalArgumentException("no leaf " + index);
    }
    MessageDigest d = ChallengeMatrices.sha256();
    List<byte[]> out = new ArrayList<>(height());
    byte[] empty = EMPTY;
    long i = index;
    for (int h = 0; h < height(); h++) {
      long sib = i ^ 1;
      out.add(sib < counts[h] ? Arrays.copyOfRange(levels[h], (int) (sib * 32), (int) (sib * 32) + 32) : empty.clone());
      empty = node(d, empty, empty);
      i >>>= 1;
    }
    return out;
  }

  /** The root a proof leads to from {@code leafHash} at {@code index}, or null if the proof has another length. */
  public static byte[] rootOf(long index, byte[] leafHash, List<byte[]> proof, int height) {
    if (proof.size() != height || leafHash.length != 32) {
      return null;
    }
    MessageDigest d = ChallengeMatrices.sha256();
    byte[] node = leafHash;
    long i = index;
    for (byte[] sib : proof) {
      if (sib.length != 32) {
        return null;
      }
      node = (i & 1) == 0 ? node(d, node, sib) : node(d, sib, node);
      i >>>= 1;
    }
    return i == 0 ? node : null;
  }

  /** True when the proof leads from the leaf hash at {@code index} to {@code root}. */
  public static boolean verify(long index, byte[] leafHash, List<byte[]> proof, byte[] root, int height) {
    byte[] r = rootOf(index, leafHash, proof, height);
    return r != null && MessageDigest.isEqual(r, root);
  }

  static byte[] u64(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (56 - 8 * i));
    }
    return b;
  }
}
