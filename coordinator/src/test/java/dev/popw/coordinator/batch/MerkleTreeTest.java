package dev.popw.coordinator.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.identity.EvmAddress;
import java.util.HexFormat;
import dev.popw.testing.DocumentedVectors;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tree layout and hashing of OpenZeppelin's {@code @openzeppelin/merkle-tree}: the vectors of
 * docs/merkle.md (computed with that library, see {@link MerkleVectors}; the library itself is run by
 * {@code MerkleTreeOpenZeppelinIT}) and the properties {@code MerkleProof.verify} relies on.
 */
class MerkleTreeTest {
  private static final Path DOC = DocumentedVectors.doc("merkle.md");

  private static List<byte[]> hashes(int n, long seed) {
    Random r = new Random(seed);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] h = new byte[32];
      r.nextBytes(h);
      out.add(h);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 7, 8, 9, 100, 1000, 1023, 1025})
  void every_leaf_has_a_proof_that_verifies_and_the_proof_is_logarithmic(int n) {
    List<byte[]> hs = hashes(n, n);
    MerkleTree t = MerkleTree.of(hs);
    int maxDepth = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
    for (byte[] h : hs) {
      List<byte[]> proof = t.proof(h);
      assertTrue(MerkleTree.verify(proof, t.root(), h));
      assertTrue(proof.size() <= maxDepth, "proof of " + proof.size() + " for " + n + " leaves");
    }
  }

  @Test
  void forged_proofs_and_foreign_envelopes_fail() {
    List<byte[]> hs = hashes(50, 1);
    MerkleTree t = MerkleTree.of(hs);
    byte[] h = hs.get(17);
    List<byte[]> proof = new ArrayList<>(t.proof(h));
    byte[] bad = proof.get(2).clone();
    bad[5] ^= 1;
    proof.set(2, bad);
    assertFalse(MerkleTree.verify(proof, t.root(), h));
    byte[] stranger = hashes(1, 99).get(0);
    assertFalse(MerkleTree.verify(t.proof(h), t.root(), stranger));
    assertThrows(IllegalArgumentException.class, () -> t.proof(stranger));
    // an inner node presented as a leaf does not verify: leaves are double-hashed
    assertFalse(MerkleTree.verify(List.of(), t.root(), t.root()));
  }

  @Test
  void the_root_depends_on_the_set_not_the_order() {
    List<byte[]> hs = hashes(33, 5);
    byte[] root = MerkleTree.of(hs).root();
    Collections.shuffle(hs, new Random(3));
    assertArrayEquals(root, MerkleTree.of(hs).root());
  }

  /**
   * Known answer: a one-leaf tree's root is the leaf, keccak256(keccak256(x)); a two-leaf tree's
   * root is keccak256 of the sorted leaves. keccak256("") is the well-known c5d2...a470.
   */
  @Test
  void hashes_are_keccak256_with_sorted_pairs() {
    assertEquals("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", HexFormat.of().formatHex(MerkleTree.keccak(new byte[0])));
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    b[0] = 1;
    assertArrayEquals(MerkleTree.leaf(a), MerkleTree.of(List.of(a)).root());
    byte[] la = MerkleTree.leaf(a);
    byte[] lb = MerkleTree.leaf(b);
    byte[] lo = Arrays.compareUnsigned(la, lb) < 0 ? la : lb;
    byte[] hi = lo == la ? lb : la;
    byte[] concat = new byte[64];
    System.arraycopy(lo, 0, concat, 0, 32);
    System.arraycopy(hi, 0, concat, 32, 32);
    assertArrayEquals(MerkleTree.keccak(concat), MerkleTree.of(List.of(b, a)).root());
  }

  /** Roots of StandardMerkleTree.of([[sha256("a")], ...], ["bytes32"]), from @openzeppelin/merkle-tree 1.0.8. */
  @Test
  void roots_of_the_documented_vectors_are_openzeppelins() {
    Map<Integer, String> roots = Map.of(
        1, "9913e4db9d1e51fb530ba665d9e874c03745aa5a211b7afdca25906328fc82c5",
        2, "de129054d03be04cba38e71188702e8898e6a55d6bf49617989712dd1f4a8715",
        3, "7518a869cbc6e7e1454bd11b2b36d47bfb4d0348021fdbc2909b14e3a8b2f3db",
        4, "641ede09f614be0a86e2a4eb203bfeee8c30b61df0b4eb495432343c17c144ed",
        5, "d59080321df0a9ef630ef6d65fa166f4483e6c8d2dc03baaa5fdba3011902e66",
        7, "d01223e8d1680adc88cbc6ad99e65ea8d28428baf7f0c7107b76d6b0111007c2",
        8, "4a4d7275c26ec3c1109132bf14bad0b44f4300975a93b2d2f10a80d045b3daa6");
    for (int n : MerkleVectors.COUNTS) {
      assertEquals(roots.get(n), HexFormat.of().formatHex(MerkleTree.of(MerkleVectors.hashes(n)).root()), n + " leaves");
    }
    List<byte[]> owners = MerkleVectors.OWNERS.stream().map(o -> MerkleTree.leaf((EvmAddress) o[0], (BigInteger) o[1])).toList();
    assertEquals("c9eaf7d2c07145c9eb49a707a8d4039f358b8be37d2e8396fde4767f5e2d9bae", HexFormat.of().formatHex(MerkleTree.ofLeaves(owners).root()));
  }

  /** The 5-leaf layout, node by node: leaves sorted, in reverse at the end of a 9-node array. */
  @Test
  void five_leaves_take_openzeppelins_array_layout() {
    List<byte[]> hs = MerkleVectors.hashes(5);
    byte[][] l = hs.stream().map(MerkleTree::leaf).sorted(Arrays::compareUnsigned).toArray(byte[][]::new);
    // nodes[8..4] = l[0..4]; nodes[3] = h(7, 8), nodes[2] = h(5, 6), nodes[1] = h(3, 4), nodes[0] = h(1, 2)
    byte[] n3 = MerkleTree.hashPair(l[1], l[0]);
    byte[] n2 = MerkleTree.hashPair(l[3], l[2]);
    byte[] n1 = MerkleTree.hashPair(n3, l[4]);
    MerkleTree t = MerkleTree.of(hs);
    assertArrayEquals(MerkleTree.hashPair(n1, n2), t.root());
    byte[] smallest = hs.stream().filter(h -> Arrays.equals(MerkleTree.leaf(h), l[0])).findFirst().orElseThrow();
    assertEquals(List.of(HexFormat.of().formatHex(l[1]), HexFormat.of().formatHex(l[4]), HexFormat.of().formatHex(n2)), t.proof(smallest).stream().map(HexFormat.of()::formatHex).toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"envelope hashes and leaves", "1 leaf", "2 leaves", "3 leaves", "4 leaves", "5 leaves", "7 leaves", "8 leaves", "owner amounts"})
  void the_document_matches_the_code(String title) {
    assertEquals(MerkleVectors.all().get(title), DocumentedVectors.block(DOC, title), "docs/merkle.md is stale: regenerate it with MerkleVectors.main");
  }

  /** keccak256(bytes.concat(keccak256(abi.encode(address, uint256)))): the address and the amount each fill a 32-byte word. */
  @Test
  void owner_amount_leaves_are_abi_encoded_and_double_hashed() {
    EvmAddress owner = EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    byte[] encoded = HexFormat.of().parseHex("00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
        + "0000000000000000000000000000000000000000000000000de0b6b3a7640000");
    assertArrayEquals(MerkleTree.keccak(MerkleTree.keccak(encoded)), MerkleTree.leaf(owner, BigInteger.TEN.pow(18)));
    BigInteger max = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
    byte[] top = new byte[64];
    System.arraycopy(owner.bytes(), 0, top, 12, 20);
    Arrays.fill(top, 32, 64, (byte) 0xff);
    assertArrayEquals(MerkleTree.keccak(MerkleTree.keccak(top)), MerkleTree.leaf(owner, max), "2^256 - 1 has no sign byte");
    assertThrows(IllegalArgumentException.class, () -> MerkleTree.leaf(owner, max.add(BigInteger.ONE)));
    assertThrows(IllegalArgumentException.class, () -> MerkleTree.leaf(owner, BigInteger.ONE.negate()));
  }

  @Test
  void a_tree_of_precomputed_leaves_uses_them_as_they_are() {
    List<byte[]> leaves = hashes(6, 8);
    MerkleTree t = MerkleTree.ofLeaves(leaves);
    for (byte[] leaf : leaves) {
      assertTrue(MerkleTree.verifyLeaf(t.proofOfLeaf(leaf), t.root(), leaf));
    }
    assertArrayEquals(MerkleTree.of(leaves).root(), MerkleTree.ofLeaves(leaves.stream().map(MerkleTree::leaf).toList()).root());
    byte[] one = leaves.get(0);
    assertArrayEquals(one, MerkleTree.ofLeaves(List.of(one)).root(), "one leaf: the root is the leaf");
    assertEquals(List.of(), MerkleTree.ofLeaves(List.of(one)).proofOfLeaf(one));
    assertThrows(IllegalArgumentException.class, () -> MerkleTree.ofLeaves(List.of()));
    assertThrows(IllegalArgumentException.class, () -> MerkleTree.ofLeaves(List.of(new byte[31])));
    assertThrows(IllegalArgumentException.class, () -> t.proofOfLeaf(hashes(1, 77).get(0)));
  }

  /** A value given twice is in the tree twice, as in OpenZeppelin's library, and its proof verifies. */
  @Test
  void a_repeated_value_is_a_leaf_twice() {
    List<byte[]> hs = hashes(4, 9);
    hs.add(hs.get(1));
    MerkleTree t = MerkleTree.of(hs);
    assertEquals(5, t.size());
    assertArrayEquals(MerkleTree.ofLeaves(hs.stream().map(MerkleTree::leaf).toList()).root(), t.root());
    assertFalse(Arrays.equals(MerkleTree.of(hs.subList(0, 4)).root(), t.root()));
    for (byte[] h : hs) {
      assertTrue(MerkleTree.verify(t.proof(h), t.root(), h));
    }
  }

  /** The layout of coordinators before OpenZeppelin's: same for some counts, different for others, and its proofs verify. */
  @Test
  void the_legacy_layout_differs_from_five_leaves_on_and_its_proofs_verify() {
    for (int n : new int[] {1, 2, 3, 4, 6, 8, 12, 16}) {
      List<byte[]> hs = hashes(n, 100 + n);
      assertArrayEquals(MerkleTree.of(hs).root(), LegacyMerkleTree.of(hs).root(), n + " leaves: the same tree either way");
    }
    for (int n : new int[] {5, 7, 9, 17, 33, 100}) {
      List<byte[]> hs = hashes(n, 100 + n);
      LegacyMerkleTree legacy = LegacyMerkleTree.of(hs);
      assertFalse(Arrays.equals(MerkleTree.of(hs).root(), legacy.root()), n + " leaves: the layouts differ");
      for (byte[] h : hs) {
        assertTrue(MerkleTree.verify(legacy.proof(h), legacy.root(), h));
      }
    }
    // legacy, 5 leaves: the fifth sorted leaf is carried up to the top, h(h(h(l0, l1), h(l2, l3)), l4)
    byte[][] l = MerkleVectors.hashes(5).stream().map(MerkleTree::leaf).sorted(Arrays::compareUnsigned).toArray(byte[][]::new);
    byte[] expected = MerkleTree.hashPair(MerkleTree.hashPair(MerkleTree.hashPair(l[0], l[1]), MerkleTree.hashPair(l[2], l[3])), l[4]);
    assertArrayEquals(expected, LegacyMerkleTree.of(MerkleVectors.hashes(5)).root());
  }
}
