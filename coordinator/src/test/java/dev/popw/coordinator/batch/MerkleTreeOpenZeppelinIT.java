package dev.popw.coordinator.batch;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.popw.coordinator.testing.ContractsNpm;
import dev.popw.identity.EvmAddress;
import java.util.HexFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Differential test against OpenZeppelin's own JavaScript library, {@code @openzeppelin/merkle-tree}
 * (the version pinned in contracts/package.json), through contracts/scripts/merkle-vectors.mjs: for
 * every leaf count from 1 to 40 and 100, random leaves, the root and every proof must be the same as
 * the library's: {@code StandardMerkleTree} over {@code bytes32} envelope hashes (and over the
 * documented vectors of {@link MerkleVectors}), {@code SimpleMerkleTree} over precomputed leaves and
 * {@code StandardMerkleTree} over {@code (address, uint256)} values. The leaves are random on each
 * run; a failure names the seed, which {@code -Dpopw.merkle.seed=} replays.
 */
class MerkleTreeOpenZeppelinIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long SEED = Long.getLong("popw.merkle.seed", new Random().nextLong());

  private static List<Integer> counts() {
    List<Integer> counts = new ArrayList<>();
    for (int n = 1; n <= 40; n++) {
      counts.add(n);
    }
    counts.add(100);
    return counts;
  }

  private static List<byte[]> random32(Random r, int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = new byte[32];
      r.nextBytes(b);
      out.add(b);
    }
    return out;
  }

  @Test
  void envelope_hash_trees_equal_standard_merkle_tree_of_bytes32() throws Exception {
    Random r = new Random(SEED);
    List<List<byte[]>> sets = new ArrayList<>();
    counts().forEach(n -> sets.add(random32(r, n)));
    MerkleVectors.COUNTS.forEach(n -> sets.add(MerkleVectors.hashes(n)));
    List<byte[]> withCopies = random32(r, 9); // not in a batch (hashes are unique there), but the library allows it
    withCopies.set(4, withCopies.get(1));
    withCopies.set(7, withCopies.get(1));
    withCopies.set(8, withCopies.get(2));
    sets.add(withCopies);
    ObjectNode in = JSON.createObjectNode();
    ArrayNode trees = in.putArray("trees");
    for (List<byte[]> set : sets) {
      ObjectNode t = trees.addObject().put("type", "standard");
      t.putArray("encoding").add("bytes32");
      ArrayNode values = t.putArray("values");
      set.forEach(h -> values.addArray().add(hex(h)));
    }
    JsonNode out = openZeppelin(in);
    List<Executable> checks = new ArrayList<>();
    for (int i = 0; i < sets.size(); i++) {
      List<byte[]> set = sets.get(i);
      JsonNode oz = out.get("trees").get(i);
      checks.add(() -> {
        MerkleTree tree = MerkleTree.of(set);
        assertSame(oz, tree.root(), set, tree::proof, "bytes32 tree of " + set.size());
      });
    }
    assertAll(checks);
  }

  @Test
  void trees_of_precomputed_leaves_equal_simple_merkle_tree() throws Exception {
    Random r = new Random(SEED + 1);
    List<List<byte[]>> sets = new ArrayList<>();
    counts().forEach(n -> sets.add(random32(r, n)));
    ObjectNode in = JSON.createObjectNode();
    ArrayNode trees = in.putArray("trees");
    for (List<byte[]> set : sets) {
      ArrayNode values = trees.addObject().put("type", "simple").putArray("values");
      set.forEach(h -> values.add(hex(h)));
    }
    JsonNode out = openZeppelin(in);
    List<Executable> checks = new ArrayList<>();
    for (int i = 0; i < sets.size(); i++) {
      List<byte[]> set = sets.get(i);
      JsonNode oz = out.get("trees").get(i);
      checks.add(() -> {
        MerkleTree tree = MerkleTree.ofLeaves(set);
        assertSame(oz, tree.root(), set, tree::proofOfLeaf, "tree of " + set.size() + " precomputed leaves");
      });
    }
    assertAll(checks);
  }

  /** The leaves of a rewards tree: (owner, cumulative amount), amounts from 0 to 2^256 - 1. */
  @Test
  void owner_amount_trees_equal_standard_merkle_tree_of_address_uint256() throws Exception {
    Random r = new Random(SEED + 2);
    List<List<Object[]>> sets = new ArrayList<>();
    for (int n : counts()) {
      List<Object[]> set = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        byte[] a = new byte[20];
        r.nextBytes(a);
        BigInteger amount = switch (i % 4) {
          case 0 -> BigInteger.valueOf(i);
          case 1 -> new BigInteger(256, r);
          case 2 -> BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE).subtract(BigInteger.valueOf(i));
          default -> new BigInteger(1 + r.nextInt(255), r);
        };
        set.add(new Object[] {EvmAddress.parse(hex(a)), amount});
      }
      sets.add(set);
    }
    sets.add(MerkleVectors.OWNERS);
    ObjectNode in = JSON.createObjectNode();
    ArrayNode trees = in.putArray("trees");
    for (List<Object[]> set : sets) {
      ObjectNode t = trees.addObject().put("type", "standard");
      t.putArray("encoding").add("address").add("uint256");
      ArrayNode values = t.putArray("values");
      set.forEach(v -> values.addArray().add(v[0].toString()).add(v[1].toString()));
    }
    JsonNode out = openZeppelin(in);
    List<Executable> checks = new ArrayList<>();
    for (int i = 0; i < sets.size(); i++) {
      List<byte[]> leaves = sets.get(i).stream().map(v -> MerkleTree.leaf((EvmAddress) v[0], (BigInteger) v[1])).toList();
      JsonNode oz = out.get("trees").get(i);
      checks.add(() -> {
        MerkleTree tree = MerkleTree.ofLeaves(leaves);
        assertSame(oz, tree.root(), leaves, tree::proofOfLeaf, "(address, uint256) tree of " + leaves.size());
      });
    }
    assertAll(checks);
  }

  private static void assertSame(JsonNode oz, byte[] root, List<byte[]> values, Function<byte[], List<byte[]>> proof, String what) {
    String where = what + " (seed " + SEED + ")";
    assertEquals(oz.get("root").asText(), hex(root), "root of the " + where);
    for (int j = 0; j < values.size(); j++) {
      List<String> expected = new ArrayList<>();
      oz.get("proofs").get(j).forEach(x -> expected.add(x.asText()));
      assertEquals(expected, proof.apply(values.get(j)).stream().map(MerkleTreeOpenZeppelinIT::hex).toList(),
          "proof of value " + j + " in the " + where);
    }
  }

  /** Runs the script with {@code input} on stdin; returns what it prints. */
  private static JsonNode openZeppelin(JsonNode input) throws IOException, InterruptedException {
    ContractsNpm.require("@openzeppelin/merkle-tree");
    Path dir = ContractsNpm.contractsDir();
    Path err = Files.createTempFile("popw-merkle-vectors", ".log");
    Process p = new ProcessBuilder("node", "scripts/merkle-vectors.mjs").directory(dir.toFile())
        .redirectError(err.toFile()).start();
    try (OutputStream os = p.getOutputStream()) {
      os.write(JSON.writeValueAsBytes(input));
    }
    byte[] stdout = p.getInputStream().readAllBytes();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("merkle-vectors.mjs did not finish in 2 minutes");
    }
    assertEquals(0, p.exitValue(), () -> "merkle-vectors.mjs failed: " + readQuietly(err));
    Files.deleteIfExists(err);
    return JSON.readTree(new String(stdout, StandardCharsets.UTF_8));
  }

  private static String readQuietly(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return "(no stderr: " + e.getMessage() + ")";
    }
  }

  private static String hex(byte[] b) {
    return "0x" + HexFormat.of().formatHex(b);
  }
}
