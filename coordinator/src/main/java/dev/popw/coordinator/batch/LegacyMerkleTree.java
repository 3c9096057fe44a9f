package dev.popw.coordinator.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The tree layout of coordinators before OpenZeppelin's layout ({@link MerkleTree}) was adopted, kept
 * only to answer proofs for batches already sealed (and perhaps committed on-chain) with it; nothing
 * is sealed with it any more. Same leaves and pair hash as {@link MerkleTree}, but built level by
 * level from the sorted leaves, with an odd node at the end of a level carried up unchanged. For
 * some leaf counts (1, 2, 3, 4, 6, 8, 12, 16, ...) the two layouts give the same tree; for others
 * (5, 7, 9, ...) the roots differ. Proofs verify with {@link MerkleTree#verify} and
 * {@code MerkleProof.verify} all the same. Immutable.
 */
final class LegacyMerkleTree {
  private final List<byte[][]> levels; // levels.get(0) = sorted leaves, last = {root}

  private LegacyMerkleTree(List<byte[][]> levels) {
    this.levels = levels;
  }

  /** The legacy tree over envelope hashes (32 bytes each). */
  static LegacyMerkleTree of(List<byte[]> envelopeHashes) {
    if (envelopeHashes.isEmpty()) {
      throw new IllegalArgumentException("a Merkle tree needs at least one leaf");
    }
    byte[][] leaves = new byte[envelopeHashes.size()][];
    for (int i = 0; i < leaves.length; i++) {
      leaves[i] = MerkleTree.leaf(envelopeHashes.get(i));
    }
    Arrays.sort(leaves, Arrays::compareUnsigned);
    List<byte[][]> levels = new ArrayList<>();
    levels.add(leaves);
    byte[][] level = leaves;
    while (level.length > 1) {
      byte[][] up = new byte[(level.length + 1) / 2][];
      for (int i = 0; i < up.length; i++) {
        up[i] = 2 * i + 1 < level.length ? MerkleTree.hashPair(level[2 * i], level[2 * i + 1]) : level[2 * i];
      }
      levels.add(up);
      level = up;
    }
    return new LegacyMerkleTree(levels);
  }

  byte[] root() {
    return levels.get(levels.size() - 1)[0].clone();
  }

  /**
   * The proof for an envelope hash: sibling hashes from the leaf up.
   *
   * @throws IllegalArgumentException if the envelope is not in this tree
   */
  List<byte[]> proof(byte[] envelopeHash) {
    byte[] leaf = MerkleTree.leaf(envelopeHash);
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
}
