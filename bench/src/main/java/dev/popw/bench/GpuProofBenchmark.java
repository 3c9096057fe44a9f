package dev.popw.bench;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.validation.ChallengeRecord;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.gpu.ChallengeJudge;
import dev.popw.coordinator.validation.gpu.GpuClass;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.gpuproof.ChallengeMatrices;
import dev.popw.gpuproof.Challenges;
import dev.popw.gpuproof.CpuProver;
import dev.popw.gpuproof.OpenSelection;
import dev.popw.gpuproof.Openings;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.gpuproof.TileMath;
import dev.popw.gpuproof.TileTree;
import dev.popw.gpuproof.TileVerifier;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.GpuCommitment;
import dev.popw.proto.v1.GpuOpening;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.GpuTileOpening;
import dev.popw.proto.v1.MatmulChallenge;
import dev.popw.proto.v1.OpenRequest;
import dev.popw.proto.v1.Telemetry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/run gpu-proof [--sizes 512,1024,2048,4096] [--trials 2000] [--gpu]}: what a GPU
 * capacity proof costs and how well it catches cheats (docs/gpu-proofs.md).
 *
 * <ol>
 *   <li>Prover (CPU reference, every core) against verifier (the coordinator's judgment of the
 *       whole challenge, one thread), per size: wall and CPU time, bytes exchanged, ratios. The
 *       verifier's cost is what {@link ChallengeJudge} spends: openings' Merkle proofs, the tile
 *       checks, the probe; not the envelopes' signature checks (ingest, about 60 us each).
 *   <li>Tile checks: recomputation against Freivalds' test, microseconds per tile.
 *   <li>Cheating provers through the real judge: a fraction f of tiles computed, an old answer
 *       replayed, a slower device that computes what it can before the deadline; detection rate
 *       against the bound 1 - f^k.
 *   <li>{@code --gpu}: the CUDA prover, when device-agent/target/cuda/popw-gpu-prover finds a GPU:
 *       its roots against the CPU prover's, and its time per size.
 * </ol>
 */
public final class GpuProofBenchmark {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final SoftwareSigner COORDINATOR = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
  private static final SoftwareSigner DEVICE = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
  private static final int K = GpuProofRules.defaults().openedTiles();
  private static final int Q = GpuProofRules.defaults().probeReads();

