package dev.popw.coordinator.batch;

import dev.popw.identity.EvmAddress;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.crypto.digests.KeccakDigest;

/**
 * A Merkle tree with the same root and proofs as OpenZeppelin's JavaScript library
 * ({@code @openzeppelin/merkle-tree}), checked on-chain with OpenZeppelin's
 * {@code MerkleProof.verify(proof, root, leaf)}. {@link #of} is {@code StandardMerkleTree.of(values,
 * ["bytes32"])} over envelope hashes; {@link #ofLeaves} is the same tree over leaves computed by the
 * caller ({@code SimpleMerkleTree.of(leaves)}), for example {@link #leaf(EvmAddress, BigInteger)}
 * leaves, which make {@code StandardMerkleTree.of(values, ["address", "uint256"])}.
 *
 * <ul>
 *   <li>leaf of an envelope hash = {@code keccak256(bytes.concat(keccak256(abi.encode(envelopeHash))))},
 *       the standard double-hashed leaf (the second hash keeps a leaf from ever being read as an inner
 *       node);
 *   <li>inner node = {@code keccak256} of its two children in ascending byte order (commutative),
 *       so a proof is just the list of siblings, with no left/right flags;
 *   <li>layout: the leaves, sorted ascending, fill the end of an array of {@code 2n - 1} nodes in
 *       reverse order (leaf {@code i} at {@code 2n - 2 - i}); node {@code k} is the parent of
 *       {@code 2k + 1} and {@code 2k + 2}; node 0 is the root. A proof is the siblings from the
 *       leaf's node up to the root.
 * </ul>
 *
 * Because leaves are sorted, the root depends only on the set of leaves. A leaf that occurs more
 * than once is in the tree more than once, as in OpenZeppelin's library, and {@link #proofOfLeaf}
 * answers with the proof the library gives for it. Immutable and thread-safe.
 */
public final class MerkleTree {
  /** The largest value of a uint256. */
  private static final BigInteger UINT256_MAX = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  private final byte[][] nodes; // OpenZeppelin's array: nodes[0] = root, sorted leaf i at nodes[length - 1 - i]
  private final byte[][] sortedLeaves;

  private MerkleTree(byte[][] nodes, byte[][] sortedLeaves) {
    this.nodes = nodes;
    this.sortedLeaves = sortedLeaves;
  }

  /**
   * The tree over envelope hashes (32 bytes each): OpenZeppelin's {@code StandardMerkleTree.of(values,
   * ["bytes32"])}. The order of the list does not matter.
   *
   * @throws IllegalArgumentException for an empty list or a value that is not 32 bytes
   */
  public static MerkleTree of(List<byte[]> envelopeHashes) {
    List<byte[]> leaves = new ArrayList<>(envelopeHashes.size());
    for (byte[] h : envelopeHashes) {
      leaves.add(leaf(h));
    }
    return ofLeaves(leaves);
  }

