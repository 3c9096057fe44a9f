package dev.popw.coordinator.epoch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.IngestStatus;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.store.VerdictStore;
import dev.popw.coordinator.validation.EpochResult;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Validation is a pure function of stored evidence: an epoch validated, its verdicts wiped and
 * validated again from the database gives the same bytes; the same envelopes ingested in another
 * order (with the same recorded receipt times) into another database give the same verdict set;
 * a tampered stored verdict fails the re-validation.
 */
abstract class EpochDeterminismContract {
  static final String NETWORK = "popw-test";
  static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  static final Instant EPOCH_START = Instant.parse("2026-11-24T12:00:00Z");
  static final EpochSchedule HOURLY = new EpochSchedule(Duration.ofHours(1), Duration.ofSeconds(60));
  static final Validators VALIDATORS =
      dev.popw.coordinator.epoch.DefaultValidators.of(SensorRules.defaults().withTiming(Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofSeconds(60)));

  /** A new, empty database on each call. */
  abstract Database newDatabase();

  record Sent(byte[] bytes, long receivedAt) {}

  record DeviceSpec(SoftwareSigner signer, DeviceKind kind, Location location) {}

  /** Four weather stations (one spike, one stuck, one outlier), a coverage and a GPU device. */
  static final class Scenario {
    final List<DeviceSpec> devices = new ArrayList<>();
    final List<Sent> envelopes = new ArrayList<>();

