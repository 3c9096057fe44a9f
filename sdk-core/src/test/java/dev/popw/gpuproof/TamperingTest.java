package dev.popw.gpuproof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.proto.v1.GpuTileOpening;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Tampered tiles, proofs and replayed answers are caught by the checks the coordinator runs. */
class TamperingTest {
  static CpuProver prover;
  static ProofParameters p;
  static CpuProver.Commitment c;
  static final byte[] OPEN_SEED = CpuProverTest.seed(77);

  @BeforeAll
  static void prove() throws Exception {
    prover = new CpuProver(2);
    p = new ProofParameters(CpuProverTest.seed(42), 64, 8, 2, 0);
    c = prover.prove(p);
  }

  @AfterAll
  static void stop() {
    prover.close();
  }

  static List<byte[]> proof(GpuTileOpening o) {
    return new ArrayList<>(o.getProofList().stream().map(ByteString::toByteArray).toList());
  }

  static byte[] leafHash(long leaf, byte[] data) {
    return TileTree.leafHash(ChallengeMatrices.sha256(), leaf, data, 0, data.length);
  }

  @ParameterizedTest
  @EnumSource(value = TileVerifier.Method.class)
  void a_single_changed_element_is_named(TileVerifier.Method method) {
    long leaf = 37;
    byte[] data = c.open(leaf).getData().toByteArray();
    assertNull(TileVerifier.check(p, leaf, data, method, OPEN_SEED));
    for (int element : new int[] {0, 13, 63}) {
      byte[] bad = data.clone();
      bad[element * 4] ^= 1;
      String why = TileVerifier.check(p, leaf, bad, method, OPEN_SEED);
      assertNotNull(why, method + " missed element " + element);
      assertTrue(why.contains("is not A x B"), why);
    }
    byte[] high = data.clone();
    high[63 * 4 + 3] ^= (byte) 0x80; // only the top bit of the last element: a difference of 2^31
    assertNotNull(TileVerifier.check(p, leaf, high, method, OPEN_SEED));
  }

  @Test
  void a_tile_from_another_place_or_seed_fails() throws Exception {
    byte[] other = c.open(38).getData().toByteArray();
    assertNotNull(TileVerifier.check(p, 37, other, TileVerifier.Method.AUTO, OPEN_SEED), "tile 38's data opened as 37");
    ProofParameters old = new ProofParameters(CpuProverTest.seed(41), 64, 8, 2, 0);
    byte[] replayed = prover.prove(old).open(37).getData().toByteArray();
    String why = TileVerifier.check(p, 37, replayed, TileVerifier.Method.AUTO, OPEN_SEED);
    assertNotNull(why, "an answer to an older challenge passes for the new one");
    assertNotNull(TileVerifier.check(p, 37, java.util.Arrays.copyOf(other, 100), TileVerifier.Method.AUTO, OPEN_SEED));
  }

  @Test
  void a_tampered_proof_or_index_does_not_lead_to_the_root() {
    long leaf = 100;
    GpuTileOpening o = c.open(leaf);
    byte[] data = o.getData().toByteArray();
    assertTrue(TileTree.verify(leaf, leafHash(leaf, data), proof(o), c.root(), p.height()));
    for (int level = 0; level < p.height(); level++) {
      List<byte[]> bad = proof(o);
      byte[] sib = bad.get(level).clone();
      sib[5] ^= 0x10;
      bad.set(level, sib);
      assertFalse(TileTree.verify(leaf, leafHash(leaf, data), bad, c.root(), p.height()), "sibling " + level);
    }
    assertFalse(TileTree.verify(leaf ^ 1, leafHash(leaf ^ 1, data), proof(o), c.root(), p.height()), "moved to another index");
    assertFalse(TileTree.verify(leaf, leafHash(leaf, data), proof(o).subList(0, p.height() - 1), c.root(), p.height()), "short");
    byte[] wrong = data.clone();
    wrong[0] ^= 1;
    assertFalse(TileTree.verify(leaf, leafHash(leaf, wrong), proof(o), c.root(), p.height()), "changed data, same proof");
  }

  @Test
  void padding_leaves_cannot_be_opened_as_tiles() {
    ProofParameters three = new ProofParameters(CpuProverTest.seed(5), 16, 8, 3, 0); // 12 leaves, padded to 16
    assertEquals(4, three.height());
    assertEquals(12, three.leaves());
    assertTrue(OpenSelection.tiles(OPEN_SEED, new byte[32], 100, three.leaves()).stream().allMatch(l -> l < 12));
    assertEquals(12, OpenSelection.tiles(OPEN_SEED, new byte[32], 100, three.leaves()).size());
  }

  @Test
  void selections_depend_on_the_root_and_are_distinct() {
    List<Long> a = OpenSelection.tiles(OPEN_SEED, c.root(), 32, p.leaves());
    assertEquals(32, a.size());
    assertEquals(32, a.stream().distinct().count());
    assertEquals(a, OpenSelection.tiles(OPEN_SEED, c.root(), 32, p.leaves()), "deterministic");
    byte[] other = c.root();
    other[0] ^= 1;
    assertFalse(a.equals(OpenSelection.tiles(OPEN_SEED, other, 32, p.leaves())), "another root, other tiles");
  }
}