  /**
   * The tree over leaves the caller has already hashed (32 bytes each): OpenZeppelin's
   * {@code SimpleMerkleTree.of(leaves)}. With {@link #leaf(EvmAddress, BigInteger)} leaves, the root
   * and proofs are those of {@code StandardMerkleTree.of(values, ["address", "uint256"])}. The leaves
   * are used as given, so they should be double-hashed as the standard leaves are: a leaf that is
   * the hash of 64 bytes could be passed off as an inner node. The order of the list does not matter.
   *
   * @throws IllegalArgumentException for an empty list or a leaf that is not 32 bytes
   */
  public static MerkleTree ofLeaves(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      throw new IllegalArgumentException("a Merkle tree needs at least one leaf");
    }
    byte[][] sorted = new byte[leaves.size()][];
    for (int i = 0; i < sorted.length; i++) {
      sorted[i] = check32(leaves.get(i), "leaf").clone();
    }
    Arrays.sort(sorted, Arrays::compareUnsigned);
    byte[][] nodes = new byte[2 * sorted.length - 1][];
    for (int i = 0; i < sorted.length; i++) {
      nodes[nodes.length - 1 - i] = sorted[i];
    }
    for (int k = nodes.length - 1 - sorted.length; k >= 0; k--) {
      nodes[k] = hashPair(nodes[2 * k + 1], nodes[2 * k + 2]);
    }
    return new MerkleTree(nodes, sorted);
  }

  /**
   * The leaf of an envelope hash: {@code keccak256(bytes.concat(keccak256(abi.encode(bytes32))))},
   * which for one {@code bytes32} is keccak256(keccak256(envelopeHash)).
   *
   * @throws IllegalArgumentException if the hash is not 32 bytes
   */
  public static byte[] leaf(byte[] envelopeHash) {
    return keccak(keccak(check32(envelopeHash, "envelope hash")));
  }

  /**
   * The standard leaf of an (address, uint256) pair, such as an owner and the cumulative amount a
   * rewards tree pays it: {@code keccak256(bytes.concat(keccak256(abi.encode(owner, amount))))}, the
   * leaf of OpenZeppelin's {@code StandardMerkleTree} with encoding {@code ["address", "uint256"]}.
   *
   * @throws IllegalArgumentException if {@code amount} is negative or does not fit in 256 bits
   */
  public static byte[] leaf(EvmAddress owner, BigInteger amount) {
    if (amount.signum() < 0 || amount.compareTo(UINT256_MAX) > 0) {
      throw new IllegalArgumentException("amount is not a uint256: " + amount);
    }
    byte[] encoded = new byte[64]; // abi.encode: each value in a 32-byte word, big-endian, left-padded
    byte[] address = owner.bytes();
    System.arraycopy(address, 0, encoded, 32 - address.length, address.length);
    byte[] value = amount.toByteArray(); // may carry a leading sign byte of 0
    int len = Math.min(value.length, 32);
    System.arraycopy(value, value.length - len, encoded, 64 - len, len);
    return keccak(keccak(encoded));
  }

  public byte[] root() {
    return nodes[0].clone();
  }

  /** The number of leaves. */
  public int size() {
    return sortedLeaves.length;
  }

  /**
   * The proof for an envelope hash (a tree built with {@link #of}): sibling hashes from the leaf up.
   *
   * @throws IllegalArgumentException if the envelope is not in this tree
   */
  public List<byte[]> proof(byte[] envelopeHash) {
    return proofOfLeaf(leaf(envelopeHash));
  }

  /**
   * The proof for a leaf (a tree built with {@link #ofLeaves}): sibling hashes from the leaf up.
   * Empty for a tree of one leaf, whose root is the leaf.
   *
   * @throws IllegalArgumentException if the leaf is not in this tree
   */
  public List<byte[]> proofOfLeaf(byte[] leaf) {
    int sortedIndex = lastIndexOf(check32(leaf, "leaf"));
    if (sortedIndex < 0) {
      throw new IllegalArgumentException("the leaf is not in this tree");
    }
    List<byte[]> proof = new ArrayList<>();
    for (int k = nodes.length - 1 - sortedIndex; k > 0; k = (k - 1) / 2) {
      proof.add(nodes[k % 2 == 1 ? k + 1 : k - 1].clone());
    }
    return Collections.unmodifiableList(proof);
  }

  /**
   * The last position of {@code leaf} among the sorted leaves, or -1. For a leaf that occurs more
   * than once, the last of its copies has the lowest node index, whose proof is the one
   * OpenZeppelin's {@code getProof(value)} returns (its lookup keeps the last of equal leaves of a
   * stable sort).
   */
  private int lastIndexOf(byte[] leaf) {
    int lo = 0;
    int hi = sortedLeaves.length; // first index whose leaf is greater than the one sought
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Arrays.compareUnsigned(sortedLeaves[mid], leaf) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo > 0 && Arrays.equals(sortedLeaves[lo - 1], leaf) ? lo - 1 : -1;
  }

  /**
   * A proof of several leaves at once, for OpenZeppelin's {@code MerkleProof.multiProofVerify(proof,
   * proofFlags, root, leaves)}: {@code leaves} in the order the contract must receive them, which
   * is OpenZeppelin's {@code getMultiProof} order (descending node index).
   */
  public record MultiProof(List<byte[]> leaves, List<byte[]> proof, List<Boolean> proofFlags) {}

  /**
   * The multiproof of these leaves (each in the tree, none twice), as OpenZeppelin's
   * {@code getMultiProof} builds it: shared inner nodes are computed, not sent, so a proof for
   * many leaves is shorter than their single proofs together.
   *
   * @throws IllegalArgumentException if a leaf is not in this tree or occurs twice in the list
   */
  public MultiProof multiProof(List<byte[]> leaves) {
    List<Integer> indices = new ArrayList<>();
    for (byte[] leaf : leaves) {
      int sortedIndex = lastIndexOf(check32(leaf, "leaf"));
      if (sortedIndex < 0) {
        throw new IllegalArgumentException("a leaf is not in this tree");
      }
      indices.add(nodes.length - 1 - sortedIndex);
    }
    indices.sort(Collections.reverseOrder());
    for (int i = 1; i < indices.size(); i++) {
      if (indices.get(i).equals(indices.get(i - 1))) {
        throw new IllegalArgumentException("a leaf occurs twice in a multiproof request");
      }
    }
    java.util.ArrayDeque<Integer> stack = new java.util.ArrayDeque<>(indices);
    List<byte[]> proof = new ArrayList<>();
    List<Boolean> flags = new ArrayList<>();
    while (!stack.isEmpty() && stack.peekFirst() > 0) {
      int j = stack.pollFirst();
      int sibling = j % 2 == 1 ? j + 1 : j - 1;
      if (!stack.isEmpty() && stack.peekFirst() == sibling) {
        flags.add(true);
        stack.pollFirst();
      } else {
        flags.add(false);
        proof.add(nodes[sibling].clone());
      }
      stack.addLast((j - 1) / 2);
    }
    if (indices.isEmpty()) {
      proof.add(nodes[0].clone());
    }
    List<byte[]> ordered = new ArrayList<>();
    for (int i : indices) {
      ordered.add(nodes[i].clone());
    }
    return new MultiProof(Collections.unmodifiableList(ordered), Collections.unmodifiableList(proof), Collections.unmodifiableList(flags));
  }

  /** What {@code MerkleProof.processMultiProof} computes: the root from the leaves, proof and flags. */
  public static byte[] processMultiProof(MultiProof m) {
    int leavesLen = m.leaves().size();
    int proofFlagsLen = m.proofFlags().size();
    if (leavesLen + m.proof().size() != proofFlagsLen + 1) {
      throw new IllegalArgumentException("invalid multiproof: leaves + proof != flags + 1");
    }
    byte[][] hashes = new byte[proofFlagsLen][];
    int leafPos = 0;
    int hashPos = 0;
    int proofPos = 0;
    for (int i = 0; i < proofFlagsLen; i++) {
      byte[] a = leafPos < leavesLen ? m.leaves().get(leafPos++) : hashes[hashPos++];
      byte[] b = m.proofFlags().get(i) ? (leafPos < leavesLen ? m.leaves().get(leafPos++) : hashes[hashPos++]) : m.proof().get(proofPos++);
      hashes[i] = hashPair(a, b);
    }
    if (proofFlagsLen > 0) {
      return hashes[proofFlagsLen - 1];
    }
    return leavesLen > 0 ? m.leaves().get(0) : m.proof().get(0);
  }

  /** What {@code MerkleProof.verify} computes for an envelope hash's leaf. */
  public static boolean verify(List<byte[]> proof, byte[] root, byte[] envelopeHash) {
    return verifyLeaf(proof, root, leaf(envelopeHash));
  }

  /** What {@code MerkleProof.verify(proof, root, leaf)} computes: fold the proof into the leaf, compare with the root. */
  public static boolean verifyLeaf(List<byte[]> proof, byte[] root, byte[] leaf) {
    byte[] computed = check32(leaf, "leaf");
    for (byte[] p : proof) {
      computed = hashPair(computed, check32(p, "proof element"));
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

  private static byte[] check32(byte[] value, String what) {
    if (value.length != 32) {
      throw new IllegalArgumentException(what + " must be 32 bytes, got " + value.length);
    }
    return value;
  }
}