    Scenario() {
      SecureRandom rnd = new SecureRandom();
      double[][] places = {{52.520, 13.405}, {52.525, 13.410}, {52.515, 13.400}, {52.522, 13.395}};
      for (int s = 0; s < 4; s++) {
        SoftwareSigner signer = SoftwareSigner.generate(s % 2 == 0 ? KeyType.ED25519 : KeyType.ECDSA_P256, rnd);
        devices.add(new DeviceSpec(signer, DeviceKind.SENSOR,
            Location.newBuilder().setLatitude(places[s][0]).setLongitude(places[s][1]).build()));
        MutableClock deviceClock = new MutableClock(EPOCH_START.plusSeconds(30));
        EnvelopeSealer sealer = EnvelopeSealer.builder().signer(signer).sequence(new FixedSequence(1)).clock(deviceClock)
            .networkId(NETWORK).build();
        for (int i = 0; i < 40; i++) {
          double t = 12.0 + i * 0.02;
          if (s == 0 && i == 17) {
            t += 12; // a spike
          }
          if (s == 1 && i >= 20) {
            t = 13.0; // stuck from minute 20
          }
          if (s == 3) {
            t += 15; // an outlier
          }
          SensorReading r = SensorReading.newBuilder()
              .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(t).setUnit(Unit.CELSIUS))
              .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(60 + (i % 3)).setUnit(Unit.PERCENT))
              .build();
          envelopes.add(new Sent(sealer.seal(r).bytes(), deviceClock.millis() + 700));
          deviceClock.advance(Duration.ofSeconds(60));
        }
      }
      SoftwareSigner hotspot = SoftwareSigner.generate(KeyType.ECDSA_SECP256K1, rnd);
      devices.add(new DeviceSpec(hotspot, DeviceKind.COVERAGE, null));
      SoftwareSigner gpu = SoftwareSigner.generate(KeyType.ED25519, rnd);
      devices.add(new DeviceSpec(gpu, DeviceKind.GPU, null));
      MutableClock c = new MutableClock(EPOCH_START.plusSeconds(100));
      EnvelopeSealer hs = EnvelopeSealer.builder().signer(hotspot).sequence(new FixedSequence(1)).clock(c).networkId(NETWORK).build();
      EnvelopeSealer gs = EnvelopeSealer.builder().signer(gpu).sequence(new FixedSequence(1)).clock(c).networkId(NETWORK).build();
      for (int i = 0; i < 6; i++) {
        CoverageReport w = CoverageReport.newBuilder().setRole(CoverageReport.Role.WITNESS).setBeaconId(com.google.protobuf.ByteString.copyFromUtf8("b" + i))
            .setFrequencyHz(868_100_000).setRssiDbm(i == 3 ? 10 : -90).setSnrDb(5).build();
        envelopes.add(new Sent(hs.seal(w).bytes(), c.millis() + 300));
        GpuReport g = GpuReport.newBuilder().addGpus(Gpu.newBuilder().setUuid("GPU-1").setModel("NVIDIA H100").setMemoryTotalMib(81_559)
            .setMemoryUsedMib(1_000).setUtilizationPercent(i == 4 ? 150 : 50).setTemperatureC(60).setPowerW(300)).build();
        envelopes.add(new Sent(gs.seal(g).bytes(), c.millis() + 400));
        c.advance(Duration.ofSeconds(120));
      }
    }
  }

  /** Ingests the envelopes in the given order, each received at its recorded receipt time, then closes the epoch. */
  static final class Run implements AutoCloseable {
    final Database db;
    final MutableClock clock = new MutableClock(EPOCH_START);
    final IngestPipeline pipeline;
    final VerdictStore verdicts;
    final EpochManager epochs;

    Run(Database db, Scenario sc, List<Sent> order) {
      this.db = db;
      Store store = new Store(db);
      pipeline = new IngestPipeline(store, PipelineConfig.builder(NETWORK).build(), clock);
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, NETWORK, clock, Duration.ofMinutes(5));
      for (DeviceSpec d : sc.devices) {
        registry.register(dev.popw.registration.Registrations.sign(d.signer(), OWNER, d.kind(), d.location(), NETWORK, clock));
      }
      for (Sent s : order) {
        clock.set(Instant.ofEpochMilli(s.receivedAt()));
        assertEquals(IngestStatus.ACCEPTED, pipeline.submit(s.bytes(), null).join().status());
      }
      verdicts = store.verdicts();
      epochs = new EpochManager(verdicts, VALIDATORS, HOURLY, clock);
    }

    EpochRecord closeEpoch() {
      clock.set(Instant.ofEpochMilli(HOURLY.closesAt(HOURLY.epochOf(EPOCH_START.toEpochMilli()))));
      List<EpochRecord> closed = epochs.tick();
      assertEquals(1, closed.size(), "exactly the epoch with evidence closes");
      return closed.get(0);
    }

    byte[] storedVerdictBytes(long epoch) {
      List<Verdict> stored = verdicts.verdicts(epoch);
      return EpochResult.encodeVerdicts(epoch, EpochResult.of(epoch, stored, List.of(), "").verdicts());
    }

    @Override
    public void close() {
      pipeline.close();
      db.close();
    }
  }

  @Test
  void validating_again_from_stored_evidence_and_in_another_ingest_order_gives_identical_verdicts() throws Exception {
    Scenario sc = new Scenario();
    long epoch = HOURLY.epochOf(EPOCH_START.toEpochMilli());
    byte[] first;
    EpochRecord a;
    try (Run run = new Run(newDatabase(), sc, sc.envelopes)) {
      assertEquals(0, run.epochs.tick().size(), "the epoch is still open");
      a = run.closeEpoch();
      assertEquals(sc.envelopes.size(), a.envelopes());
      Map<String, Long> reasons = run.verdicts.verdicts(epoch).stream()
          .collect(Collectors.groupingBy(v -> v.status() + "/" + v.reason(), TreeMap::new, Collectors.counting()));
      assertEquals(1L, reasons.get("INVALID/JUMP"), reasons.toString());
      assertEquals(10L, reasons.get("INVALID/STUCK_SENSOR"), "13.0 from minute 20, 10-min limit: minutes 30 to 39; " + reasons);
      assertEquals(40L, reasons.get("INVALID/OUTLIER"), reasons.toString());
      assertEquals(2L, reasons.get("INVALID/IMPLAUSIBLE"), reasons.toString());
      first = run.storedVerdictBytes(epoch);

      run.epochs.reopen(epoch);
      assertEquals(0, run.verdicts.verdicts(epoch).size());
      EpochRecord again = run.closeEpoch();
      assertArrayEquals(a.verdictSetHash(), again.verdictSetHash());
      assertArrayEquals(a.summaryHash(), again.summaryHash());
      assertArrayEquals(first, run.storedVerdictBytes(epoch), "re-validated from the stored evidence, byte for byte");
      assertTrue(run.epochs.revalidate(epoch).matches());

      // A stored verdict changed behind the coordinator's back fails the re-validation.
      try (Connection c = run.db.dataSource().getConnection(); Statement st = c.createStatement()) {
        assertEquals(1, st.executeUpdate("UPDATE verdicts SET status='VALID', reason='OK' WHERE reason='JUMP'"));
      }
      EpochManager.Audit tampered = run.epochs.revalidate(epoch);
      assertFalse(tampered.matches());
      assertFalse(tampered.storedVerdictsMatch());
      assertTrue(tampered.parametersMatch());
    }

    List<Sent> shuffled = new ArrayList<>(sc.envelopes);
    Collections.shuffle(shuffled, new Random(42));
    try (Run run = new Run(newDatabase(), sc, shuffled)) {
      EpochRecord b = run.closeEpoch();
      assertArrayEquals(a.verdictSetHash(), b.verdictSetHash(), "another ingest order, another database: the same verdict set");
      assertArrayEquals(a.summaryHash(), b.summaryHash());
      assertArrayEquals(a.parametersHash(), b.parametersHash());
      assertArrayEquals(first, run.storedVerdictBytes(epoch));
    }
  }
}
