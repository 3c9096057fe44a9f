package dev.popw.agent.gpu;

import com.google.protobuf.ByteString;
import dev.popw.agent.source.Source;
import dev.popw.agent.source.TelemetrySink;
import dev.popw.gpuproof.Challenges;
import dev.popw.gpuproof.Openings;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.identity.DeviceId;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.GpuCommitment;
import dev.popw.proto.v1.GpuOpening;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuProverFailure;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.GpuTileOpening;
import dev.popw.proto.v1.MatmulChallenge;
import dev.popw.proto.v1.OpenRequest;
import dev.popw.proto.v1.Telemetry;
import dev.popw.receipt.ReceiptTrust;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the coordinator's GPU capacity challenges (docs/gpu-proofs.md): takes a challenge only
 * when it verifies under the pinned coordinator key and names this device (anything else is counted
 * and ignored), computes it with the prover the agent picked (CUDA when a GPU, driver and
 * popw-gpu-prover are present, the CPU reference otherwise), sends the commitment, and when the
 * open request names the tiles and probe blocks, sends them with their Merkle proofs, in parts of at
 * most {@value #MAX_PART_BYTES} bytes. Everything goes out as ordinary signed GPU telemetry
 * through the outbox. One challenge at a time: a newer one replaces an unfinished one.
 */
public final class ProofResponder implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(ProofResponder.class);
  /** Largest opening part: well under the coordinator's 16 KiB envelope limit. */
  public static final int MAX_PART_BYTES = Openings.MAX_PART_BYTES;

  private final DeviceId device;
  private final ReceiptTrust trust;
  private final GpuProver prover;
  private final String proverStatus;
  private final Clock clock;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "popw-gpu-proof");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong lastIgnoredLog = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong ignored = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private volatile TelemetrySink sink;
  private volatile long lastId;
  private volatile Current current;
  private volatile String last = "waiting for a challenge";

  /** The challenge being answered. */
  private static final class Current {
    final Challenge challenge;
    volatile GpuProver.Proof proof;
    volatile boolean opened;

    Current(Challenge challenge) {
      this.challenge = challenge;
    }
  }

  /**
   * @param proverStatus how the prover was chosen, for the status line ("CPU prover: popw-gpu-prover not found ...")
   */
  public ProofResponder(DeviceId device, ReceiptTrust trust, GpuProver prover, String proverStatus, Clock clock) {
    this.device = device;
    this.trust = trust;
    this.prover = prover;
    this.proverStatus = proverStatus;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "gpu-proofs";
  }

  @Override
  public void start(TelemetrySink sink, ScheduledExecutorService scheduler) {
    this.sink = sink;
    LOG.info("gpu-proofs: {}", proverStatus);
  }

  /** A message from the challenges topic or a CoAP poll: checked here, acted on by the worker. */
  public void onMessage(byte[] payload) {
    Challenges.Check check = Challenges.check(trust, payload, device);
    if (!check.isValid()) {
      ignored(String.valueOf(check.failure()));
      return;
    }
    Challenge c = check.challenge();
    if (c.hasWork()) {
      if (Long.compareUnsigned(c.getChallengeId(), lastId) <= 0) {
        return; // seen (a repeated publish, a poll answering the same one) or replayed
      }
      long age = clock.millis() - c.getIssuedAtMs();
      if (age > c.getWork().getCommitDeadlineMs()) {
        ignored("challenge " + c.getChallengeId() + " was issued " + age + " ms ago, past its deadline");
        return;
      }
      lastId = c.getChallengeId();
      Current prev = current;
      Current now = new Current(c);
      current = now;
      if (prev != null && prev.proof == null) {
        prover.close(); // a newer challenge replaces one still being computed
      }
      worker.execute(() -> work(now));
    } else if (c.hasOpen()) {
      Current cur = current;
      if (cur == null || cur.challenge.getChallengeId() != c.getChallengeId() || cur.opened) {
        return;
      }
      worker.execute(() -> open(cur, c.getOpen()));
    }
  }

  /** Counts an ignored message; logs at most once a minute (anyone who can publish on the topic could flood the log). */
  private void ignored(String why) {
    long n = ignored.incrementAndGet();
    long now = System.nanoTime();
    long prev = lastIgnoredLog.get();
    if ((prev == Long.MIN_VALUE || now - prev > 60_000_000_000L) && lastIgnoredLog.compareAndSet(prev, now)) {
      LOG.warn("gpu-proofs: ignoring a challenge message: {} ({} ignored so far)", why, n);
    }
  }

  private void work(Current cur) {
    if (current != cur) {
      return;
    }
    Challenge c = cur.challenge;
    MatmulChallenge w = c.getWork();
    ProofParameters p;
    try {
      p = ProofParameters.of(w);
    } catch (IllegalArgumentException e) {
      fail(c, "the challenge is malformed: " + e.getMessage());
      return;
    }
    String refused = prover.refusal(p);
    if (refused != null) {
      fail(c, refused);
      return;
    }
    last = "computing challenge " + c.getChallengeId() + " (" + p.describe() + ", class " + w.getGpuClass() + ")";
    try {
      GpuProver.Proof proof = prover.prove(p, w.getGpuUuid());
      if (current != cur) {
        proof.close();
        return;
      }
      cur.proof = proof;
      send(c, GpuProof.newBuilder().setCommitment(GpuCommitment.newBuilder().setRoot(ByteString.copyFrom(proof.root()))
          .setComputeMs(proof.computeMillis()).setProver(prover.describe())));
      last = "challenge " + c.getChallengeId() + " committed after " + proof.computeMillis() + " ms (" + p.describe() + ")";
      LOG.info("gpu-proofs: {}", last);
    } catch (Exception e) {
      if (current == cur) {
        fail(c, e.getMessage() == null ? e.toString() : e.getMessage());
      }
    } catch (OutOfMemoryError e) {
      fail(c, "out of memory: " + e.getMessage() + " (raise -Xmx with POPW_AGENT_JAVA_OPTS)");
    }
  }

  private void open(Current cur, OpenRequest req) {
    GpuProver.Proof proof = cur.proof;
    Challenge c = cur.challenge;
    if (proof == null || cur.opened || !Arrays.equals(proof.root(), req.getRoot().toByteArray())) {
      return;
    }
    cur.opened = true;
    try {
      List<GpuTileOpening> tiles = new ArrayList<>();
      for (long t : req.getTilesList()) {
        tiles.add(proof.open(t));
      }
      List<GpuProbeRead> reads = new ArrayList<>();
      for (long b : req.getProbeBlocksList()) {
        reads.add(proof.read(b));
      }
      List<GpuOpening> parts = Openings.parts(tiles, reads, MAX_PART_BYTES);
      for (GpuOpening part : parts) {
        send(c, GpuProof.newBuilder().setOpening(part));
      }
      answered.incrementAndGet();
      last = "challenge " + c.getChallengeId() + " opened: " + req.getTilesCount() + " tiles, " + req.getProbeBlocksCount()
          + " probe blocks in " + parts.size() + " part" + (parts.size() == 1 ? "" : "s");
      LOG.info("gpu-proofs: {}", last);
    } catch (Exception e) {
      fail(c, "opening failed: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    } finally {
      proof.close();
    }
  }

  private void fail(Challenge c, String reason) {
    last = "challenge " + c.getChallengeId() + " failed: " + reason;
    LOG.warn("gpu-proofs: {}", last);
    send(c, GpuProof.newBuilder().setFailure(GpuProverFailure.newBuilder().setReason(reason.length() > 500 ? reason.substring(0, 500) : reason)));
  }

  private void send(Challenge c, GpuProof.Builder proof) {
    TelemetrySink s = sink;
    if (s != null) {
      s.accept(Telemetry.newBuilder().setGpu(GpuReport.newBuilder().setProof(proof.setChallengeId(c.getChallengeId()))));
    }
  }

  /** Challenges answered (openings sent) so far. */
  public long answered() {
    return answered.get();
  }

  public long ignored() {
    return ignored.get();
  }

  @Override
  public String status() {
    return proverStatus + "; " + answered.get() + " answered, " + ignored.get() + " ignored; " + last;
  }

  @Override
  public void close() {
    prover.close();
    worker.shutdownNow();
  }
}
