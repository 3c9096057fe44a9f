package dev.popw.coordinator.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.IngestResult;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.ingest.PipelineListener;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.SealedBatch;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import java.util.HexFormat;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.registration.Registrations;
import dev.popw.testing.Await;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatcherTest {
  @TempDir Path dir;

  @Test
  void seals_by_count_and_on_demand_and_every_envelope_proves_its_inclusion() {
    try (Database db = TestDatabases.h2(dir)) {
      Store store = new Store(db);
      Batcher batcher = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 10, Duration.ofHours(1));
      IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC(), PipelineListener.NONE, batcher.assigner());
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5));
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      registry.register(Registrations.sign(signer, EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
          DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      List<byte[]> hashes = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        IngestResult r = pipeline.submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join();
        assertTrue(r.accepted());
        hashes.add(r.envelopeHash());
      }
      // The count trigger seals full batches by itself; the remainder of 5 waits for the timer.
      Await.until(Duration.ofSeconds(10), () -> store.batches().batch(2).isPresent(), () -> "two full batches were not sealed");
      assertEquals(10, store.batches().batch(1).orElseThrow().envelopeCount());
      assertEquals(10, store.batches().batch(2).orElseThrow().envelopeCount());
      assertTrue(store.batches().batch(3).isEmpty());
      assertTrue(batcher.proof(hashes.get(24)).isEmpty(), "not sealed yet, so no proof yet");
      List<SealedBatch> rest = batcher.sealAll();
      assertEquals(List.of(5), rest.stream().map(SealedBatch::envelopeCount).toList());
      for (byte[] h : hashes) {
        InclusionProof p = batcher.proof(h).orElseThrow();
        assertTrue(MerkleTree.verify(p.proof(), p.batch().merkleRoot(), h));
        assertArrayEquals(p.batch().merkleRoot(), store.batches().batch(p.batch().id()).orElseThrow().merkleRoot());
      }
      InclusionProof p = batcher.proof(hashes.get(3)).orElseThrow();
      assertFalse(MerkleTree.verify(p.proof(), p.batch().merkleRoot(), hashes.get(4)), "a proof is for one envelope only");
      assertTrue(batcher.sealAll().isEmpty(), "nothing left to seal");
      pipeline.close();
      batcher.close();
    }
  }

  @Test
  void the_timer_seals_a_partial_batch() {
    try (Database db = TestDatabases.h2(dir)) {
      Store store = new Store(db);
      Batcher batcher = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 10_000, Duration.ofMillis(200));
      IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC(), PipelineListener.NONE, batcher.assigner());
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5));
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ECDSA_P256, new SecureRandom());
      registry.register(Registrations.sign(signer, EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
          DeviceKind.GPU, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      byte[] h = pipeline.submit(sealer.seal(SampleTelemetry.gpus(1)).bytes(), null).join().envelopeHash();
      Await.until(Duration.ofSeconds(5), () -> batcher.proof(h).isPresent(), () -> "the timer did not seal the batch");
      assertEquals(1, batcher.proof(h).orElseThrow().batch().envelopeCount());
      pipeline.close();
      batcher.close();
    }
  }

  /** The age limit is read from the injected clock: an hour-long limit passes when the clock says so, not after an hour. */
  @Test
  void the_age_limit_follows_the_injected_clock() throws InterruptedException {
    try (Database db = TestDatabases.h2(dir)) {
      Store store = new Store(db);
      dev.popw.testing.MutableClock clock = new dev.popw.testing.MutableClock(java.time.Instant.parse("2026-11-24T12:00:00Z"));
      Batcher batcher = new Batcher(store, new DatabaseSettlement(), clock, 10_000, Duration.ofHours(1));
      IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), clock, PipelineListener.NONE, batcher.assigner());
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-test", clock, Duration.ofMinutes(5));
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      registry.register(Registrations.sign(signer, EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
          DeviceKind.GPU, null, "popw-test", clock));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(clock).networkId("popw-test").build();
      byte[] h = pipeline.submit(sealer.seal(SampleTelemetry.gpus(1)).bytes(), null).join().envelopeHash();
      clock.advance(Duration.ofMinutes(59));
      Thread.sleep(500); // several of the sealing thread's looks at the clock
      assertTrue(batcher.proof(h).isEmpty(), "59 minutes on the clock: not sealed yet");
      clock.advance(Duration.ofMinutes(2));
      Await.until(Duration.ofSeconds(5), () -> batcher.proof(h).isPresent(), () -> "the clock passed the age limit but nothing was sealed");
      pipeline.close();
      batcher.close();
    }
  }

  @Test
  void an_open_batch_survives_a_restart_and_envelopes_without_a_batch_id_are_adopted() {
    try (Database db = TestDatabases.h2(dir)) {
      Store store = new Store(db);
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      List<byte[]> hashes = new ArrayList<>();
      // An older coordinator (no batch ids at write time) stored 3 envelopes.
      IngestPipeline old = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC());
      new DeviceRegistry(store, old, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5)).register(Registrations.sign(signer,
          EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      for (int i = 0; i < 3; i++) {
        hashes.add(old.submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().envelopeHash());
      }
      old.close();
      // This version: 4 more go into the open batch, then the coordinator stops before sealing.
      Batcher first = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 10, Duration.ofHours(1));
      IngestPipeline p1 = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC(), PipelineListener.NONE, first.assigner());
      for (int i = 0; i < 4; i++) {
        hashes.add(p1.submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().envelopeHash());
      }
      p1.close();
      first.close();
      assertTrue(store.batches().batch(1).isEmpty());
      // After a restart, 5 more fill the same batch: it seals by count with all 10 (7 + 3 of the new ones).
      Batcher second = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 10, Duration.ofHours(1));
      IngestPipeline p2 = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC(), PipelineListener.NONE, second.assigner());
      for (int i = 0; i < 5; i++) {
        hashes.add(p2.submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().envelopeHash());
      }
      Await.until(Duration.ofSeconds(10), () -> store.batches().batch(1).isPresent(), () -> "the full batch was not sealed");
      assertEquals(10, store.batches().batch(1).orElseThrow().envelopeCount());
      assertEquals(List.of(2L), second.sealAll().stream().map(b -> (long) b.envelopeCount()).toList());
      for (byte[] h : hashes) {
        InclusionProof p = second.proof(h).orElseThrow();
        assertTrue(MerkleTree.verify(p.proof(), p.batch().merkleRoot(), h));
      }
      p2.close();
      second.close();
    }
  }

  /**
   * A database written by a coordinator before OpenZeppelin's tree layout: its batches' stored (and
   * committed) roots are legacy roots. Their proofs must still verify against those roots; a root that
   * neither layout gives gets an error rather than a proof that cannot verify.
   */
  @Test
  void a_batch_sealed_with_the_legacy_layout_keeps_proofs_for_its_stored_root() throws Exception {
    try (Database db = TestDatabases.h2(dir)) {
      Store store = new Store(db);
      Batcher batcher = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 5, Duration.ofHours(1));
      IngestPipeline pipeline = new IngestPipeline(store, PipelineConfig.builder("popw-test").build(), Clock.systemUTC(), PipelineListener.NONE, batcher.assigner());
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, "popw-test", Clock.systemUTC(), Duration.ofMinutes(5));
      SoftwareSigner signer = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
      registry.register(Registrations.sign(signer, EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
          DeviceKind.SENSOR, null, "popw-test", Clock.systemUTC()));
      EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).networkId("popw-test").build();
      List<byte[]> hashes = new ArrayList<>();
      for (int i = 0; i < 5; i++) { // 5 leaves: the two layouts differ
        hashes.add(pipeline.submit(sealer.seal(SampleTelemetry.weather()).bytes(), null).join().envelopeHash());
      }
      Await.until(Duration.ofSeconds(10), () -> store.batches().batch(1).isPresent(), () -> "the full batch was not sealed");
      pipeline.close();
      batcher.close();
      assertArrayEquals(MerkleTree.of(hashes).root(), store.batches().batch(1).orElseThrow().merkleRoot(), "new batches: OpenZeppelin's layout");

      LegacyMerkleTree legacy = LegacyMerkleTree.of(hashes);
      assertFalse(Arrays.equals(legacy.root(), MerkleTree.of(hashes).root()));
      setRoot(db, 1, legacy.root());
      Batcher restarted = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 5, Duration.ofHours(1));
      boolean differs = false;
      for (byte[] h : hashes) {
        InclusionProof p = restarted.proof(h).orElseThrow();
        assertArrayEquals(legacy.root(), p.batch().merkleRoot());
        assertTrue(MerkleTree.verify(p.proof(), legacy.root(), h), "a legacy batch's proof verifies against its stored root");
        assertEquals(hex(legacy.proof(h)), hex(p.proof()));
        differs |= !hex(p.proof()).equals(hex(MerkleTree.of(hashes).proof(h)));
      }
      assertTrue(differs, "the legacy proofs are not the new layout's");
      restarted.close();

      byte[] altered = legacy.root();
      altered[0] ^= 1;
      setRoot(db, 1, altered);
      Batcher again = new Batcher(store, new DatabaseSettlement(), Clock.systemUTC(), 5, Duration.ofHours(1));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> again.proof(hashes.get(0)));
      assertTrue(e.getMessage().contains("batch 1"), e.getMessage());
      again.close();
    }
  }

  private static void setRoot(Database db, long batchId, byte[] root) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE batches SET merkle_root=? WHERE batch_id=?")) {
      ps.setBytes(1, root);
      ps.setLong(2, batchId);
      assertEquals(1, ps.executeUpdate());
    }
  }

  private static List<String> hex(List<byte[]> proof) {
    return proof.stream().map(HexFormat.of()::formatHex).toList();
  }
}
