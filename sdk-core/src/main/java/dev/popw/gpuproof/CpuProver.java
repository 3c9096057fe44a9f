package dev.popw.gpuproof;

import com.google.protobuf.ByteString;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuTileOpening;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The CPU reference prover: exact INT8 x INT8 -> INT32 products in plain Java on every core
 * (INT32 arithmetic, blocked so that the operands stay in cache), the tile commitment, the memory
 * probe and the openings. Always available; the tests, small challenges and devices without a CUDA
 * prover use it. Thread-safe: one challenge at a time per instance is the intended use.
 *
 * <p>Memory: about 4 n^2 bytes for B, 8 n x 64 bytes per thread, 64 bytes per tile for the tree and
 * the probed bytes; it refuses larger challenges ({@link #MAX_N}, {@link #MAX_LEAVES}, {@link #MAX_PROBE_BYTES}).
 */
public final class CpuProver implements AutoCloseable {
  public static final int MAX_N = 8192;
  public static final long MAX_LEAVES = 1L << 24;
  public static final long MAX_PROBE_BYTES = 8L << 30;
  private static final int CHUNK_LONGS = 1 << 24; // 128 MiB per probe chunk

  private final int threads;
  private final ExecutorService pool;

  /** @param threads worker threads; 0 means one per available processor */
  public CpuProver(int threads) {
    this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    this.pool = Executors.newFixedThreadPool(this.threads, r -> {
      Thread t = new Thread(r, "popw-cpu-prover");
      t.setDaemon(true);
      t.setPriority(Thread.MIN_PRIORITY);
      return t;
    });
  }

  public int threads() {
    return threads;
  }

  /** "cpu-java 16 threads". */
  public String describe() {
    return "cpu-java " + threads + (threads == 1 ? " thread" : " threads");
  }

  /** Why this prover cannot take a challenge, or null. */
  public static String refusal(ProofParameters p) {
    if (p.n() > MAX_N) {
      return "the CPU prover takes n up to " + MAX_N + ", the challenge has n = " + p.n();
    }
    if (p.leaves() > MAX_LEAVES) {
      return "the CPU prover takes up to " + MAX_LEAVES + " tiles, the challenge has " + p.leaves();
    }
    if (p.probeBytes() > MAX_PROBE_BYTES) {
      return "the CPU prover probes up to " + (MAX_PROBE_BYTES >> 20) + " MiB, the challenge asks " + (p.probeBytes() >> 20) + " MiB";
    }
    return null;
  }

  /**
   * Computes every product, commits to its tiles and fills the memory probe.
   *
   * @throws IllegalArgumentException when the challenge is beyond this prover ({@link #refusal})
   * @throws InterruptedException if interrupted; nothing is committed then
   */
  public Commitment prove(ProofParameters p) throws InterruptedException {
    String refused = refusal(p);
    if (refused != null) {
      throw new IllegalArgumentException(refused);
    }
    long t0 = System.nanoTime();
    long[][] probe = fillProbe(p);
    byte[] leaves = new byte[Math.toIntExact(p.leaves() * 32)];
    int n = p.n();
    int strip = Math.min(n, Math.max(p.tile(), 64));
    byte[] seed = p.seed();
    int[] bt = new int[n * n];
    for (int m = 0; m < p.matrices(); m++) {
      long kb = ChallengeMatrices.keyB(seed, m);
      long ka = ChallengeMatrices.keyA(seed, m);
      List<Future<?>> fs = new ArrayList<>();
      int cols = Math.max(1, n / threads);
      for (int c0 = 0; c0 < n; c0 += cols) {
        int from = c0;
        int to = Math.min(n, c0 + cols);
        fs.add(pool.submit(() -> {
          for (int c = from; c < to; c++) {
            ChallengeMatrices.columnOfB(kb, n, c, bt, c * n);
          }
        }));
      }
      await(fs);
      fs.clear();
      int product = m;
      for (int r0 = 0; r0 < n; r0 += strip) {
        int rows = r0;
        fs.add(pool.submit(() -> strip(p, product, ka, bt, rows, strip, leaves)));
      }
      await(fs);
    }
    TileTree tree = TileTree.build(leaves, p.leaves(), p.height());
    return new Commitment(p, tree, probe, System.nanoTime() - t0, describe());
  }

  /** One strip of rows of C: multiply, then hash its tiles into their leaves. */
  private static void strip(ProofParameters p, int product, long ka, int[] bt, int r0, int rows, byte[] leaves) {
    int n = p.n();
    int t = p.tile();
    int[] a = new int[rows * n];
    for (int i = 0; i < rows; i++) {
      ChallengeMatrices.rowOfA(ka, n, r0 + i, a, i * n);
    }
    int[] c = new int[rows * n];
    multiply(a, bt, c, rows, n);
    MessageDigest d = ChallengeMatrices.sha256();
    int[] tile = new int[t * t];
    byte[] bytes = new byte[4 * t * t];
    for (int ti = 0; ti < rows / t; ti++) {
      for (int tj = 0; tj < n / t; tj++) {
        for (int i = 0; i < t; i++) {
          System.arraycopy(c, (ti * t + i) * n + tj * t, tile, i * t, t);
        }
        TileMath.toBytes(tile, 0, tile.length, bytes, 0);
        long leaf = p.leaf(product, r0 / t + ti, tj);
        System.arraycopy(TileTree.leafHash(d, leaf, bytes, 0, bytes.length), 0, leaves, (int) (leaf * 32), 32);
      }
    }
  }

  /**
   * c (rows x n) = a (rows x n, row-major) x B, with {@code bt} holding B's columns contiguously:
   * 2 x 2 blocks of dot products (which the JIT vectorizes), columns in blocks of 32 so that the
   * block of B stays in cache while every row pair of the strip passes over it.
   */
  static void multiply(int[] a, int[] bt, int[] c, int rows, int n) {
    final int jb = Math.min(32, n);
    for (int j0 = 0; j0 < n; j0 += jb) {
      for (int i = 0; i < rows; i += 2) {
        int a0 = i * n;
        int a1 = a0 + n;
        for (int j = j0; j < j0 + jb; j += 2) {
          int b0 = j * n;
          int b1 = b0 + n;
          int s00 = 0;
          int s01 = 0;
          int s10 = 0;
          int s11 = 0;
          for (int k = 0; k < n; k++) {
            int x0 = a[a0 + k];
            int x1 = a[a1 + k];
            int y0 = bt[b0 + k];
            int y1 = bt[b1 + k];
            s00 += x0 * y0;
            s01 += x0 * y1;
            s10 += x1 * y0;
            s11 += x1 * y1;
          }
          c[i * n + j] = s00;
          c[i * n + j + 1] = s01;
          c[(i + 1) * n + j] = s10;
          c[(i + 1) * n + j + 1] = s11;
        }
      }
    }
  }

  private long[][] fillProbe(ProofParameters p) throws InterruptedException {
    long words = p.probeBytes() / 8;
    if (words == 0) {
      return new long[0][];
    }
    long key = ChallengeMatrices.keyProbe(p.seed());
    int chunks = (int) ((words + CHUNK_LONGS - 1) / CHUNK_LONGS);
    long[][] probe = new long[chunks][];
    List<Future<?>> fs = new ArrayList<>();
    for (int ch = 0; ch < chunks; ch++) {
      int len = (int) Math.min(CHUNK_LONGS, words - (long) ch * CHUNK_LONGS);
      probe[ch] = new long[len];
      int chunk = ch;
      int parts = Math.max(1, threads);
      int per = (len + parts - 1) / parts;
      for (int s = 0; s < len; s += per) {
        int from = s;
        int to = Math.min(len, s + per);
        fs.add(pool.submit(() -> {
          long base = (long) chunk * CHUNK_LONGS;
          long[] dst = probe[chunk];
          for (int i = from; i < to; i++) {
            dst[i] = ChallengeMatrices.word(key, base + i);
          }
        }));
      }
    }
    await(fs);
    return probe;
  }

  private static void await(List<Future<?>> fs) throws InterruptedException {
    try {
      for (Future<?> f : fs) {
        f.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("the CPU prover failed: " + e.getCause(), e.getCause());
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

  /** A computed challenge: its root, and the openings on request. */
  public static final class Commitment {
    private final ProofParameters params;
    private final TileTree tree;
    private final long[][] probe;
    private final long computeNanos;
    private final String prover;

    Commitment(ProofParameters params, TileTree tree, long[][] probe, long computeNanos, String prover) {
      this.params = params;
      this.tree = tree;
      this.probe = probe;
      this.computeNanos = computeNanos;
      this.prover = prover;
    }

    public ProofParameters parameters() {
      return params;
    }

    public byte[] root() {
      return tree.root();
    }

    public long computeNanos() {
      return computeNanos;
    }

    public String prover() {
      return prover;
    }

    /** Leaf hash (for tests). */
    public byte[] leaf(long index) {
      return tree.leaf(index);
    }

    /** The tile of a leaf (recomputed: the strips are not kept) with its Merkle proof. */
    public GpuTileOpening open(long leaf) {
      int[] values = TileMath.product(params, TileMath.operands(params, leaf));
      GpuTileOpening.Builder b = GpuTileOpening.newBuilder().setIndex(leaf).setData(ByteString.copyFrom(TileMath.bytes(values)));
      for (byte[] sib : tree.proof(leaf)) {
        b.addProof(ByteString.copyFrom(sib));
      }
      return b.build();
    }

    /** A probe block as it lies in memory. */
    public GpuProbeRead read(long block) {
      if (block < 0 || block >= params.probeBlocks()) {
        throw new IllegalArgumentException("no probe block " + block);
      }
      byte[] out = new byte[ProofParameters.PROBE_BLOCK_BYTES];
      for (int j = 0; j < 8; j++) {
        long w = 8 * block + j;
        long v = probe[(int) (w / CHUNK_LONGS)][(int) (w % CHUNK_LONGS)];
        for (int i = 0; i < 8; i++) {
          out[8 * j + i] = (byte) (v >>> (8 * i));
        }
      }
      return GpuProbeRead.newBuilder().setBlock(block).setData(ByteString.copyFrom(out)).build();
    }
  }
}
