package dev.popw.coordinator.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.coordinator.testing.TestDatabases;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.KeyType;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.SampleTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two ingest nodes of one cluster (two pipelines, each with its own pool, writer and duplicate
 * window, on one PostgreSQL schema) get the two copies of one sequence number at the same moment:
 * the database decides. Identical copies: one ACCEPTED, one DUPLICATE, one row. Different content:
 * one ACCEPTED, one EQUIVOCATION with the accepted envelope's hash as evidence, one row.
 */
class ClusterDuplicatesPostgresIT {
  private static final int ROUNDS = 40;
  private final String schema = TestDatabases.newSchema();

  @AfterEach
  void drop() {
    TestDatabases.dropSchema(schema);
  }

  @Test
  void copies_reaching_two_nodes_at_once_are_decided_by_the_database() throws Exception {
    Database dbA = TestDatabases.postgres(schema, true);
    Database dbB = TestDatabases.postgres(schema, true); // a second node on the same schema is welcome
    try (PipelineFixture a = new PipelineFixture(dbA, 1024); PipelineFixture b = new PipelineFixture(dbB, 1024)) {
      b.clock.set(a.clock.instant());
      PipelineFixture.Device d = a.device(KeyType.ED25519, true);
      // node B learns the device from the database (registered through node A)
      EnvelopeSealer twin = EnvelopeSealer.builder().signer(d.signer).sequence(new FixedSequence(1)).clock(a.clock)
          .networkId(PipelineFixture.NETWORK).build();
      Map<String, Integer> sameOutcomes = new TreeMap<>();
      Map<String, Integer> otherOutcomes = new TreeMap<>();
      List<byte[]> equivocations = new ArrayList<>();
      CyclicBarrier start = new CyclicBarrier(2);
      for (int round = 0; round < ROUNDS; round++) {
        SealedEnvelope one = d.sealer.seal(SampleTelemetry.weather());
        boolean same = round % 2 == 0;
        SealedEnvelope two = same ? one : twin.seal(SampleTelemetry.weather().toBuilder().setSensorModel("BME280-" + round).build()); // same number, other content
        if (same) {
          twin.seal(SampleTelemetry.weather()); // keep the twin's counter in step
        }
        assertEquals(one.sequence(), two.sequence());
        CompletableFuture<IngestResult> ra = CompletableFuture.supplyAsync(() -> await(start, () -> a.pipeline.submit(one.bytes(), null).join()));
        CompletableFuture<IngestResult> rb = CompletableFuture.supplyAsync(() -> await(start, () -> b.pipeline.submit(two.bytes(), null).join()));
        List<IngestResult> both = List.of(ra.join(), rb.join());
        Map<String, Integer> tally = same ? sameOutcomes : otherOutcomes;
        for (IngestResult r : both) {
          tally.merge(r.status() == IngestStatus.ACCEPTED ? "ACCEPTED" : r.reason(), 1, Integer::sum);
        }
        long accepted = both.stream().filter(r -> r.status() == IngestStatus.ACCEPTED).count();
        assertEquals(1, accepted, "exactly one copy of sequence " + one.sequence() + " is accepted: " + both);
        IngestResult winner = both.stream().filter(r -> r.status() == IngestStatus.ACCEPTED).findFirst().orElseThrow();
        IngestResult loser = both.stream().filter(r -> r.status() != IngestStatus.ACCEPTED).findFirst().orElseThrow();
        assertEquals(same ? "DUPLICATE" : "EQUIVOCATION", loser.reason(), "round " + round + ": " + both);
        assertArrayEquals(winner.envelopeHash(), a.store.envelopes().acceptedHash(d.id(), one.sequence()).orElseThrow(),
            "the stored envelope is the accepted copy");
        if (!same) {
          equivocations.add(winner.envelopeHash());
        }
      }
      assertEquals(ROUNDS, a.store.envelopes().countAccepted(d.id()), "one row per sequence number");
      List<RejectionRecord> evidence = a.store.envelopes().rejections(d.id(), "EQUIVOCATION");
      assertEquals(ROUNDS / 2, evidence.size(), "every equivocation stored as evidence");
      for (int i = 0; i < evidence.size(); i++) {
        assertArrayEquals(equivocations.get(i), evidence.get(i).conflictsWith(), "the evidence names the accepted envelope");
      }
      assertEquals(Map.of("ACCEPTED", ROUNDS / 2, "DUPLICATE", ROUNDS / 2), sameOutcomes);
      assertEquals(Map.of("ACCEPTED", ROUNDS / 2, "EQUIVOCATION", ROUNDS / 2), otherOutcomes);
      // the two nodes really raced: node B won some rounds (its window knew nothing of A's writes)
      assertTrue(b.pipeline.outcomeCounts().getOrDefault("ACCEPTED", 0L) > 0, "node B won some rounds: " + b.pipeline.outcomeCounts());
      assertTrue(a.pipeline.outcomeCounts().getOrDefault("ACCEPTED", 0L) > 0, "node A won some rounds: " + a.pipeline.outcomeCounts());
    }
  }

  private static <T> T await(CyclicBarrier b, java.util.function.Supplier<T> then) {
    try {
      b.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return then.get();
  }
}
