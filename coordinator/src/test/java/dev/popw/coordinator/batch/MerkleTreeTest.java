package dev.popw.coordinator.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MerkleTreeTest {
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
    byte[] lo = java.util.Arrays.compareUnsigned(la, lb) < 0 ? la : lb;
    byte[] hi = lo == la ? lb : la;
    byte[] concat = new byte[64];
    System.arraycopy(lo, 0, concat, 0, 32);
    System.arraycopy(hi, 0, concat, 32, 32);
    assertArrayEquals(MerkleTree.keccak(concat), MerkleTree.of(List.of(b, a)).root());
  }
}
