package dev.popw.coordinator.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.crypto.digests.KeccakDigest;

/**
 * A Merkle tree over envelope hashes that an EVM contract verifies with OpenZeppelin's
 * {@code MerkleProof.verify(proof, root, leaf)}:
 *
 * <ul>
 *   <li>leaf = {@code keccak256(bytes.concat(keccak256(abi.encode(envelopeHash))))}, the double-hashed
 *       leaf of OpenZeppelin's {@code StandardMerkleTree} for one {@code bytes32} value (the second
 *       hash keeps a leaf from ever being read as an inner node);
 *   <li>inner node = {@code keccak256} of the two children in ascending byte order (commutative),
 *       so a proof is just the list of siblings, with no left/right flags.
 * </ul>
 *
 * Leaves are sorted before the tree is built, so the root depends only on the set of envelopes. An
 * odd node at the end of a level is carried up unchanged. Immutable.
 */
public final class MerkleTree {
  private final List<byte[][]> levels; // levels.get(0) = sorted leaves, last = {root}

  private MerkleTree(List<byte[][]> levels) {
    this.levels = levels;
  }

  /**
   * Builds the tree over envelope hashes (32 bytes each).
   *
   * @throws IllegalArgumentException for an empty list or a value that is not 32 bytes
   */
  public static MerkleTree of(List<byte[]> envelopeHashes) {
    if (envelopeHashes.isEmpty()) {
      throw new IllegalArgumentException("a Merkle tree needs at least one leaf");
    }
    byte[][] leaves = new byte[envelopeHashes.size()][];
    for (int i = 0; i < leaves.length; i++) {
      leaves[i] = leaf(envelopeHashes.get(i));
    }
    Arrays.sort(leaves, Arrays::compareUnsigned);
    List<byte[][]> levels = new ArrayList<>();
    levels.add(leaves);
    byte[][] level = leaves;
    while (level.length > 1) {
      byte[][] up = new byte[(level.length + 1) / 2][];
      for (int i = 0; i < up.length; i++) {
        up[i] = 2 * i + 1 < level.length ? hashPair(level[2 * i], level[2 * i + 1]) : level[2 * i];
      }
      levels.add(up);
      level = up;
    }
    return new MerkleTree(levels);
  }

  /** The leaf of an envelope hash: keccak256(keccak256(envelopeHash)). */
  public static byte[] leaf(byte[] envelopeHash) {
    if (envelopeHash.length != 32) {
      throw new IllegalArgumentException("envelope hash must be 32 bytes, got " + envelopeHash.length);
    }
    return keccak(keccak(envelopeHash));
  }

  public byte[] root() {
    return levels.get(levels.size() - 1)[0].clone();
  }

  public int size() {
    return levels.get(0).length;
  }

  /**
   * The proof for an envelope hash: sibling hashes from the leaf up.
   *
   * @throws IllegalArgumentException if the envelope is not in this tree
   */
  public List<byte[]> proof(byte[] envelopeHash) {
    byte[] leaf = leaf(envelopeHash);
    int index = Arrays.binarySearch(levels.get(0), leaf, Arrays::compareUnsigned);
    if (index < 0) {
      throw new IllegalArgumentException("envelope is not in this batch");
    }
    List<byte[]> proof = new ArrayList<>();
    for (int l = 0; l < levels.size() - 1; l++) {
      byte[][] level = levels.get(l);
      int sibling = index ^ 1;
      if (sibling < level.length) {
        proof.add(level[sibling].clone());
      }
      index /= 2;
    }
    return Collections.unmodifiableList(proof);
  }

  /** What {@code MerkleProof.verify} computes: fold the proof into the leaf, compare with the root. */
  public static boolean verify(List<byte[]> proof, byte[] root, byte[] envelopeHash) {
    byte[] computed = leaf(envelopeHash);
    for (byte[] p : proof) {
      computed = hashPair(computed, p);
    }
    return Arrays.equals(computed, root);
  }

  static byte[] hashPair(byte[] a, byte[] b) {
    KeccakDigest d = new KeccakDigest(256);
    if (Arrays.compareUnsigned(a, b) <= 0) {
      d.update(a, 0, 32);
      d.update(b, 0, 32);
    } else {
      d.update(b, 0, 32);
      d.update(a, 0, 32);
    }
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }

  static byte[] keccak(byte[] in) {
    KeccakDigest d = new KeccakDigest(256);
    d.update(in, 0, in.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return out;
  }
}
