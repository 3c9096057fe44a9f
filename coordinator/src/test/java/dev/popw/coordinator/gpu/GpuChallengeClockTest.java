package dev.popw.coordinator.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.store.GpuChallengeStore;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.gpu.GpuClass;
import dev.popw.coordinator.validation.gpu.GpuProofRules;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.gpuproof.Challenges;
import dev.popw.gpuproof.CpuProver;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuCommitment;
import dev.popw.proto.v1.GpuOpening;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.GpuTileOpening;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real coordinator (embedded database) on an injected clock, and a device played by the test with
 * the CPU prover: a challenge is issued when the clock says so, answered in time it is VALID; a late
 * commitment is TIMEOUT, an impossibly early one TOO_FAST, a wrong tile WRONG_TILE, a broken proof
 * BAD_COMMITMENT, missing openings TIMEOUT; the epoch's verdicts agree with the live checks and
 * give capacity units; a changed GPU set is FINGERPRINT_CHANGED.
 */
class GpuChallengeClockTest {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  static final String UUID = "GPU-5b2f6a3e-1c8d-4e0f-9a7b-2d3c4e5f6a7b";
  @TempDir Path tmp;

  MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
  Coordinator c;
  SoftwareSigner device;
  EnvelopeSealer sealer;
  CpuProver prover = new CpuProver(2);

  /** n 64, tile 8, 2 products (128 tiles), 1 MiB probe; commitment deadline 5 s + slack; TOO_FAST below peakTops. */
  static GpuProofRules rules(double peakTops) {
    return GpuProofRules.defaults().withIntervals(Duration.ofSeconds(1), Duration.ofSeconds(1))
        .withTiming(Duration.ofSeconds(3), Duration.ofSeconds(5), 1.5)
        .withClasses(List.of(new GpuClass("test", List.of("RTX 4090"), 1e-6, peakTops, 64, 8, 2, 4, 1)));
  }

