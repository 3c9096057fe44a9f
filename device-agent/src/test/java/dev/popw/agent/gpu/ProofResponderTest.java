package dev.popw.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.gpuproof.ChallengeMatrices;
import dev.popw.gpuproof.Challenges;
import dev.popw.gpuproof.CpuProver;
import dev.popw.gpuproof.MemoryProbe;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.gpuproof.TileTree;
import dev.popw.gpuproof.TileVerifier;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuTileOpening;
import dev.popw.proto.v1.MatmulChallenge;
import dev.popw.proto.v1.OpenRequest;
import dev.popw.proto.v1.SignedChallenge;
import dev.popw.proto.v1.Telemetry;
import dev.popw.testing.Await;
import dev.popw.testing.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's side of a challenge: only the pinned coordinator's, once; commitment, openings that verify, failures reported. */
class ProofResponderTest {
  @TempDir Path tmp;
  final SoftwareSigner device = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
  final List<GpuProof> sent = new CopyOnWriteArrayList<>();

  ProofResponder responder() {
    ProofResponder r = new ProofResponder(device.deviceId(), TestKeys.coordinatorTrust(), new CpuGpuProver(2), "CPU prover (test)",
        Clock.systemUTC());
    r.start(t -> sent.add(((Telemetry.Builder) t).getGpu().getProof()), null);
    return r;
  }

  Challenge work(long id, int n, long probe) {
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    return Challenge.newBuilder().setChallengeId(id).setDeviceId(ByteString.copyFrom(device.deviceId().toBytes()))
        .setIssuedAtMs(System.currentTimeMillis()).setWork(MatmulChallenge.newBuilder().setSeed(ByteString.copyFrom(seed)).setN(n).setTile(8)
            .setMatrices(2).setGpuUuid("GPU-1").setCommitDeadlineMs(60_000).setOpenDeadlineMs(30_000).setProbeBytes(probe)).build();
  }

  @Test
  void answers_a_signed_challenge_with_a_commitment_and_openings_that_verify() throws Exception {
    try (ProofResponder r = responder()) {
      Challenge c = work(5, 64, 4096);
      r.onMessage(Challenges.sign(c, TestKeys.coordinator()));
      Await.until(Duration.ofSeconds(30), () -> sent.size() == 1, () -> "no commitment: " + r.status());
      byte[] root = sent.get(0).getCommitment().getRoot().toByteArray();
      ProofParameters p = ProofParameters.of(c.getWork());
      try (CpuProver independent = new CpuProver(1)) {
        assertArrayEquals(independent.prove(p).root(), root);
      }
      Challenge open = Challenge.newBuilder().setChallengeId(5).setDeviceId(c.getDeviceId()).setIssuedAtMs(System.currentTimeMillis())
          .setOpen(OpenRequest.newBuilder().setRoot(ByteString.copyFrom(root)).addAllTiles(List.of(3L, 77L, 120L)).addProbeBlocks(9)).build();
      r.onMessage(Challenges.sign(open, TestKeys.coordinator()));
      Await.until(Duration.ofSeconds(30), () -> sent.size() >= 2, () -> "no opening: " + r.status());
      var o = sent.get(1).getOpening();
      assertEquals(1, o.getParts());
      assertEquals(3, o.getTilesCount());
      for (GpuTileOpening t : o.getTilesList()) {
        byte[] data = t.getData().toByteArray();
        List<byte[]> proof = t.getProofList().stream().map(ByteString::toByteArray).toList();
        assertTrue(TileTree.verify(t.getIndex(), TileTree.leafHash(java.security.MessageDigest.getInstance("SHA-256"), t.getIndex(), data, 0, data.length), proof,
            root, p.height()));
        assertEquals(null, TileVerifier.check(p, t.getIndex(), data, TileVerifier.Method.RECOMPUTE, new byte[32]));
      }
      assertArrayEquals(MemoryProbe.block(ChallengeMatrices.keyProbe(p.seed()), 9), o.getProbeReads(0).getData().toByteArray());
      assertEquals(1, r.answered());
    }
  }

  @Test
  void unsigned_forged_misaddressed_and_repeated_challenges_are_ignored() throws Exception {
    try (ProofResponder r = responder()) {
      Challenge c = work(9, 64, 0);
      r.onMessage(SignedChallenge.newBuilder().setChallenge(c.toByteString()).build().toByteArray());
      r.onMessage(Challenges.sign(c, SoftwareSigner.generate(KeyType.ED25519, new SecureRandom())));
      r.onMessage(Challenges.sign(c.toBuilder().setDeviceId(ByteString.copyFrom(TestKeys.signer(KeyType.ED25519).deviceId().toBytes()))
          .build(), TestKeys.coordinator()));
      r.onMessage(Challenges.sign(c.toBuilder().setIssuedAtMs(System.currentTimeMillis() - 120_000).build(), TestKeys.coordinator()));
      assertEquals(4, r.ignored(), "unsigned, another key, another device, past its deadline");
      r.onMessage(Challenges.sign(c, TestKeys.coordinator()));
      r.onMessage(Challenges.sign(c, TestKeys.coordinator())); // the same id again (a repeated publish, a replay)
      r.onMessage(Challenges.sign(work(8, 64, 0), TestKeys.coordinator())); // an older id
      Await.until(Duration.ofSeconds(30), () -> sent.size() == 1, () -> r.status());
      Thread.sleep(300); // nothing else may follow: only one challenge was taken
      assertEquals(1, sent.size(), sent.toString());
      assertEquals(9, sent.get(0).getChallengeId());
      assertTrue(r.status().contains("4 ignored"), r.status());
    }
  }

  @Test
  void a_challenge_beyond_the_prover_is_answered_with_the_reason() throws Exception {
    try (ProofResponder r = responder()) {
      r.onMessage(Challenges.sign(work(3, 16384, 0), TestKeys.coordinator()));
      Await.until(Duration.ofSeconds(10), () -> sent.size() == 1, () -> r.status());
      assertTrue(sent.get(0).hasFailure());
      assertTrue(sent.get(0).getFailure().getReason().contains("n up to 8192"), sent.get(0).getFailure().getReason());
    }
  }

  @Test
  void without_a_cuda_prover_auto_falls_back_to_the_cpu_with_the_reason_and_cuda_refuses_to_start() throws Exception {
    Path fake = tmp.resolve("popw-gpu-prover");
    Files.writeString(fake, "#!/bin/sh\necho 'error no CUDA device: none found'\nexit 2\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    CudaProver.Detection d = CudaProver.detect(fake.toString());
    assertEquals(null, d.prover());
    assertEquals(fake + ": no CUDA device: none found", d.reason());
    CudaProver.Detection missing = CudaProver.detect(tmp.resolve("nope").toString());
    assertTrue(missing.reason().contains("not found (build it with device-agent/cuda/build.sh, which needs nvcc)"), missing.reason());
    Path ok = tmp.resolve("ok-prover");
    Files.writeString(ok, "#!/bin/sh\necho 'device 0 GPU-1 81559 NVIDIA H100 80GB HBM3'\n");
    Files.setPosixFilePermissions(ok, PosixFilePermissions.fromString("rwx------"));
    assertEquals("cuda NVIDIA H100 80GB HBM3", CudaProver.detect(ok.toString()).prover().describe());
  }
}
