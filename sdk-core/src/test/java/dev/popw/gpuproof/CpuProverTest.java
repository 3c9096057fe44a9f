package dev.popw.gpuproof;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuTileOpening;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CPU prover's products, tiles and root against {@link NaiveProduct}, an independent implementation. */
class CpuProverTest {
  static CpuProver prover;

  @BeforeAll
  static void start() {
    prover = new CpuProver(3); // an odd thread count splits the work unevenly on purpose
  }

  @AfterAll
  static void stop() {
    prover.close();
  }

  static byte[] seed(int s) {
    byte[] b = new byte[32];
    new Random(s).nextBytes(b);
    return b;
  }

  @ParameterizedTest(name = "n={0} tile={1} matrices={2}")
  @CsvSource({"8,2,1", "16,4,1", "32,8,3", "64,8,2", "64,16,1", "128,8,1", "64,64,1"})
  void every_tile_and_the_root_match_the_naive_product(int n, int t, int matrices) throws Exception {
    byte[] seed = seed(n * 31 + t + matrices);
    ProofParameters p = new ProofParameters(seed, n, t, matrices, 0);
    CpuProver.Commitment c = prover.prove(p);
    assertArrayEquals(NaiveProduct.root(seed, n, t, matrices), c.root(), "root");
    int side = n / t;
    for (int m = 0; m < matrices; m++) {
      long[][] product = NaiveProduct.product(NaiveProduct.a(seed, n, m), NaiveProduct.b(seed, n, m));
      for (int ti = 0; ti < side; ti++) {
        for (int tj = 0; tj < side; tj++) {
          long leaf = p.leaf(m, ti, tj);
          assertEquals((long) m * side * side + NaiveProduct.morton(ti, tj), leaf);
          GpuTileOpening o = c.open(leaf);
          assertArrayEquals(NaiveProduct.tile(product, t, ti, tj), o.getData().toByteArray(), "tile " + leaf);
          List<byte[]> proof = o.getProofList().stream().map(com.google.protobuf.ByteString::toByteArray).toList();
          byte[] leafHash = TileTree.leafHash(ChallengeMatrices.sha256(), leaf, o.getData().toByteArray(), 0, p.tileBytes());
          assertTrue(TileTree.verify(leaf, leafHash, proof, c.root(), p.height()), "proof of tile " + leaf);
          assertNull(TileVerifier.check(p, leaf, o.getData().toByteArray(), TileVerifier.Method.RECOMPUTE, seed(1)));
          assertNull(TileVerifier.check(p, leaf, o.getData().toByteArray(), TileVerifier.Method.FREIVALDS, seed(1)));
        }
      }
    }
  }

  @Test
  void the_blocked_kernel_is_exact_for_extreme_values() {
    int n = 64;
    int rows = 6;
    int[] a = new int[rows * n];
    int[] bt = new int[n * n];
    java.util.Arrays.fill(a, -128);
    java.util.Arrays.fill(bt, -128);
    int[] c = new int[rows * n];
    CpuProver.multiply(a, bt, c, rows, n);
    for (int v : c) {
      assertEquals(128 * 128 * n, v);
    }
    Random r = new Random(5);
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextInt(256) - 128;
    }
    for (int i = 0; i < bt.length; i++) {
      bt[i] = r.nextInt(256) - 128;
    }
    CpuProver.multiply(a, bt, c, rows, n);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < n; j++) {
        long s = 0;
        for (int k = 0; k < n; k++) {
          s += (long) a[i * n + k] * bt[j * n + k];
        }
        assertEquals(s, c[i * n + j], "(" + i + "," + j + ")");
      }
    }
  }

  @Test
  void elements_follow_the_documented_streams() throws Exception {
    byte[] seed = seed(9);
    int n = 16;
    long[][] a = NaiveProduct.a(seed, n, 2);
    long[][] b = NaiveProduct.b(seed, n, 2);
    long ka = ChallengeMatrices.keyA(seed, 2);
    long kb = ChallengeMatrices.keyB(seed, 2);
    for (int r = 0; r < n; r++) {
      for (int c = 0; c < n; c++) {
        assertEquals(a[r][c], ChallengeMatrices.a(ka, n, r, c));
        assertEquals(b[r][c], ChallengeMatrices.b(kb, n, r, c));
      }
    }
  }

  @Test
  void the_memory_probe_holds_the_seed_derived_blocks() throws Exception {
    byte[] seed = seed(3);
    ProofParameters p = new ProofParameters(seed, 8, 4, 1, 64 * 1000);
    CpuProver.Commitment c = prover.prove(p);
    byte[] stream = NaiveProduct.stream(NaiveProduct.key("popw.v1.gpu.P", seed, 0), 64 * 1000);
    for (long block : new long[] {0, 1, 517, 999}) {
      GpuProbeRead read = c.read(block);
      assertArrayEquals(java.util.Arrays.copyOfRange(stream, (int) block * 64, (int) block * 64 + 64), read.getData().toByteArray());
      assertArrayEquals(MemoryProbe.block(ChallengeMatrices.keyProbe(seed), block), read.getData().toByteArray());
    }
    assertThrows(IllegalArgumentException.class, () -> c.read(1000));
  }

  @Test
  void challenges_beyond_the_cpu_prover_are_refused_with_a_reason() {
    ProofParameters big = new ProofParameters(seed(1), 16384, 8, 1, 0);
    assertTrue(CpuProver.refusal(big).contains("n up to 8192"), CpuProver.refusal(big));
    assertThrows(IllegalArgumentException.class, () -> prover.prove(big));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProofParameters(seed(1), 100, 8, 1, 0)).getMessage()
        .contains("power of two"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProofParameters(seed(1), 64, 8, 1, 65)).getMessage()
        .contains("multiple of 64"));
  }
}
