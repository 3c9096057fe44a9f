package dev.popw.coordinator.batch;

import dev.popw.identity.EvmAddress;
import java.util.HexFormat;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Merkle tree vectors published in docs/merkle.md. Run {@link #main} to print them;
 * {@code MerkleTreeTest} checks that the document and the code agree, and
 * {@code MerkleTreeOpenZeppelinIT} that OpenZeppelin's library computes the same.
 *
 * <p>Envelope hashes: the SHA-256 of the one-letter ASCII strings {@code "a"} to {@code "h"}; the
 * tree of n hashes takes the first n letters. Owner amounts: anvil's development accounts #0, #1 and
 * #2 with 0, 10^18 and 2^256 - 1.
 */
public final class MerkleVectors {
  static final List<Integer> COUNTS = List.of(1, 2, 3, 4, 5, 7, 8);
  static final String LETTERS = "abcdefgh";
  static final List<Object[]> OWNERS = List.of(
      new Object[] {EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), BigInteger.ZERO},
      new Object[] {EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), BigInteger.TEN.pow(18)},
      new Object[] {EvmAddress.parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE)});

  private MerkleVectors() {}

  /** SHA-256 of the one-letter string. */
  static byte[] hashOf(char letter) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(String.valueOf(letter).getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The envelope hashes of the n-leaf vector: SHA-256 of "a", "b", ... */
  static List<byte[]> hashes(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(hashOf(LETTERS.charAt(i)));
    }
    return out;
  }

  /** The letters' envelope hashes and leaves, as name -> "hash leaf". */
  static Map<String, String> leaves() {
    Map<String, String> v = new LinkedHashMap<>();
    for (char c : LETTERS.toCharArray()) {
      byte[] h = hashOf(c);
      v.put(String.valueOf(c), hex(h) + " " + hex(MerkleTree.leaf(h)));
    }
    return v;
  }

  /** The vector of the tree of the first n letters' hashes: root, then each letter's proof. */
  static Map<String, String> tree(int n) {
    List<byte[]> hs = hashes(n);
    MerkleTree t = MerkleTree.of(hs);
    Map<String, String> v = new LinkedHashMap<>();
    v.put("root", hex(t.root()));
    for (int i = 0; i < n; i++) {
      v.put(String.valueOf(LETTERS.charAt(i)), proof(t.proof(hs.get(i))));
    }
    return v;
  }

  /** The (address, uint256) vector: each owner's leaf, the root, then each owner's proof. */
  static Map<String, String> owners() {
    List<byte[]> leaves = OWNERS.stream().map(o -> MerkleTree.leaf((EvmAddress) o[0], (BigInteger) o[1])).toList();
    MerkleTree t = MerkleTree.ofLeaves(leaves);
    Map<String, String> v = new LinkedHashMap<>();
    for (int i = 0; i < OWNERS.size(); i++) {
      v.put("leaf " + OWNERS.get(i)[0] + " " + OWNERS.get(i)[1], hex(leaves.get(i)));
    }
    v.put("root", hex(t.root()));
    for (int i = 0; i < OWNERS.size(); i++) {
      v.put("proof " + OWNERS.get(i)[0], proof(t.proofOfLeaf(leaves.get(i))));
    }
    return v;
  }

  private static String proof(List<byte[]> proof) {
    return proof.isEmpty() ? "(empty)" : String.join(" ", proof.stream().map(MerkleVectors::hex).toList());
  }

  private static String hex(byte[] b) {
    return "0x" + HexFormat.of().formatHex(b);
  }

  /** The blocks of docs/merkle.md, in order. */
  public static Map<String, Map<String, String>> all() {
    Map<String, Map<String, String>> all = new LinkedHashMap<>();
    all.put("envelope hashes and leaves", leaves());
    for (int n : COUNTS) {
      all.put(n == 1 ? "1 leaf" : n + " leaves", tree(n));
    }
    all.put("owner amounts", owners());
    return all;
  }

  public static void main(String[] args) {
    all().forEach((title, v) -> {
      System.out.println("### " + title);
      System.out.println("```");
      v.forEach((k, val) -> System.out.println(k + ": " + val));
      System.out.println("```");
    });
  }
}
