package dev.popw.coordinator.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.ClusterSettings;
import dev.popw.coordinator.Coordinator;
import dev.popw.coordinator.CoordinatorSettings;
import dev.popw.coordinator.cluster.ClusterRoles;
import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.GpuChallengeStore;
import dev.popw.coordinator.testing.TestCoordinatorKey;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.coordinator.validation.ChallengeStatus;
import dev.popw.coordinator.validation.ChallengeVerdict;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.gpuproof.Challenges;
import dev.popw.gpuproof.CpuProver;
import dev.popw.gpuproof.Openings;
import dev.popw.gpuproof.ProofParameters;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.Challenge;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.GpuCommitment;
import dev.popw.proto.v1.GpuOpening;
import dev.popw.proto.v1.GpuProbeRead;
import dev.popw.proto.v1.GpuProof;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.GpuTileOpening;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.receipt.ReceiptTrust;
import dev.popw.registration.Registrations;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU capacity challenges on a cluster (docs/scale-out.md): two coordinators on one PostgreSQL
 * schema and one injected clock. Node A holds the epochs role and alone issues challenges; the
 * device's GPU reports, its commitment and its openings reach node B (and some openings node A), as
 * a shared subscription or CoAP spreads them. Node B answers the device's poll with node A's
 * challenge, opens it from the stored row, and the check is made from the stored rows by whichever
 * node gets the last opening: VALID for an honest answer, WRONG_TILE for a replayed one, TIMEOUT
 * (not NOT_OPENED: node B's open request is in the row) when node A expires a challenge node B
 * opened. Two nodes judging the same answers at the same moment store one check.
 */
class GpuChallengeClusterPostgresIT {
  private static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  private final String schema = TestDatabases.newSchema();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-24T12:00:00Z"));
  private final CpuProver prover = new CpuProver(2);
  @TempDir Path tmp;
  Coordinator a;
  Coordinator b;
  SoftwareSigner device;
  EnvelopeSealer sealer;

  @BeforeEach
  void start() {
    a = node("a");
    b = node("b");
    assertTrue(a.clusterRoles().holds(ClusterRoles.Role.EPOCHS), "node A, started first, holds the epochs role");
    assertFalse(b.clusterRoles().holds(ClusterRoles.Role.EPOCHS));
    device = SoftwareSigner.generate(KeyType.ED25519, new java.security.SecureRandom());
    a.registry().register(Registrations.sign(device, OWNER, DeviceKind.GPU, null, "popw-test", clock));
    sealer = EnvelopeSealer.builder().signer(device).sequence(new FixedSequence(1)).clock(clock).networkId("popw-test").build();
  }

  @AfterEach
  void stop() {
    for (Coordinator c : new Coordinator[] {b, a}) {
      if (c != null) {
        c.close();
      }
    }
    prover.close();
    TestDatabases.dropSchema(schema);
  }

  private Coordinator node(String name) {
    TestDatabases.postgres(schema, true).close(); // skips without PostgreSQL; creates the schema
    CoordinatorSettings s = CoordinatorSettings.defaults().withNetwork("popw-test").withDataDirectory(tmp.resolve(name))
        .withEmbeddedMqtt(-1).withCoap("127.0.0.1", -1, -1, Map.of()).withApiPort(-1)
        .withEpochs(Duration.ofSeconds(60), Duration.ofSeconds(1))
        .withPostgres(TestDatabases.postgresUrl(), TestDatabases.postgresUser(), "", schema).toBuilder()
        .coordinatorKeyFile(TestCoordinatorKey.write(tmp.resolve("coordinator.key"))) // one key for the whole cluster
        .gpuProofs(GpuChallengeClockTest.rules(1e6))
        .cluster(new ClusterSettings(true, name, Duration.ofMillis(300), Duration.ofSeconds(1))).build();
    // The challenge services are driven by hand (tick) on the injected clock; node B is never ticked.
    return Coordinator.builder(s).clock(clock).closeEpochsAutomatically(false).start();
  }

  private IngestResult send(Coordinator to, GpuReport.Builder r) throws Exception {
    IngestResult res = to.pipeline().submit(sealer.seal(r.build()).bytes(), null).join();
    assertTrue(res.accepted(), res.toString());
    to.gpuChallenges().awaitIdle();
    return res;
  }

  private Challenge polled(Coordinator at) {
    return at.gpuChallenges().waitingFor(device.deviceId().toString())
        .map(m -> {
          Challenges.Check check = Challenges.check(ReceiptTrust.pinned(at.receiptKey()), m, device.deviceId());
          assertTrue(check.isValid() && check.authenticated(), String.valueOf(check.failure()));
          return check.challenge();
        }).orElse(null);
  }

  /** The device reports to node B (which pins its fingerprint); node A, the holder, sees it in the database and challenges it. */
  private Challenge challenged() throws Exception {
    send(b, GpuChallengeClockTest.gpus("NVIDIA GeForce RTX 4090"));
    a.gpuChallenges().tick();
    clock.advance(Duration.ofSeconds(2));
    a.gpuChallenges().tick();
    assertEquals(0, b.gpuChallenges().issuedCount(), "node B issues nothing");
    Challenge atB = polled(b);
    assertNotNull(atB, "a CoAP poll at node B gets node A's challenge");
    assertTrue(atB.hasWork());
    Challenge atA = polled(a);
    assertEquals(atA, atB, "both nodes answer the poll with the one stored challenge");
    return atB;
  }

  /** The commitment reaches node B, which opens the challenge; both nodes' polls then give node B's open request. */
  private Challenge commitAtB(Challenge ch, CpuProver.Commitment proof, Duration after) throws Exception {
    long openedBefore = b.gpuChallenges().openedCount();
    clock.set(Instant.ofEpochMilli(ch.getIssuedAtMs()).plus(after));
    send(b, GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(ch.getChallengeId())
        .setCommitment(GpuCommitment.newBuilder().setRoot(ByteString.copyFrom(proof.root())).setComputeMs(1).setProver("test"))));
    assertEquals(openedBefore + 1, b.gpuChallenges().openedCount(), "node B opened node A's challenge");
    assertEquals(0, a.gpuChallenges().openedCount());
    Challenge open = polled(a);
    assertNotNull(open, "node A's poll gives the open request node B sent");
    assertTrue(open.hasOpen());
    assertEquals(open, polled(b));
    return open;
  }

  private List<GpuOpening> parts(Challenge open, List<GpuTileOpening> tiles, List<GpuProbeRead> reads) {
    clock.advance(Duration.ofMillis(500));
    List<GpuOpening> parts = Openings.parts(tiles, reads, Openings.MAX_PART_BYTES);
    assertTrue(parts.size() > 2, "an opening of 32 tiles takes several envelopes");
    return parts;
  }

  private static GpuReport.Builder opening(Challenge open, GpuOpening o) {
    return GpuReport.newBuilder().setProof(GpuProof.newBuilder().setChallengeId(open.getChallengeId()).setOpening(o));
  }

  private GpuChallengeStore.ChallengeRow row(long id) {
    return a.store().gpuChallenges().row(id).orElseThrow();
  }

  private long checked(String outcome) {
    return a.gpuChallenges().checkedCount(outcome) + b.gpuChallenges().checkedCount(outcome);
  }

  @Test
  void a_challenge_issued_by_one_node_is_opened_and_judged_valid_by_the_others() throws Exception {
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    Challenge open = commitAtB(ch, proof, Duration.ofSeconds(2));
    assertEquals(32, open.getOpen().getTilesCount());
    List<GpuOpening> parts = parts(open, open.getOpen().getTilesList().stream().map(proof::open).toList(),
        open.getOpen().getProbeBlocksList().stream().map(proof::read).toList());
    for (int i = 0; i < parts.size(); i++) {
      send(i % 2 == 0 ? b : a, opening(open, parts.get(i))); // the shared subscription spreads them over the nodes
    }
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals("VALID", r.liveStatus(), r.liveExplanation());
    assertTrue(r.liveExplanation().contains("committed 2.000 s after the challenge"), r.liveExplanation());
    assertEquals(1, checked("VALID/OK"), "one check, by the node that got the last part");
    Coordinator last = parts.size() % 2 == 1 ? b : a;
    assertEquals(1, last.gpuChallenges().checkedCount("VALID/OK"));
    assertEquals(null, polled(a), "nothing waits once checked");
    assertEquals(null, polled(b));

    // Node A closes the epoch holding the challenge's expiry from the same records: the same verdict.
    send(b, GpuChallengeClockTest.gpus("NVIDIA GeForce RTX 4090"));
    long epoch = a.epochs().schedule().epochOf(r.record().expiresAt());
    clock.set(Instant.ofEpochMilli(a.epochs().schedule().closesAt(epoch)));
    assertFalse(a.epochs().tick().isEmpty());
    List<ChallengeVerdict> vs = a.verdicts().challengeVerdicts(epoch);
    assertEquals(1, vs.size());
    assertEquals(ChallengeStatus.VALID, vs.get(0).status());
    assertEquals(r.liveExplanation(), vs.get(0).explanation(), "the epoch decides as the live check at the other node did");
  }

  @Test
  void a_wrong_answer_at_another_node_is_judged_with_its_reason_and_an_expiry_uses_the_stored_open_request() throws Exception {
    Challenge ch = challenged();
    ProofParameters p = ProofParameters.of(ch.getWork());
    byte[] otherSeed = p.seed().clone();
    otherSeed[0] ^= 1;
    CpuProver.Commitment replayed = prover.prove(new ProofParameters(otherSeed, p.n(), p.tile(), p.matrices(), p.probeBytes()));
    CpuProver.Commitment honestProbe = prover.prove(p);
    Challenge open = commitAtB(ch, replayed, Duration.ofSeconds(1));
    List<GpuOpening> parts = parts(open, open.getOpen().getTilesList().stream().map(replayed::open).toList(),
        open.getOpen().getProbeBlocksList().stream().map(honestProbe::read).toList());
    for (GpuOpening o : parts) {
      send(b, opening(open, o));
    }
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals("INVALID", r.liveStatus());
    assertEquals(WorkReason.WRONG_TILE, r.liveReason(), r.liveExplanation());
    assertTrue(r.liveExplanation().contains("is not A x B"), r.liveExplanation());
    assertEquals(1, b.gpuChallenges().checkedCount("INVALID/" + WorkReason.WRONG_TILE));
    assertEquals(0, a.gpuChallenges().checkedCount("INVALID/" + WorkReason.WRONG_TILE));

    // It expires at node A: checked already, so node A stores nothing new (and, the pause over, issues the next).
    clock.advance(Duration.ofSeconds(30));
    a.gpuChallenges().tick();
    assertEquals(WorkReason.WRONG_TILE, row(ch.getChallengeId()).liveReason());
    assertEquals(1, checked("INVALID/" + WorkReason.WRONG_TILE));

    // The next challenge is committed at node B and never opened: node A expires it from the stored row,
    // which holds node B's open request (with node A's memory alone it would be VOID, NOT_OPENED).
    Challenge second = polled(b);
    assertNotNull(second);
    assertTrue(second.getChallengeId() > ch.getChallengeId());
    commitAtB(second, prover.prove(ProofParameters.of(second.getWork())), Duration.ofSeconds(1));
    clock.advance(Duration.ofSeconds(60));
    a.gpuChallenges().tick();
    GpuChallengeStore.ChallengeRow r2 = row(second.getChallengeId());
    assertEquals(WorkReason.TIMEOUT, r2.liveReason(), r2.liveExplanation());
    assertTrue(r2.liveExplanation().startsWith("no opening received within 3.000 s"), r2.liveExplanation());
    assertEquals(1, a.gpuChallenges().checkedCount("INVALID/" + WorkReason.TIMEOUT));
  }

  /**
   * Both nodes' services take the last part at once (as when the last two parts reach two nodes at
   * the same moment and each reads the other's) while the test holds the challenge's row lock, so
   * that both have judged and both wait to store: one stores, the other finds a check there.
   */
  @Test
  void two_nodes_judging_the_same_answers_at_once_store_one_check() throws Exception {
    Challenge ch = challenged();
    CpuProver.Commitment proof = prover.prove(ProofParameters.of(ch.getWork()));
    Challenge open = commitAtB(ch, proof, Duration.ofSeconds(2));
    List<GpuOpening> parts = parts(open, open.getOpen().getTilesList().stream().map(proof::open).toList(),
        open.getOpen().getProbeBlocksList().stream().map(proof::read).toList());
    for (GpuOpening o : parts.subList(0, parts.size() - 1)) {
      send(b, opening(open, o));
    }
    assertEquals(null, row(ch.getChallengeId()).liveStatus(), "not complete yet");
    try (Database db = TestDatabases.postgres(schema, true); Connection lock = db.dataSource().getConnection();
        Connection watch = db.dataSource().getConnection()) { // pg_stat_activity is read once per transaction: another connection

      lock.setAutoCommit(false);
      try (PreparedStatement ps = lock.prepareStatement("SELECT challenge_id FROM gpu_challenges WHERE challenge_id=? FOR UPDATE")) {
        ps.setLong(1, ch.getChallengeId());
        ps.executeQuery().close();
      }
      SealedEnvelope last = sealer.seal(opening(open, parts.get(parts.size() - 1)).build());
      long receivedAt = clock.millis();
      IngestResult res = b.pipeline().submit(last.bytes(), null).join(); // node B's service takes it
      assertTrue(res.accepted(), res.toString());
      Telemetry t = Telemetry.parseFrom(SignedEnvelope.parseFrom(last.bytes()).getTelemetry());
      a.gpuChallenges().accepted(device.deviceId().toString(), last.hash(), receivedAt, t); // and node A's
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (waitingToStore(watch) < 2) {
        assertTrue(System.nanoTime() < deadline, "both nodes judged and wait to store their check: " + waitingToStore(watch));
        Thread.sleep(20);
      }
      lock.commit();
    }
    a.gpuChallenges().awaitIdle();
    b.gpuChallenges().awaitIdle();
    GpuChallengeStore.ChallengeRow r = row(ch.getChallengeId());
    assertEquals("VALID", r.liveStatus(), r.liveExplanation());
    assertEquals(1, checked("VALID/OK"), "one node stored the check; the other found it there: a "
        + a.gpuChallenges().checkedCount("VALID/OK") + ", b " + b.gpuChallenges().checkedCount("VALID/OK"));
  }

  /** Sessions of this schema's nodes blocked on the row lock in the conditional update of the live check. */
  private static int waitingToStore(Connection c) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        + " AND query LIKE 'UPDATE gpu_challenges SET live_status%'"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