  public static void main(String[] args) throws Exception {
    int[] sizes = {512, 1024, 2048, 4096};
    int trials = 2000;
    boolean gpu = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--trials" -> trials = Integer.parseInt(args[++i]);
        case "--gpu" -> gpu = true;
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--sizes, --trials, --gpu)");
      }
    }
    System.out.printf(Locale.ROOT, "machine: %s, %d cores, Java %s, load average %.1f%n", cpuModel(), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    GpuClass def = GpuProofRules.defaults().byName("default");
    System.out.printf(Locale.ROOT, "k = %d opened tiles, %d probe blocks; default class (CPU-sized): n %d, tile %d, %d product, probe %d MiB%n%n",
        K, Q, def.n(), def.tile(), def.matrices(), def.maxProbeMib());
    try (CpuProver prover = new CpuProver(0)) {
      warmUp(prover);
      costs(prover, sizes, def.maxProbeMib() << 20);
      tileChecks(sizes);
      cheats(prover, trials);
    }
    if (gpu) {
      gpuPath();
    }
  }

  // ------------------------------------------------------------------------------ costs

  private static void warmUp(CpuProver prover) throws Exception {
    for (int i = 0; i < 3; i++) {
      ProofParameters p = new ProofParameters(seed(new Random(i)), 512, 8, 1, 1 << 20);
      Exchange x = exchange(prover.prove(p), p);
      for (int j = 0; j < 20; j++) {
        ChallengeJudge.judge(x.record, x.responses, TileVerifier.Method.AUTO);
      }
    }
  }

  private static void costs(CpuProver prover, int[] sizes, long probe) throws Exception {
    System.out.println("1. Prover (CPU reference, " + prover.threads() + " threads) against verifier (one thread), one product, tile 8, probe "
        + (probe >> 20) + " MiB");
    System.out.println("   n      ops     prove wall  prove CPU   verify wall  verify CPU  CPU ratio  bytes: challenge commit  open  openings  total  product   ratio");
    Random rnd = new Random(7);
    for (int n : sizes) {
      ProofParameters p = new ProofParameters(seed(rnd), n, 8, 1, probe);
      long cpu0 = processCpu();
      long w0 = System.nanoTime();
      CpuProver.Commitment c = prover.prove(p);
      long proveWall = System.nanoTime() - w0;
      long proveCpu = processCpu() - cpu0;
      Exchange x = exchange(c, p);
      long[] wall = new long[15];
      long[] cpu = new long[15];
      ChallengeVerdict v = null;
      for (int i = 0; i < wall.length; i++) {
        long t0 = THREADS.getCurrentThreadCpuTime();
        long s0 = System.nanoTime();
        v = ChallengeJudge.judge(x.record, x.responses, TileVerifier.Method.AUTO);
        wall[i] = System.nanoTime() - s0;
        cpu[i] = THREADS.getCurrentThreadCpuTime() - t0;
      }
      if (v.status() != ChallengeStatus.VALID) {
        throw new IllegalStateException("the honest answer was judged " + v.reason() + ": " + v.explanation());
      }
      long vw = median(wall);
      long vc = median(cpu);
      long product = 4L * n * n * p.matrices();
      System.out.printf(Locale.ROOT, "%6d  %8.2e  %9.3f s  %8.3f s  %9.2f ms  %8.2f ms  %8.3f%%  %8d %7d %5d %9d %6d  %7.1f MB  %5.2f%%%n", n,
          p.operations(), proveWall / 1e9, proveCpu / 1e9, vw / 1e6, vc / 1e6, 100.0 * vc / proveCpu, x.challengeBytes, x.commitBytes,
          x.openBytes, x.openingBytes, x.total(), product / 1e6, 100.0 * x.total() / product);
    }
    System.out.println();
  }

  private static void tileChecks(int[] sizes) {
    System.out.println("2. Checking one opened tile (operands generated, then the check), microseconds, median of 200");
    System.out.println("   n      8x8 recompute  8x8 freivalds  16x16 recompute  16x16 freivalds");
    Random rnd = new Random(3);
    for (int n : sizes) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%6d", n));
      for (int tile : new int[] {8, 16}) {
        ProofParameters p = new ProofParameters(seed(rnd), n, tile, 1, 0);
        byte[] openSeed = seed(rnd);
        byte[] data = TileMath.bytes(TileMath.product(p, TileMath.operands(p, 5)));
        long[] r = new long[200];
        long[] f = new long[200];
        for (int i = 0; i < 200; i++) {
          long t0 = System.nanoTime();
          TileVerifier.check(p, 5, data, TileVerifier.Method.RECOMPUTE, openSeed);
          r[i] = System.nanoTime() - t0;
          t0 = System.nanoTime();
          TileVerifier.check(p, 5, data, TileVerifier.Method.FREIVALDS, openSeed);
          f[i] = System.nanoTime() - t0;
        }
        row.append(String.format(Locale.ROOT, "  %13.1f  %13.1f", median(r) / 1e3, median(f) / 1e3));
      }
      System.out.println(row);
    }
    System.out.println();
  }

  // ------------------------------------------------------------------------------ cheats

  private static void cheats(CpuProver prover, int trials) throws Exception {
    // A small stand-in challenge (4 products of 64 x 64, 256 tiles) so that thousands of trials run
    // through the real judge; what is simulated is which tiles were computed, which does not depend on n.
    System.out.println("3. Cheating provers, " + trials + " trials each through the real judge (stand-in challenge: 4 products of 64 x 64,"
        + " 256 tiles)");
    Random rnd = new Random(11);
    for (int k : new int[] {8, K}) {
      System.out.println("   a fraction f of the tiles computed, the rest made up (a consistent tree over them), k = " + k + ":");
      System.out.println("     f       detected   bound 1 - f^k");
      for (double f : new double[] {0.5, 0.8, 0.9, 0.95, 0.99}) {
        int caught = 0;
        for (int t = 0; t < trials; t++) {
          caught += fractionCheat(prover, rnd, f, k) ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "     %.2f    %7.4f    %.4f%n", f, (double) caught / trials, 1 - Math.pow(f, k));
      }
    }
    int replayCaught = 0;
    int replayTrials = Math.max(50, trials / 20);
    for (int t = 0; t < replayTrials; t++) {
      ProofParameters now = new ProofParameters(seed(rnd), 64, 8, 4, 4096);
      ProofParameters old = new ProofParameters(seed(rnd), 64, 8, 4, 4096);
      Exchange replay = exchange(prover.prove(old), now, 1000, K);
      replayCaught += ChallengeJudge.judge(replay.record, replay.responses, TileVerifier.Method.AUTO).isValid() ? 0 : 1;
    }
    System.out.printf(Locale.ROOT, "   an old answer replayed for a new challenge: detected %d of %d (%s)%n", replayCaught, replayTrials,
        replayCaught == replayTrials ? "every time" : "NOT every time");
    // A slower device: a class's challenge at its deadline; the device has s times the class's throughput.
    GpuProofRules rules = GpuProofRules.defaults();
    GpuClass h100 = rules.byName("h100");
    double classSeconds = h100.operations() / (h100.tops() * 1e12);
    double deadline = rules.commitDeadlineMs(h100) / 1000.0;
    System.out.printf(Locale.ROOT, "   a slower device answering an h100 challenge (%.3g ops: %.1f s at the class's %s TOPS; deadline %.1f s),%n"
        + "   computing what it can until 1 s before the deadline and making up the rest (k = %d):%n", h100.operations(), classSeconds,
        h100.tops(), deadline, K);
    System.out.println("     speed   computed f   detected   bound 1 - f^k   (e.g.)");
    for (double s : new double[] {1.0, 0.8, 0.6, 0.55, 0.5, 0.4, 0.25}) {
      double f = Math.min(1.0, s * (deadline - 1) / classSeconds);
      int caught = 0;
      for (int t = 0; t < trials; t++) {
        caught += fractionCheat(prover, rnd, f, K) ? 1 : 0;
      }
      String eg = s == 0.4 ? "an A100 or RTX 4090 claiming H100" : s == 0.25 ? "an RTX 3090 claiming H100" : "";
      System.out.printf(Locale.ROOT, "     %.2f    %.3f        %7.4f    %.4f          %s%n", s, f, (double) caught / trials, 1 - Math.pow(f, K), eg);
    }
    System.out.println();
  }

  /** One trial: the prover commits to tiles of which only a fraction f are right; true when the judge says INVALID. */
  private static boolean fractionCheat(CpuProver prover, Random rnd, double f, int k) throws Exception {
    ProofParameters p = STANDIN;
    CpuProver.Commitment honest = HONEST;
    int leaves = (int) p.leaves();
    Set<Long> wrong = new HashSet<>();
    int bad = (int) Math.round((1 - f) * leaves);
    while (wrong.size() < bad) {
      wrong.add((long) rnd.nextInt(leaves));
    }
    byte[][] data = new byte[leaves][];
    byte[] leafHashes = new byte[32 * leaves];
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (int l = 0; l < leaves; l++) {
      data[l] = honest.open(l).getData().toByteArray();
      if (wrong.contains((long) l)) {
        data[l] = data[l].clone();
        rnd.nextBytes(data[l]);
      }
      System.arraycopy(TileTree.leafHash(d, l, data[l], 0, data[l].length), 0, leafHashes, 32 * l, 32);
    }
    TileTree tree = TileTree.build(leafHashes, leaves, p.height());
    Exchange x = exchange(tree.root(), p, l -> {
      GpuTileOpening.Builder b = GpuTileOpening.newBuilder().setIndex(l).setData(ByteString.copyFrom(data[(int) l]));
      tree.proof(l).forEach(s -> b.addProof(ByteString.copyFrom(s)));
      return b.build();
    }, honest::read, 1000, k);
    return !ChallengeJudge.judge(x.record, x.responses, TileVerifier.Method.AUTO).isValid();
  }

  private static final ProofParameters STANDIN = new ProofParameters(seed(new Random(99)), 64, 8, 4, 4096);
  private static final CpuProver.Commitment HONEST;

  static {
    try (CpuProver p = new CpuProver(1)) {
      HONEST = p.prove(STANDIN);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------------------ the exchange

  /** What goes over the wire for one challenge, and the records the judge reads. */
  private record Exchange(ChallengeRecord record, List<Evidence> responses, int challengeBytes, int commitBytes, int openBytes,
      int openingBytes) {
    int total() {
      return challengeBytes + commitBytes + openBytes + openingBytes;
    }
  }

  private static Exchange exchange(CpuProver.Commitment c, ProofParameters p) throws Exception {
    return exchange(c, p, 1000, K);
  }

  private static Exchange exchange(CpuProver.Commitment c, ProofParameters p, long commitAfterMs, int k) throws Exception {
    return exchange(c.root(), p, c::open, c::read, commitAfterMs, k);
  }

  interface Opener {
    GpuTileOpening open(long leaf) throws Exception;
  }

  interface Reader {
    GpuProbeRead read(long block) throws Exception;
  }

  private static final AtomicLong IDS = new AtomicLong();

  private static Exchange exchange(byte[] root, ProofParameters p, Opener opener, Reader reader, long commitAfterMs, int k) throws Exception {
    long id = IDS.incrementAndGet();
    long issued = 1_795_521_600_000L;
    byte[] openSeed = seed(new Random(id));
    GpuProofRules rules = GpuProofRules.defaults();
    ChallengeRecord rec = new ChallengeRecord(id, DEVICE.deviceId().toString(), "GPU-1", "default", p, openSeed, k, Q, issued, 60_000, 0,
        30_000, 1, issued + commitAfterMs + 1);
    Challenge ch = Challenge.newBuilder().setChallengeId(id).setDeviceId(ByteString.copyFrom(DEVICE.deviceId().toBytes())).setIssuedAtMs(issued)
        .setWork(MatmulChallenge.newBuilder().setSeed(ByteString.copyFrom(p.seed())).setN(p.n()).setTile(p.tile()).setMatrices(p.matrices())
            .setGpuUuid("GPU-00000000-0000-0000-0000-000000000001").setCommitDeadlineMs(60_000).setOpenDeadlineMs(30_000)
            .setProbeBytes(p.probeBytes()).setGpuClass("default"))
        .build();
    int challengeBytes = Challenges.sign(ch, COORDINATOR).length;
    List<Evidence> responses = new ArrayList<>();
    EnvelopeSealer sealer = EnvelopeSealer.builder().signer(DEVICE).sequence(new java.util.concurrent.atomic.AtomicLong(1)::getAndIncrement)
        .clock(Clock.fixed(Instant.ofEpochMilli(issued + commitAfterMs), ZoneOffset.UTC)).networkId("popw-bench").build();
    SealedEnvelope commit = sealer.seal(GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(id)
        .setCommitment(GpuCommitment.newBuilder().setRoot(ByteString.copyFrom(root)).setComputeMs(commitAfterMs).setProver("cpu-java"))).build());
    responses.add(evidence(commit, issued + commitAfterMs));
    List<Long> tiles = OpenSelection.tiles(openSeed, root, k, p.leaves());
    List<Long> blocks = OpenSelection.probeBlocks(openSeed, root, Q, p.probeBlocks());
    Challenge open = Challenge.newBuilder().setChallengeId(id).setDeviceId(ByteString.copyFrom(DEVICE.deviceId().toBytes()))
        .setIssuedAtMs(issued + commitAfterMs).setOpen(OpenRequest.newBuilder().setRoot(ByteString.copyFrom(root)).addAllTiles(tiles)
            .addAllProbeBlocks(blocks)).build();
    int openBytes = Challenges.sign(open, COORDINATOR).length;
    List<GpuTileOpening> ts = new ArrayList<>();
    for (long t : tiles) {
      ts.add(opener.open(t));
    }
    List<GpuProbeRead> rs = new ArrayList<>();
    for (long b : blocks) {
      rs.add(reader.read(b));
    }
    int openingBytes = 0;
    for (GpuOpening part : Openings.parts(ts, rs, Openings.MAX_PART_BYTES)) {
      SealedEnvelope e = sealer.seal(GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(id).setOpening(part)).build());
      openingBytes += e.bytes().length;
      responses.add(evidence(e, issued + commitAfterMs + 500));
    }
    return new Exchange(rec, responses, challengeBytes, commit.bytes().length, openBytes, openingBytes);
  }

  private static Evidence evidence(SealedEnvelope e, long receivedAt) {
    Telemetry t = e.telemetry();
    return new Evidence(e.hash(), DEVICE.deviceId().toString(), t.getSequence(), t.getTimestampMs(), receivedAt, 0, WorkKind.GPU, t);
  }

  // ------------------------------------------------------------------------------ the GPU path

  private static void gpuPath() throws Exception {
    Path program = Path.of("device-agent/target/cuda/popw-gpu-prover");
    System.out.println("4. GPU path (CUDA prover, " + program + ")");
    if (!Files.isExecutable(program)) {
      System.out.println("   not available: " + program + " is not built (device-agent/cuda/build.sh needs nvcc); nothing measured");
      return;
    }
    Process info = new ProcessBuilder(program.toString(), "--info").redirectErrorStream(true).start();
    String out = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    info.waitFor(30, TimeUnit.SECONDS);
    if (info.exitValue() != 0) {
      System.out.println("   not available: " + out + "; nothing measured");
      return;
    }
    System.out.println("   " + out.replace("\n", "\n   "));
    String uuid = out.lines().findFirst().orElseThrow().split(" ")[2];
    Random rnd = new Random(5);
    try (CpuProver cpu = new CpuProver(0)) {
      for (int[] s : new int[][] {{256, 1}, {1024, 1}, {2048, 2}, {4096, 1}}) {
        ProofParameters p = new ProofParameters(seed(rnd), s[0], 8, s[1], 1 << 20);
        GpuRun g = runGpu(program, uuid, p);
        byte[] expected = cpu.prove(p).root();
        System.out.printf(Locale.ROOT, "   n %5d x %d: root %s the CPU prover's, %d ms on the GPU; opened tiles %s%n", s[0], s[1],
            Arrays.equals(g.root, expected) ? "equals" : "DIFFERS FROM", g.ms, g.openingsOk ? "verify" : "DO NOT VERIFY");
      }
    }
    for (int[] s : new int[][] {{8192, 1}, {16384, 1}, {16384, 8}, {16384, 64}}) {
      ProofParameters p = new ProofParameters(seed(rnd), s[0], 8, s[1], 1L << 30);
      GpuRun g = runGpu(program, uuid, p);
      System.out.printf(Locale.ROOT, "   n %5d x %3d: %8d ms, %.1f TOPS effective (hashing and the 1 GiB probe included); openings %s%n", s[0], s[1],
          g.ms, p.operations() / (g.ms / 1000.0) / 1e12, g.openingsOk ? "verify" : "DO NOT VERIFY");
    }
  }

  private record GpuRun(byte[] root, long ms, boolean openingsOk) {}

  private static GpuRun runGpu(Path program, String uuid, ProofParameters p) throws Exception {
    Process proc = new ProcessBuilder(program.toString(), "--prove", uuid, Integer.toString(p.n()), Integer.toString(p.tile()),
        Integer.toString(p.matrices()), HexFormat.of().formatHex(p.seed()), Long.toString(p.probeBytes())).redirectErrorStream(true).start();
    BufferedReader in = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.US_ASCII));
    Writer w = new OutputStreamWriter(proc.getOutputStream(), StandardCharsets.US_ASCII);
    String line = in.readLine();
    if (line == null || !line.startsWith("root ")) {
      throw new IllegalStateException("popw-gpu-prover: " + line);
    }
    byte[] root = HexFormat.of().parseHex(line.split(" ")[1]);
    long ms = Long.parseLong(line.split(" ")[2]);
    boolean ok = true;
    byte[] openSeed = seed(new Random(1));
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (long leaf : OpenSelection.tiles(openSeed, root, 4, p.leaves())) {
      w.write("open " + leaf + "\n");
      w.flush();
      String[] a = in.readLine().split(" ");
      byte[] data = HexFormat.of().parseHex(a[2]);
      List<byte[]> proof = new ArrayList<>();
      for (String s : a[3].split(",")) {
        proof.add(HexFormat.of().parseHex(s));
      }
      ok &= TileTree.verify(leaf, TileTree.leafHash(d, leaf, data, 0, data.length), proof, root, p.height())
          && TileVerifier.check(p, leaf, data, TileVerifier.Method.AUTO, openSeed) == null;
    }
    w.write("read 3\n");
    w.flush();
    String[] b = in.readLine().split(" ");
    ok &= Arrays.equals(HexFormat.of().parseHex(b[2]), dev.popw.gpuproof.MemoryProbe.block(ChallengeMatrices.keyProbe(p.seed()), 3));
    w.write("quit\n");
    w.flush();
    proc.waitFor(30, TimeUnit.SECONDS);
    return new GpuRun(root, ms, ok);
  }

  // ------------------------------------------------------------------------------ helpers

  private static byte[] seed(Random r) {
    byte[] b = new byte[32];
    r.nextBytes(b);
    return b;
  }

  private static long median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    } catch (java.io.IOException e) {
      return "unknown CPU";
    }
  }
}