  void start(GpuProofRules rules) {
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(tmp).withEmbeddedMqtt(-1)
        .withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1).withEpochs(Duration.ofSeconds(60), Duration.ofSeconds(1))
        .toBuilder().gpuProofs(rules).build();
    c = Coordinator.builder(s).clock(clock).closeEpochsAutomatically(false).start();
    device = SoftwareSigner.generate(KeyType.ED25519, new java.security.SecureRandom());
    c.registry().register(Registrations.sign(device, OWNER, DeviceKind.GPU, null, "popw-test", clock));
    sealer = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(1)).clock(clock).networkId("popw-test").build();
  }

  @BeforeEach
  void moveToEpochStart() {
    clock.set(Instant.ofEpochMilli(Instant.parse("2026-11-24T12:00:00Z").toEpochMilli()));
  }

  @AfterEach
  void stop() {
    if (c != null) {
      c.close();
    }
    prover.close();
  }

  static GpuReport.Builder gpus(String... models) {
    GpuReport.Builder r = GpuReport.newBuilder();
    for (int i = 0; i < models.length; i++) {
      r.addGpus(Gpu.newBuilder().setUuid(i == 0 ? UUID : "GPU-0000000" + i).setModel(models[i]).setMemoryTotalMib(24564).setTemperatureC(40));
    }
    return r;
  }

  IngestResult send(GpuReport.Builder r) throws Exception {
    IngestResult res = c.pipeline().submit(sealer.seal(r.build()).bytes(), null).join();
    assertTrue(res.accepted(), res.toString());
    c.gpuChallenges().awaitIdle();
    return res;
  }

  /** The device reports (which pins its fingerprint), the clock passes the pause, the coordinator challenges. */
  Challenge challenged() throws Exception {
    send(gpus("NVIDIA GeForce RTX 4090"));
    c.gpuChallenges().tick();
    clock.advance(Duration.ofSeconds(2));
    c.gpuChallenges().tick();
    byte[] msg = c.gpuChallenges().waitingFor(device.deviceId().toString()).orElseThrow(() -> new AssertionError("no challenge issued"));
    Challenges.Check check = Challenges.check(ReceiptTrust.pinned(c.receiptKey()), msg, device.deviceId());
    assertTrue(check.isValid() && check.authenticated(), String.valueOf(check.failure()));
    assertTrue(check.challenge().hasWork());
    assertEquals(UUID, check.challenge().getWork().getGpuUuid());
    assertEquals(1 << 20, check.challenge().getWork().getProbeBytes(), "min(class cap 1 MiB, half of 24564 MiB)");
    return check.challenge();
  }

  Challenge commit(Challenge ch, CpuProver.Commitment proof, Duration after) throws Exception {
    clock.set(Instant.ofEpochMilli(ch.getIssuedAtMs()).plus(after));
    send(GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(ch.getChallengeId())
        .setCommitment(GpuCommitment.newBuilder().setRoot(ByteString.copyFrom(proof.root())).setComputeMs(1).setProver("test"))));
    return c.gpuChallenges().waitingFor(device.deviceId().toString())
        .map(m -> Challenges.check(ReceiptTrust.pinned(c.receiptKey()), m, device.deviceId()).challenge()).orElse(null);
  }

  void openAll(Challenge open, CpuProver.Commitment proof, UnaryOperator<GpuTileOpening> tamper) throws Exception {
    openWith(open, open.getOpen().getTilesList().stream().map(t -> tamper.apply(proof.open(t))).toList(),
        open.getOpen().getProbeBlocksList().stream().map(proof::read).toList());
  }

  void openWith(Challenge open, List<GpuTileOpening> tiles, List<dev.popw.proto.v1.GpuProbeRead> reads) throws Exception {
    clock.advance(Duration.ofMillis(500));
    List<GpuOpening> parts = dev.popw.gpuproof.Openings.parts(tiles, reads, dev.popw.gpuproof.Openings.MAX_PART_BYTES);
    assertTrue(parts.size() > 1, "an opening of 32 tiles takes several envelopes");
    for (GpuOpening o : parts) {
      send(GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(open.getChallengeId()).setOpening(o)));
    }
  }

  GpuChallengeStore.ChallengeRow row(long id) {
    return c.store().gpuChallenges().row(id).orElseThrow();
  }

  @Test
  void a_challenge_answered_in_time_is_valid_at_once_and_when_its_epoch_closes() throws Exception {
    start(rules(1e6));
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    Challenge open = commit(ch, proof, Duration.ofSeconds(2));
    assertNotNull(open, "an open request follows the commitment");
    assertEquals(32, open.getOpen().getTilesCount());
    assertEquals(32, open.getOpen().getProbeBlocksCount());
    openAll(open, proof, t -> t);
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals("VALID", r.liveStatus(), r.liveExplanation());
    assertTrue(r.liveExplanation().contains("committed 2.000 s after the challenge"), r.liveExplanation());
    assertFalse(c.gpuChallenges().waitingFor(device.deviceId().toString()).isPresent(), "nothing waits once checked");

    // The epoch holding the challenge's expiry closes: the same verdict, and capacity units.
    send(gpus("NVIDIA GeForce RTX 4090"));
    clock.set(Instant.ofEpochMilli(c.epochs().schedule().closesAt(c.epochs().schedule().epochOf(r.record().expiresAt()))));
    assertFalse(c.epochs().tick().isEmpty());
    long epoch = c.epochs().schedule().epochOf(r.record().expiresAt());
    List<ChallengeVerdict> vs = c.verdicts().challengeVerdicts(epoch);
    assertEquals(1, vs.size());
    assertEquals(ChallengeStatus.VALID, vs.get(0).status());
    assertEquals(r.liveExplanation(), vs.get(0).explanation(), "the epoch decides as the live check did");
    assertEquals(4.0, vs.get(0).units());
    DeviceEpochSummary s = c.verdicts().summaries(epoch).stream().filter(x -> x.deviceId().equals(device.deviceId().toString()))
        .findFirst().orElseThrow();
    assertEquals(1.0, s.quality(), s.explanation());
    assertTrue(s.units() > 0 && s.units() <= 4.0, s.explanation());
    assertTrue(s.explanation().startsWith("1 of 1 challenges passed"), s.explanation());
    assertTrue(c.epochs().revalidate(epoch).matches(), "re-validation from the records gives the same");
    assertEquals(1, c.gpuChallenges().checkedCount("VALID/OK"));
  }

  @Test
  void a_commitment_after_the_deadline_is_a_timeout() throws Exception {
    start(rules(1e6));
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    long deadline = ch.getWork().getCommitDeadlineMs();
    assertEquals(5_000 + (long) Math.ceil(1.5 * 1000 * 2.0 * 2 * 64 * 64 * 64 / (1e-6 * 1e12)), deadline, "allowance + slack x ops / tops");
    assertEquals(null, commit(ch, proof, Duration.ofMillis(deadline + 1)), "no open request for a late commitment");
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals("INVALID", r.liveStatus());
    assertEquals(WorkReason.TIMEOUT, r.liveReason(), r.liveExplanation());
    assertTrue(r.liveExplanation().contains("arrived " + String.format(java.util.Locale.ROOT, "%.3f", (deadline + 1) / 1000.0) + " s"),
        r.liveExplanation());
  }

  @Test
  void a_commitment_sooner_than_the_peak_throughput_allows_is_too_fast() throws Exception {
    start(rules(2e-6)); // peak 2e6 ops/s: 2 products x 2 x 64^3 = 1.05e6 ops take 524 ms at least
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    Challenge open = commit(ch, proof, Duration.ofMillis(100));
    openAll(open, proof, t -> t);
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals(WorkReason.TOO_FAST, r.liveReason(), r.liveExplanation());
    assertEquals(524, r.record().tooFastMs());
    assertTrue(r.liveExplanation().contains("arrived 0.100 s after the challenge"), r.liveExplanation());
  }

  @Test
  void a_wrong_tile_and_a_broken_proof_are_caught() throws Exception {
    start(rules(1e6));
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    Challenge open = commit(ch, proof, Duration.ofSeconds(1));
    long victim = open.getOpen().getTiles(5);
    openAll(open, proof, t -> {
      if (t.getIndex() != victim) {
        return t;
      }
      byte[] d = t.getData().toByteArray();
      d[17] ^= 4;
      return t.toBuilder().setData(ByteString.copyFrom(d)).build();
    });
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals(WorkReason.BAD_COMMITMENT, r.liveReason(), "changed data no longer matches its leaf: " + r.liveExplanation());

    // A device that commits to wrong data (a consistent tree over a wrong tile) is WRONG_TILE.
    clock.advance(Duration.ofSeconds(30));
    c.gpuChallenges().tick(); // the first challenge expires
    clock.advance(Duration.ofSeconds(2));
    c.gpuChallenges().tick();
    Challenge second = Challenges.check(ReceiptTrust.pinned(c.receiptKey()),
        c.gpuChallenges().waitingFor(device.deviceId().toString()).orElseThrow(), device.deviceId()).challenge();
    ProofParameters p2 = ProofParameters.of(second.getWork());
    ProofParameters stale = new ProofParameters(ProofParameters.of(ch.getWork()).seed(), p2.n(), p2.tile(), p2.matrices(), p2.probeBytes());
    CpuProver.Commitment replayed = prover.prove(stale); // the old challenge's answer, replayed for the new one
    CpuProver.Commitment honestProbe = prover.prove(p2);
    Challenge open2 = commit(second, replayed, Duration.ofSeconds(1));
    openWith(open2, open2.getOpen().getTilesList().stream().map(replayed::open).toList(),
        open2.getOpen().getProbeBlocksList().stream().map(honestProbe::read).toList());
    GpuChallengeStore.ChallengeRow r2 = row(second.getChallengeId());
    assertEquals(WorkReason.WRONG_TILE, r2.liveReason(), r2.liveExplanation());
    assertTrue(r2.liveExplanation().contains("is not A x B"), r2.liveExplanation());
  }

  @Test
  void no_opening_before_the_expiry_is_a_timeout() throws Exception {
    start(rules(1e6));
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    assertNotNull(commit(ch, proof, Duration.ofSeconds(1)));
    clock.advance(Duration.ofSeconds(60));
    c.gpuChallenges().tick();
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals(WorkReason.TIMEOUT, r.liveReason(), r.liveExplanation());
    assertTrue(r.liveExplanation().startsWith("no opening received within 3.000 s"), r.liveExplanation());
  }

  @Test
  void a_changed_gpu_set_is_flagged_against_the_pinned_fingerprint() throws Exception {
    start(rules(1e6));
    IngestResult first = send(gpus("NVIDIA GeForce RTX 4090"));
    clock.advance(Duration.ofSeconds(1));
    IngestResult same = send(gpus("NVIDIA GeForce RTX 4090"));
    clock.advance(Duration.ofSeconds(1));
    IngestResult swapped = send(gpus("NVIDIA GeForce RTX 3060"));
    clock.advance(Duration.ofSeconds(1));
    IngestResult more = send(gpus("NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 4090"));
    clock.set(Instant.ofEpochMilli(c.epochs().schedule().closesAt(c.epochs().currentEpoch())));
    c.epochs().tick();
    assertEquals(WorkReason.OK, verdict(first).reason());
    assertEquals(WorkReason.OK, verdict(same).reason());
    Verdict v = verdict(swapped);
    assertEquals(WorkReason.FINGERPRINT_CHANGED, v.reason(), v.explanation());
    assertTrue(v.explanation().contains(UUID + " model 'NVIDIA GeForce RTX 4090' -> 'NVIDIA GeForce RTX 3060'"), v.explanation());
    Verdict v2 = verdict(more);
    assertEquals(WorkReason.FINGERPRINT_CHANGED, v2.reason());
    assertTrue(v2.explanation().contains("GPU count 1 -> 2"), v2.explanation());
  }

  private Verdict verdict(IngestResult r) {
    return c.verdicts().verdictOf(r.envelopeHash()).orElseThrow().verdict();
  }
}
