package dev.popw.coordinator.validation.gpu;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.validation.ChallengeRecord;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.gpuproof.ChallengeMatrices;
import dev.popw.gpuproof.MemoryProbe;
import dev.popw.gpuproof.OpenSelection;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.gpuproof.TileTree;
import dev.popw.gpuproof.TileVerifier;
import dev.popw.proto.v1.GpuOpening;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuTileOpening;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides one GPU capacity challenge from its record and the device's answers: a pure function
 * of recorded data (the coordinator's receipt times, never the device's clock or the wall clock at
 * judgment), so the live check and the epoch's re-validation agree. The first failing rule decides:
 *
 * <ol>
 *   <li>PROVER_FAILED: the device reported a failure before committing;
 *   <li>TIMEOUT: no commitment received within the commitment deadline;
 *   <li>TOO_FAST: the commitment came sooner than the class's peak throughput allows;
 *   <li>BAD_COMMITMENT: the root is not 32 bytes;
 *   <li>VOID (NOT_OPENED): the coordinator sent no open request within half the open deadline;
 *   <li>TIMEOUT: no opening part received within the open deadline after the commitment;
 *   <li>INCOMPLETE_OPENING: a named tile or probe block is missing from the parts received in time;
 *   <li>BAD_COMMITMENT: a tile's Merkle proof does not lead to the root;
 *   <li>WRONG_TILE: a tile is not A x B there (recomputed or Freivalds' test);
 *   <li>MEMORY_MISMATCH: a probe block is not what the seed fills it with.
 * </ol>
 */
public final class ChallengeJudge {
  private ChallengeJudge() {}

  public static ChallengeVerdict judge(ChallengeRecord c, List<Evidence> responses, TileVerifier.Method method) {
    ProofParameters p = c.parameters();
    Evidence commit = null;
    List<Evidence> afterCommit = new ArrayList<>();
    for (Evidence e : responses) {
      GpuProof proof = e.telemetry().getGpu().getProof();
      if (proof.getChallengeId() != c.id()) {
        continue;
      }
      if (commit == null) {
        if (proof.hasFailure()) {
          return invalid(c, WorkReason.PROVER_FAILED, "the device's prover failed before committing: " + proof.getFailure().getReason());
        }
        if (proof.hasCommitment()) {
          commit = e;
        }
      } else {
        afterCommit.add(e);
      }
    }
    if (commit == null) {
      return invalid(c, WorkReason.TIMEOUT, String.format(Locale.ROOT, "no commitment received within %s of the challenge (class %s, %s)",
          seconds(c.commitDeadlineMs()), c.gpuClass(), p.describe()));
    }
    long elapsed = commit.receivedAt() - c.issuedAt();
    if (elapsed > c.commitDeadlineMs()) {
      return invalid(c, WorkReason.TIMEOUT, String.format(Locale.ROOT, "the commitment arrived %s after the challenge; the deadline"
          + " for class %s is %s (%s, %.3g operations)", seconds(elapsed), c.gpuClass(), seconds(c.commitDeadlineMs()), p.describe(),
          p.operations()));
    }
    if (elapsed < c.tooFastMs()) {
      return invalid(c, WorkReason.TOO_FAST, String.format(Locale.ROOT, "the commitment arrived %s after the challenge; %.3g operations"
          + " take at least %s at the peak throughput of class %s", seconds(elapsed), p.operations(), seconds(c.tooFastMs()), c.gpuClass()));
    }
    byte[] root = commit.telemetry().getGpu().getProof().getCommitment().getRoot().toByteArray();
    if (root.length != 32) {
      return invalid(c, WorkReason.BAD_COMMITMENT, "the commitment's root has " + root.length + " bytes, not 32");
    }
    if (c.openIssuedAt() == null || c.openIssuedAt() > commit.receivedAt() + c.openDeadlineMs() / 2) {
      return new ChallengeVerdict(c.id(), c.deviceId(), ChallengeStatus.VOID, WorkReason.NOT_OPENED,
          "the coordinator did not send its open request in time after the commitment; the challenge counts neither way", 0);
    }
    long openBy = commit.receivedAt() + c.openDeadlineMs();
    Map<Long, GpuTileOpening> tiles = new LinkedHashMap<>();
    Map<Long, GpuProbeRead> blocks = new LinkedHashMap<>();
    boolean anyInTime = false;
    boolean anyLate = false;
    for (Evidence e : afterCommit) {
      GpuProof proof = e.telemetry().getGpu().getProof();
      if (e.receivedAt() > openBy) {
        anyLate |= proof.hasOpening();
        continue;
      }
      if (proof.hasFailure()) {
        return invalid(c, WorkReason.PROVER_FAILED, "the device's prover failed while opening: " + proof.getFailure().getReason());
      }
      if (proof.hasOpening()) {
        anyInTime = true;
        GpuOpening o = proof.getOpening();
        for (GpuTileOpening t : o.getTilesList()) {
          tiles.putIfAbsent(t.getIndex(), t);
        }
        for (GpuProbeRead r : o.getProbeReadsList()) {
          blocks.putIfAbsent(r.getBlock(), r);
        }
      }
    }
    List<Long> named = OpenSelection.tiles(c.openSeed(), root, c.openedTiles(), p.leaves());
    List<Long> namedBlocks = OpenSelection.probeBlocks(c.openSeed(), root, c.probeReads(), p.probeBlocks());
    if (!anyInTime) {
      return invalid(c, WorkReason.TIMEOUT, String.format(Locale.ROOT, "no opening received within %s of the commitment%s",
          seconds(c.openDeadlineMs()), anyLate ? " (one came later)" : ""));
    }
    List<Long> missing = new ArrayList<>();
    for (long t : named) {
      if (!tiles.containsKey(t)) {
        missing.add(t);
      }
    }
    List<Long> missingBlocks = new ArrayList<>();
    for (long b : namedBlocks) {
      if (!blocks.containsKey(b)) {
        missingBlocks.add(b);
      }
    }
    if (!missing.isEmpty() || !missingBlocks.isEmpty()) {
      return invalid(c, anyLate ? WorkReason.TIMEOUT : WorkReason.INCOMPLETE_OPENING, String.format(Locale.ROOT,
          "the openings received within %s of the commitment lack %d of %d named tiles%s and %d of %d probe blocks%s",
          seconds(c.openDeadlineMs()), missing.size(), named.size(), list(missing), missingBlocks.size(), namedBlocks.size(),
          list(missingBlocks)));
    }
    MessageDigest d = sha256();
    for (long t : named) {
      GpuTileOpening o = tiles.get(t);
      byte[] data = o.getData().toByteArray();
      List<byte[]> proof = new ArrayList<>(o.getProofCount());
      for (ByteString s : o.getProofList()) {
        proof.add(s.toByteArray());
      }
      if (data.length != p.tileBytes()) {
        return invalid(c, WorkReason.BAD_COMMITMENT, "tile " + t + " has " + data.length + " bytes, not " + p.tileBytes());
      }
      if (!TileTree.verify(t, TileTree.leafHash(d, t, data, 0, data.length), proof, root, p.height())) {
        return invalid(c, WorkReason.BAD_COMMITMENT, "tile " + t + "'s Merkle proof does not lead to the committed root");
      }
      String wrong = TileVerifier.check(p, t, data, method, c.openSeed());
      if (wrong != null) {
        return invalid(c, WorkReason.WRONG_TILE, wrong);
      }
    }
    long key = ChallengeMatrices.keyProbe(p.seed());
    for (long b : namedBlocks) {
      byte[] got = blocks.get(b).getData().toByteArray();
      if (!MessageDigest.isEqual(got, MemoryProbe.block(key, b))) {
        return invalid(c, WorkReason.MEMORY_MISMATCH, String.format(Locale.ROOT, "probe block %d (bytes %d-%d of %d MiB) read back wrong", b,
            b * 64, b * 64 + 63, p.probeBytes() >> 20));
      }
    }
    TileVerifier.Method m = method == TileVerifier.Method.AUTO ? TileVerifier.Method.cheaper(p.tile()) : method;
    double passBound = Math.pow(0.9, named.size());
    return new ChallengeVerdict(c.id(), c.deviceId(), ChallengeStatus.VALID, WorkReason.OK, String.format(Locale.ROOT,
        "%s (%.3g operations) committed %s after the challenge (deadline %s, class %s); %d of %d tiles opened and checked (%s)"
            + ", so a device that computed 90%% of them would have passed with probability at most %.2g; %d probe blocks of %d MiB"
            + " read back intact", p.describe(), p.operations(), seconds(elapsed), seconds(c.commitDeadlineMs()), c.gpuClass(), named.size(),
        p.leaves(), m.name().toLowerCase(Locale.ROOT), passBound, namedBlocks.size(), p.probeBytes() >> 20), c.units());
  }

  private static ChallengeVerdict invalid(ChallengeRecord c, String reason, String explanation) {
    return new ChallengeVerdict(c.id(), c.deviceId(), ChallengeStatus.INVALID, reason, explanation, 0);
  }

  static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.3f s", ms / 1000.0);
  }

  private static String list(List<Long> l) {
    if (l.isEmpty()) {
      return "";
    }
    List<Long> shown = l.size() > 8 ? l.subList(0, 8) : l;
    return " (" + shown.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("") + (l.size() > 8 ? ", ..." : "") + ")";
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
