package dev.popw.coordinator.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.ingest.PipelineFixture.Device;
import dev.popw.coordinator.registry.RegistrationException;
import dev.popw.coordinator.store.AcceptedEnvelope;
import dev.popw.coordinator.store.EnvelopeStore;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.RejectionRecord;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.envelope.Reason;
import dev.popw.envelope.SealedEnvelope;
import dev.popw.identity.DeviceId;
import dev.popw.identity.KeyType;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.SignedEnvelope;
import dev.popw.proto.v1.Telemetry;
import dev.popw.registration.Registrations;
import dev.popw.testing.SampleTelemetry;
import java.math.BigInteger;
import java.time.Clock;
import java.util.Collections;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The verification pipeline's contract, run against each database (see the subclasses). Every
 * reason code is provoked here.
 */
abstract class IngestPipelineContract {
  /** A fresh database for one test. */
  abstract Database database();

  PipelineFixture fixture(int window) {
    return new PipelineFixture(database(), window);
  }

  @ParameterizedTest
  @EnumSource(KeyType.class)
  void accepts_and_persists_envelopes_of_every_key_type(KeyType type) {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(type, true);
      for (int i = 0; i < 5; i++) {
        IngestResult r = f.submit(d.sealer.seal(SampleTelemetry.weather()).bytes());
        assertEquals(IngestStatus.ACCEPTED, r.status(), r.toString());
        assertEquals(i + 1, r.sequence());
      }
      List<long[]> rows = f.store.envelopes().acceptedSequences(d.id());
      assertEquals(5, rows.size());
      assertTrue(rows.stream().allMatch(r -> r[1] == 0), "no flags on a clean chain");
    }
  }

  @Test
  void signature_level_reasons_come_from_the_sdk_verifier_and_are_recorded() throws Exception {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ECDSA_P256, true);
      SignedEnvelope good = SignedEnvelope.parseFrom(d.sealer.seal(SampleTelemetry.weather()).bytes());
      assertEquals(Reason.TOO_LARGE.name(), f.submit(new byte[20_000]).reason());
      assertEquals(Reason.MALFORMED.name(), f.submit(new byte[] {9, 9, 9}).reason());
      assertEquals(Reason.UNSUPPORTED_VERSION.name(), f.submit(good.toBuilder().setVersion(7).build().toByteArray()).reason());
      assertEquals(Reason.UNSUPPORTED_KEY_TYPE.name(), f.submit(good.toBuilder().setKeyTypeValue(9).build().toByteArray()).reason());
      byte[] pk = good.getPublicKey().toByteArray();
      pk[0] = 0x04;
      assertEquals(Reason.BAD_PUBLIC_KEY.name(), f.submit(good.toBuilder().setPublicKey(ByteString.copyFrom(pk)).build().toByteArray()).reason());
      Device other = f.device(KeyType.ECDSA_P256, true);
      SignedEnvelope theirs = SignedEnvelope.parseFrom(other.sealer.seal(SampleTelemetry.weather()).bytes());
      assertEquals(Reason.KEY_MISMATCH.name(), f.submit(good.toBuilder().setTelemetry(theirs.getTelemetry()).build().toByteArray()).reason());
      byte[] sig = good.getSignature().toByteArray();
      BigInteger n = CustomNamedCurves.getByName("secp256r1").getN();
      byte[] highS = n.subtract(new BigInteger(1, Arrays.copyOfRange(sig, 32, 64))).toByteArray();
      byte[] twin = sig.clone();
      Arrays.fill(twin, 32, 64, (byte) 0);
      System.arraycopy(highS, Math.max(0, highS.length - 32), twin, 64 - Math.min(32, highS.length), Math.min(32, highS.length));
      assertEquals(Reason.NON_CANONICAL_SIGNATURE.name(), f.submit(good.toBuilder().setSignature(ByteString.copyFrom(twin)).build().toByteArray()).reason());
      sig[10] ^= 1;
      assertEquals(Reason.BAD_SIGNATURE.name(), f.submit(good.toBuilder().setSignature(ByteString.copyFrom(sig)).build().toByteArray()).reason());
      Map<String, Long> counts = f.store.envelopes().rejectionCounts(null);
      for (Reason r : List.of(Reason.TOO_LARGE, Reason.MALFORMED, Reason.UNSUPPORTED_VERSION, Reason.UNSUPPORTED_KEY_TYPE,
          Reason.BAD_PUBLIC_KEY, Reason.KEY_MISMATCH, Reason.NON_CANONICAL_SIGNATURE, Reason.BAD_SIGNATURE)) {
        assertEquals(1L, counts.get(r.name()), "rejections recorded: " + counts);
      }
      assertEquals(0, f.store.envelopes().acceptedSequences(d.id()).size(), "nothing of it accepted");
    }
  }

  @Test
  void unregistered_and_deactivated_devices_are_refused() {
    try (PipelineFixture f = fixture(1024)) {
      Device stranger = f.device(KeyType.ED25519, false);
      assertEquals(CoordinatorReason.NOT_REGISTERED.name(), f.submit(stranger.sealer.seal(SampleTelemetry.weather()).bytes()).reason());
      Device d = f.device(KeyType.ED25519, true);
      assertEquals(IngestStatus.ACCEPTED, f.submit(d.sealer.seal(SampleTelemetry.weather()).bytes()).status());
      f.registry.setActive(d.signer.deviceId(), false);
      assertEquals(CoordinatorReason.DEVICE_INACTIVE.name(), f.submit(d.sealer.seal(SampleTelemetry.weather()).bytes()).reason());
      f.registry.setActive(d.signer.deviceId(), true);
      assertEquals(IngestStatus.ACCEPTED, f.submit(d.sealer.seal(SampleTelemetry.weather()).bytes()).status());
      // registering after a refusal works at once (no stale negative cache)
      f.registry.register(Registrations.sign(stranger.signer, PipelineFixture.OWNER, DeviceKind.SENSOR, null, PipelineFixture.NETWORK, f.clock));
      assertEquals(IngestStatus.ACCEPTED, f.submit(stranger.sealer.seal(SampleTelemetry.weather()).bytes()).status());
    }
  }

  @Test
  void an_envelope_on_another_devices_topic_is_refused() {
    try (PipelineFixture f = fixture(1024)) {
      Device a = f.device(KeyType.ED25519, true);
      Device b = f.device(KeyType.ED25519, true);
      IngestResult r = f.pipeline.submit(a.sealer.seal(SampleTelemetry.weather()).bytes(), b.id()).join();
      assertEquals(CoordinatorReason.TOPIC_MISMATCH.name(), r.reason());
      assertEquals(IngestStatus.ACCEPTED, f.pipeline.submit(a.sealer.seal(SampleTelemetry.weather()).bytes(), a.id()).join().status());
    }
  }

  @Test
  void wrong_network_future_timestamps_stale_data_and_bounds() {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ED25519, true);
      Clock now = f.clock;
      assertEquals(CoordinatorReason.WRONG_NETWORK.name(),
          f.submit(d.sealer(100, now, "popw-mainnet", new byte[0]).seal(SampleTelemetry.weather()).bytes()).reason());
      Clock ahead = Clock.fixed(f.clock.instant().plus(Duration.ofMinutes(5)), ZoneOffset.UTC);
      assertEquals(CoordinatorReason.FUTURE_TIMESTAMP.name(),
          f.submit(d.sealer(200, ahead, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes()).reason());
      Clock hourAgo = Clock.fixed(f.clock.instant().minus(Duration.ofHours(1)), ZoneOffset.UTC);
      Device hotspot = f.device(KeyType.ED25519, true, DeviceKind.COVERAGE);
      assertEquals(CoordinatorReason.STALE.name(),
          f.submit(hotspot.sealer(300, hourAgo, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.witness()).bytes()).reason());
      IngestResult backfill = f.submit(d.sealer(400, hourAgo, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes());
      assertEquals(IngestStatus.ACCEPTED, backfill.status(), "late sensor data is accepted as backfill");
      assertTrue((backfill.flags() & AcceptedEnvelope.Flags.BACKFILL) != 0);
      // Physically impossible values are evidence of a lie, judged by the validators at epoch close;
      // values that are no number at all are unsafe to store.
      CoverageReport loud = SampleTelemetry.witness().toBuilder().setRssiDbm(10).build();
      assertEquals(IngestStatus.ACCEPTED, f.submit(hotspot.sealer(500, now, PipelineFixture.NETWORK, new byte[0]).seal(loud).bytes()).status());
      CoverageReport nan = SampleTelemetry.witness().toBuilder().setRssiDbm(Float.NaN).build();
      IngestResult r = f.submit(hotspot.sealer(550, now, PipelineFixture.NETWORK, new byte[0]).seal(nan).bytes());
      assertEquals(CoordinatorReason.OUT_OF_BOUNDS.name(), r.reason());
      assertTrue(r.detail().contains("finite"), r.detail());
      byte[] empty = d.signRaw(Telemetry.newBuilder().setDeviceId(ByteString.copyFrom(d.signer.deviceId().toBytes()))
          .setSequence(600).setTimestampMs(f.clock.millis()).setNetworkId(PipelineFixture.NETWORK).build());
      assertEquals(CoordinatorReason.EMPTY_PAYLOAD.name(), f.submit(empty).reason());
      assertEquals(CoordinatorReason.BAD_SEQUENCE.name(),
          f.submit(d.sealer(0, now, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes()).reason());
    }
  }

  @Test
  void simulated_telemetry_is_flagged_or_refused_as_the_coordinator_is_set() {
    Telemetry.Builder simulated = Telemetry.newBuilder().setSensor(SampleTelemetry.weather()).setSimulated(true);
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ED25519, true);
      IngestResult r = f.submit(d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(simulated.clone()).bytes());
      assertEquals(IngestStatus.ACCEPTED, r.status(), "accepted by default");
      assertTrue((r.flags() & AcceptedEnvelope.Flags.SIMULATED) != 0, "and flagged");
      IngestResult real = f.submit(d.sealer(2, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes());
      assertEquals(0, real.flags() & AcceptedEnvelope.Flags.SIMULATED);
    }
    try (PipelineFixture f = new PipelineFixture(database(), PipelineConfig.builder(PipelineFixture.NETWORK).acceptSimulated(false).build())) {
      Device d = f.device(KeyType.ECDSA_P256, true);
      assertEquals(CoordinatorReason.SIMULATED.name(),
          f.submit(d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(simulated.clone()).bytes()).reason());
      assertEquals(IngestStatus.ACCEPTED,
          f.submit(d.sealer(2, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes()).status());
    }
  }

  @Test
  void a_resent_envelope_is_a_duplicate_and_other_content_under_the_same_number_is_equivocation() {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ECDSA_SECP256K1, true);
      SealedEnvelope first = d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather());
      SealedEnvelope conflicting = d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(otherWeather());
      assertEquals(IngestStatus.ACCEPTED, f.submit(first.bytes()).status());
      IngestResult again = f.submit(first.bytes());
      assertEquals(IngestStatus.DUPLICATE, again.status());
      IngestResult eq = f.submit(conflicting.bytes());
      assertEquals(CoordinatorReason.EQUIVOCATION.name(), eq.reason());
      assertEquals(1, f.store.envelopes().acceptedSequences(d.id()).size());
      List<RejectionRecord> evidence = f.store.envelopes().rejections(d.id(), "EQUIVOCATION");
      assertEquals(1, evidence.size());
      assertArrayEquals(first.hash(), evidence.get(0).conflictsWith(), "both envelopes are kept: the accepted one by hash");
      assertArrayEquals(conflicting.bytes(), evidence.get(0).envelope(), "and the conflicting one in full");
    }
  }

  @Test
  void a_copy_that_arrives_before_the_first_is_committed_is_answered_only_after_the_commit() {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ED25519, true);
      List<CompletableFuture<String>> answers = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        byte[] e = d.sealer.seal(SampleTelemetry.weather()).bytes();
        // Two copies at once: whichever is checked second finds the first not yet committed. When
        // it is answered, the envelope must already be stored (a device drops what is answered).
        for (int copy = 0; copy < 2; copy++) {
          answers.add(f.pipeline.submit(e, null).thenApply(r -> r.status() == IngestStatus.DUPLICATE
              ? (f.store.envelopes().envelope(r.envelopeHash()).isPresent() ? "DUPLICATE after the commit" : "DUPLICATE before the commit")
              : r.status().name()));
        }
      }
      Map<String, Long> counts = new java.util.TreeMap<>();
      answers.forEach(a -> counts.merge(a.join(), 1L, Long::sum));
      assertEquals(Map.of("ACCEPTED", 100L, "DUPLICATE after the commit", 100L), counts);
    }
  }

  @Test
  void duplicates_are_found_below_the_memory_window_and_after_a_restart() {
    Database db = database();
    PipelineFixture f = new PipelineFixture(db, 4);
    Device d = f.device(KeyType.ED25519, true);
    List<SealedEnvelope> sent = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      SealedEnvelope e = d.sealer.seal(SampleTelemetry.weather());
      sent.add(e);
      assertEquals(IngestStatus.ACCEPTED, f.submit(e.bytes()).status());
    }
    assertEquals(IngestStatus.DUPLICATE, f.submit(sent.get(1).bytes()).status(), "sequence 2 is below the window of 4");
    SealedEnvelope fork = d.sealer(2, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(otherWeather());
    assertEquals(CoordinatorReason.EQUIVOCATION.name(), f.submit(fork.bytes()).reason());
    f.pipeline.close();
    // A new pipeline over the same database: state comes back from it.
    PipelineFixture g = new PipelineFixture(db, 4);
    assertEquals(IngestStatus.DUPLICATE, g.submit(sent.get(11).bytes()).status());
    assertEquals(IngestStatus.DUPLICATE, g.submit(sent.get(0).bytes()).status());
    g.close();
  }

  @Test
  void sequence_and_chain_gaps_are_recorded_not_fatal() {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ED25519, true);
      EnvelopeSealer s = d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]);
      assertEquals(0, f.submit(s.seal(SampleTelemetry.weather()).bytes()).flags());
      s.seal(SampleTelemetry.weather()); // #2 is lost on the way
      IngestResult three = f.submit(s.seal(SampleTelemetry.weather()).bytes());
      assertEquals(IngestStatus.ACCEPTED, three.status());
      assertEquals(0, three.flags(), "a missing previous number is no flag at arrival: it may still come");
      assertEquals(List.of(new EnvelopeStore.SequenceGap(2, 2)), f.store.envelopes().sequenceGaps(d.id(), 10));
      byte[] wrongHead = new byte[32];
      IngestResult four = f.submit(d.sealer(4, f.clock, PipelineFixture.NETWORK, wrongHead).seal(SampleTelemetry.weather()).bytes());
      assertEquals(IngestStatus.ACCEPTED, four.status());
      assertEquals(AcceptedEnvelope.Flags.CHAIN_GAP, four.flags());
    }
  }

  /**
   * The false SEQUENCE_GAP flags of the first-user report: envelopes verified in parallel and
   * arriving out of order were flagged although every number arrived. Every number arrives here, in
   * a shuffled order and all at once: no envelope may be flagged and no gap reported.
   */
  @Test
  void envelopes_arriving_out_of_order_make_no_sequence_gap() {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ED25519, true);
      EnvelopeSealer s = d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]);
      List<byte[]> all = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        all.add(s.seal(SampleTelemetry.weather()).bytes());
      }
      Collections.shuffle(all, new java.util.Random(7));
      List<java.util.concurrent.CompletableFuture<IngestResult>> results = new ArrayList<>();
      for (byte[] e : all) {
        results.add(f.pipeline.submit(e, null));
      }
      for (var r : results) {
        IngestResult x = r.join();
        assertEquals(IngestStatus.ACCEPTED, x.status());
        assertEquals(0, x.flags() & ~AcceptedEnvelope.Flags.CHAIN_GAP, "flags of #" + x.sequence());
      }
      assertEquals(List.of(), f.store.envelopes().sequenceGaps(d.id(), 10));
    }
  }

  @Test
  void registrations_are_checked_for_network_and_freshness_and_may_change_the_owner() {
    try (PipelineFixture f = fixture(1024)) {
      Device d = f.device(KeyType.ECDSA_SECP256K1, false);
      RegistrationException wrongNet = assertThrows(RegistrationException.class, () -> f.registry.register(
          Registrations.sign(d.signer, PipelineFixture.OWNER, DeviceKind.GPU, null, "other-net", f.clock)));
      assertTrue(wrongNet.getMessage().contains("other-net"));
      Clock old = Clock.fixed(f.clock.instant().minus(Duration.ofHours(2)), ZoneOffset.UTC);
      RegistrationException stale = assertThrows(RegistrationException.class, () -> f.registry.register(
          Registrations.sign(d.signer, PipelineFixture.OWNER, DeviceKind.GPU, null, PipelineFixture.NETWORK, old)));
      assertTrue(stale.getMessage().contains("clock"), stale.getMessage());
      DeviceId id = f.registry.register(Registrations.sign(d.signer, PipelineFixture.OWNER, DeviceKind.GPU, null, PipelineFixture.NETWORK, f.clock));
      assertEquals(PipelineFixture.OWNER.toString(), f.store.devices().device(id.toString()).orElseThrow().owner());
      f.clock.advance(Duration.ofMillis(1)); // registrations only move forward
      dev.popw.identity.EvmAddress next = dev.popw.identity.EvmAddress.parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
      f.registry.register(Registrations.sign(d.signer, next, DeviceKind.GPU, null, PipelineFixture.NETWORK, f.clock));
      assertEquals(next.toString(), f.store.devices().device(id.toString()).orElseThrow().owner());
    }
  }

  @Test
  void concurrent_devices_and_concurrent_resends_store_each_envelope_once() {
    try (PipelineFixture f = fixture(64)) {
      List<Device> devices = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        devices.add(f.device(KeyType.values()[i % 3], true, DeviceKind.GPU));
      }
      List<byte[]> all = new ArrayList<>();
      for (Device d : devices) {
        for (int i = 0; i < 200; i++) {
          all.add(d.sealer.seal(SampleTelemetry.gpus(1)).bytes());
        }
      }
      List<CompletableFuture<IngestResult>> futures = new ArrayList<>();
      for (byte[] e : all) {
        futures.add(f.pipeline.submit(e, null));
        futures.add(f.pipeline.submit(e, null)); // every envelope twice, concurrently
      }
      long accepted = futures.stream().map(CompletableFuture::join).filter(IngestResult::accepted).count();
      long duplicates = futures.stream().map(CompletableFuture::join).filter(r -> r.status() == IngestStatus.DUPLICATE).count();
      assertEquals(800, accepted);
      assertEquals(800, duplicates);
      for (Device d : devices) {
        assertEquals(200, f.store.envelopes().acceptedSequences(d.id()).size());
      }
      Map<String, Long> outcomes = f.pipeline.outcomeCounts();
      assertEquals(800L, outcomes.get("ACCEPTED"));
      assertEquals(800L, outcomes.get("DUPLICATE"));
    }
  }

  /**
   * Issue 13, item 4: every rejection kept its bytes, so 3,000 random 16 KB envelopes grew the data
   * folder by 86 MB. Now rejections that are no registered device's share one bucket: a flood of
   * large junk leaves at most its cap stored (measured in SQL), the newest rows, and counts the rest.
   */
  @Test
  void a_flood_of_large_junk_keeps_unattributed_rejections_within_their_cap_newest_first() throws Exception {
    long cap = 64 * 1024;
    try (PipelineFixture f = new PipelineFixture(database(), PipelineConfig.builder(PipelineFixture.NETWORK).build(),
        new dev.popw.coordinator.store.RejectionLimits(cap, cap, 1024 * 1024))) {
      java.util.Random random = new java.util.Random(4);
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        byte[] junk = new byte[15_000];
        random.nextBytes(junk);
        sent.add(junk);
        assertEquals(IngestStatus.REJECTED, f.submit(junk).status());
      }
      long[] stored = sql(f, "SELECT COUNT(*), COALESCE(SUM(OCTET_LENGTH(envelope)), 0), COALESCE(SUM(stored_size), 0) FROM rejections");
      assertTrue(stored[1] <= cap, "envelope bytes stored: " + stored[1]);
      assertTrue(stored[2] <= cap, "bytes charged: " + stored[2]);
      int kept = (int) stored[0];
      assertTrue(kept >= 2, "the newest are kept: " + kept);
      List<byte[]> rows = new ArrayList<>();
      try (java.sql.Connection c = f.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
          java.sql.ResultSet rs = st.executeQuery("SELECT envelope FROM rejections ORDER BY id")) {
        while (rs.next()) {
          rows.add(rs.getBytes(1));
        }
      }
      for (int i = 0; i < kept; i++) {
        assertArrayEquals(sent.get(sent.size() - kept + i), rows.get(i), "row " + i + " is one of the newest, in order");
      }
      assertEquals(40 - kept, f.store.envelopes().rejectionsDroppedSinceStart()[0], "every deleted rejection is counted");
      assertEquals(stored[2], f.store.envelopes().storedRejectionBytes());
    }
  }

  /**
   * A device's own rejections are capped per device, oldest first; its EQUIVOCATION evidence goes
   * last, so junk of its own cannot flush the proof that it equivocated. Another device's bucket is
   * untouched, and the drops are counted for the device.
   */
  @Test
  void a_devices_rejections_are_capped_but_its_equivocation_evidence_stays() throws Exception {
    long cap = 32 * 1024;
    try (PipelineFixture f = new PipelineFixture(database(), PipelineConfig.builder(PipelineFixture.NETWORK).build(),
        new dev.popw.coordinator.store.RejectionLimits(cap, 1024 * 1024, 64 * 1024 * 1024))) {
      Device d = f.device(KeyType.ED25519, true);
      Device other = f.device(KeyType.ED25519, true);
      assertEquals(IngestStatus.ACCEPTED, f.submit(d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes()).status());
      assertEquals(CoordinatorReason.EQUIVOCATION.name(),
          f.submit(d.sealer(1, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(otherWeather()).bytes()).reason());
      Clock ahead = Clock.fixed(f.clock.instant().plus(Duration.ofHours(1)), ZoneOffset.UTC);
      assertEquals(CoordinatorReason.FUTURE_TIMESTAMP.name(),
          f.submit(other.sealer(1, ahead, PipelineFixture.NETWORK, new byte[0]).seal(SampleTelemetry.weather()).bytes()).reason());
      EnvelopeSealer future = d.sealer(2, ahead, PipelineFixture.NETWORK, new byte[0]);
      int flood = 200;
      byte[] last = null;
      for (int i = 0; i < flood; i++) {
        last = future.seal(SampleTelemetry.weather()).bytes();
        assertEquals(CoordinatorReason.FUTURE_TIMESTAMP.name(), f.submit(last).reason());
      }
      long[] mine = sql(f, "SELECT COUNT(*), SUM(stored_size) FROM rejections WHERE device_id='" + d.id() + "'");
      assertTrue(mine[1] <= cap, "bytes charged to the device: " + mine[1]);
      assertEquals(1, f.store.envelopes().rejections(d.id(), "EQUIVOCATION").size(), "the equivocation evidence stays");
      List<RejectionRecord> futures = f.store.envelopes().rejections(d.id(), "FUTURE_TIMESTAMP");
      assertArrayEquals(last, futures.get(futures.size() - 1).envelope(), "the newest is kept");
      assertEquals(flood + 1 - mine[0], f.store.envelopes().rejectionsDropped(d.id()), "the device's drops are counted");
      assertEquals(1, f.store.envelopes().rejections(other.id(), "FUTURE_TIMESTAMP").size(), "another device's bucket is its own");
      assertEquals(0, f.store.envelopes().rejectionsDropped(other.id()));
    }
  }

  /** The total cap deletes the oldest rejections of any bucket, and keeps the per-bucket counters right. */
  @Test
  void the_total_cap_deletes_the_oldest_rejections_of_any_bucket() throws Exception {
    long cap = 32 * 1024;
    try (PipelineFixture f = new PipelineFixture(database(), PipelineConfig.builder(PipelineFixture.NETWORK).build(),
        new dev.popw.coordinator.store.RejectionLimits(cap, cap, 48 * 1024))) {
      Device d = f.device(KeyType.ED25519, true);
      Clock ahead = Clock.fixed(f.clock.instant().plus(Duration.ofHours(1)), ZoneOffset.UTC);
      EnvelopeSealer future = d.sealer(1, ahead, PipelineFixture.NETWORK, new byte[0]);
      for (int i = 0; i < 100; i++) {
        f.submit(future.seal(SampleTelemetry.weather()).bytes());
      }
      java.util.Random random = new java.util.Random(5);
      for (int i = 0; i < 10; i++) {
        byte[] junk = new byte[3_000];
        random.nextBytes(junk);
        f.submit(junk);
      }
      long[] all = sql(f, "SELECT SUM(stored_size) FROM rejections");
      assertTrue(all[0] <= 48 * 1024, "bytes stored in all: " + all[0]);
      long[] quota = sql(f, "SELECT SUM(stored_bytes) FROM rejection_quota");
      assertEquals(all[0], quota[0], "the buckets' counters add up to what is stored");
      assertEquals(all[0], f.store.envelopes().storedRejectionBytes());
      long[] junkStored = sql(f, "SELECT COUNT(*) FROM rejections WHERE device_id IS NULL");
      assertEquals(10, junkStored[0], "the newest rows, the junk, stay; the device's older ones went");
    }
  }

  /**
   * Issue 13, item 4: every active device's state stayed in memory for good. Over the bound the
   * least recently used go; an evicted device is read back from the database at its next envelope,
   * and nothing it sent before is forgotten: a resend is a duplicate (at the top, inside the window,
   * below it), other content under an old number is equivocation, and the chain check of the next
   * envelope still works.
   */
  @Test
  void evicted_devices_are_read_back_from_the_database_and_forget_nothing() throws Exception {
    PipelineConfig config = PipelineConfig.builder(PipelineFixture.NETWORK).sequenceWindow(8).deviceCache(3, Duration.ofHours(1)).build();
    try (PipelineFixture f = new PipelineFixture(database(), config)) {
      List<Device> devices = new ArrayList<>();
      List<List<SealedEnvelope>> sent = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        Device d = f.device(KeyType.ED25519, true);
        devices.add(d);
        List<SealedEnvelope> mine = new ArrayList<>();
        for (int s = 0; s < 12; s++) {
          SealedEnvelope e = d.sealer.seal(SampleTelemetry.weather());
          mine.add(e);
          assertEquals(IngestStatus.ACCEPTED, f.submit(e.bytes()).status());
        }
        sent.add(mine);
      }
      waitUntil(() -> f.pipeline.cachedDevices() <= 3, "the cache shrinks to its bound");
      assertTrue(f.pipeline.deviceStateCounts()[1] >= 7, "evictions counted: " + Arrays.toString(f.pipeline.deviceStateCounts()));
      Device first = devices.get(0);
      List<SealedEnvelope> firstSent = sent.get(0);
      assertEquals(IngestStatus.DUPLICATE, f.submit(firstSent.get(11).bytes()).status(), "the highest number");
      assertEquals(IngestStatus.DUPLICATE, f.submit(firstSent.get(8).bytes()).status(), "inside the window of 8");
      assertEquals(IngestStatus.DUPLICATE, f.submit(firstSent.get(1).bytes()).status(), "below the window");
      SealedEnvelope fork = first.sealer(10, f.clock, PipelineFixture.NETWORK, new byte[0]).seal(otherWeather());
      assertEquals(CoordinatorReason.EQUIVOCATION.name(), f.submit(fork.bytes()).reason());
      IngestResult next = f.submit(first.sealer.seal(SampleTelemetry.weather()).bytes());
      assertEquals(IngestStatus.ACCEPTED, next.status());
      assertEquals(13, next.sequence());
      assertEquals(0, next.flags(), "its chain links to #12, read back from the database");
      IngestResult broken = f.submit(first.sealer(14, f.clock, PipelineFixture.NETWORK, new byte[32]).seal(SampleTelemetry.weather()).bytes());
      assertEquals(AcceptedEnvelope.Flags.CHAIN_GAP, broken.flags());
      assertEquals(14, f.store.envelopes().acceptedSequences(first.id()).size());
    }
  }

  /** A device idle for longer than the idle time leaves memory; its registration changes still apply when it is back. */
  @Test
  void idle_devices_leave_memory() throws Exception {
    PipelineConfig config = PipelineConfig.builder(PipelineFixture.NETWORK).deviceCache(1000, Duration.ofMillis(50)).build();
    try (PipelineFixture f = new PipelineFixture(database(), config)) {
      Device d = f.device(KeyType.ECDSA_P256, true);
      SealedEnvelope e = d.sealer.seal(SampleTelemetry.weather());
      assertEquals(IngestStatus.ACCEPTED, f.submit(e.bytes()).status());
      assertEquals(1, f.pipeline.cachedDevices());
      waitUntil(() -> f.pipeline.cachedDevices() == 0, "the idle device is evicted");
      assertEquals(IngestStatus.DUPLICATE, f.submit(e.bytes()).status());
      f.registry.setActive(d.signer.deviceId(), false);
      assertEquals(CoordinatorReason.DEVICE_INACTIVE.name(), f.submit(d.sealer.seal(SampleTelemetry.weather()).bytes()).reason(),
          "a status change reaches the cached state");
      waitUntil(() -> f.pipeline.cachedDevices() == 0, "evicted again");
      assertEquals(CoordinatorReason.DEVICE_INACTIVE.name(), f.submit(d.sealer.seal(SampleTelemetry.weather()).bytes()).reason(),
          "and the state read back");
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting: " + what);
      }
      Thread.sleep(10);
    }
  }

  /** One row of numbers from a query on the fixture's database. */
  private static long[] sql(PipelineFixture f, String query) throws java.sql.SQLException {
    try (java.sql.Connection c = f.db.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery(query)) {
      rs.next();
      long[] out = new long[rs.getMetaData().getColumnCount()];
      for (int i = 0; i < out.length; i++) {
        out[i] = rs.getLong(i + 1);
      }
      return out;
    }
  }

  /** Sensor content other than {@link SampleTelemetry#weather()}, for a conflicting envelope under the same number. */
  private static dev.popw.proto.v1.SensorReading otherWeather() {
    dev.popw.proto.v1.SensorReading w = SampleTelemetry.weather();
    return w.toBuilder().setMeasurements(0, w.getMeasurements(0).toBuilder().setValue(w.getMeasurements(0).getValue() + 1)).build();
  }
}
