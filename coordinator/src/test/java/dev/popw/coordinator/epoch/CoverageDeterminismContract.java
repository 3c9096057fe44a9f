package dev.popw.coordinator.epoch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.ingest.IngestPipeline;
import dev.popw.coordinator.ingest.IngestStatus;
import dev.popw.coordinator.ingest.PipelineConfig;
import dev.popw.coordinator.registry.DeviceRegistry;
import dev.popw.coordinator.store.Database;
import dev.popw.coordinator.store.EpochRecord;
import dev.popw.coordinator.store.Store;
import dev.popw.coordinator.store.VerdictStore;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.IssuedEntropy;
import dev.popw.coordinator.validation.Validators;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.sensor.SensorRules;
import dev.popw.entropy.Entropies;
import dev.popw.envelope.EnvelopeSealer;
import dev.popw.identity.EvmAddress;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.DeviceKind;
import dev.popw.proto.v1.Location;
import dev.popw.testing.FixedSequence;
import dev.popw.testing.MutableClock;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Coverage verdicts are a pure function of the stored evidence: the same signed BEACON and WITNESS
 * envelopes (and the same issued entropy) ingested through the ingest pipeline into two separate
 * databases in different arrival orders, each envelope recorded at the same receipt time on the
 * injected clock, give identical verdicts (status, reason, explanation with its numbers), HIP-15
 * units and hex scales per report and device, and identical epoch hashes. The network has honest
 * hotspots, a far false location, a pair that only hears each other (unconfirmed), a beacon with
 * expired entropy and a late witness, so the cross-beacon stages all decide something.
 */
abstract class CoverageDeterminismContract {
  static final String NETWORK = "popw-test";
  static final EvmAddress OWNER = EvmAddress.parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  static final Instant EPOCH_START = Instant.parse("2026-11-24T12:00:00Z");
  static final EpochSchedule HOURLY = new EpochSchedule(Duration.ofHours(1), Duration.ofSeconds(60));
  static final Validators VALIDATORS = DefaultValidators.of(SensorRules.defaults());
  static final double LAT = 52.52;
  static final double LON = 13.405;

  /** A new, empty database on each call. */
  abstract Database newDatabase();

  record Sent(byte[] bytes, long receivedAt) {}

  record Hotspot(SoftwareSigner signer, double lat, double lon, double trueLat, double trueLon, EnvelopeSealer sealer,
      MutableClock clock) {
    byte[] tag() throws Exception {
      return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(signer.deviceId().toBytes()), 8);
    }
  }

  static final class Scenario {
    final List<Hotspot> hotspots = new ArrayList<>();
    final List<IssuedEntropy> entropy = new ArrayList<>();
    final List<Sent> envelopes = new ArrayList<>();
    final Random rnd = new Random(14);

    Hotspot add(double lat, double lon, double trueLat, double trueLon) {
      SoftwareSigner s = SoftwareSigner.generate(KeyType.ED25519, new java.security.SecureRandom());
      MutableClock c = new MutableClock(EPOCH_START);
      Hotspot h = new Hotspot(s, lat, lon, trueLat, trueLon,
          EnvelopeSealer.builder().signer(s).sequence(new FixedSequence(1)).clock(c).networkId(NETWORK).build(), c);
      hotspots.add(h);
      return h;
    }

    static double north(double m) {
      return Math.toDegrees(m / 6_371_008.8);
    }

    static double east(double m) {
      return Math.toDegrees(m / (6_371_008.8 * Math.cos(Math.toRadians(LAT))));
    }

    Scenario() throws Exception {
      // nine honest hotspots on a 3 x 3 grid, 1.5 km apart
      for (int i = 0; i < 9; i++) {
        double la = LAT + north(1_500 * (i / 3));
        double lo = LON + east(1_500 * (i % 3));
        add(la, lo, la, lo);
      }
      // a far false location: among them, claims 20 km north
      add(LAT + north(20_750), LON + east(750), LAT + north(750), LON + east(750));
      // a pair 60 km east that only hears each other
      add(LAT, LON + east(60_000), LAT, LON + east(60_000));
      add(LAT + north(2_000), LON + east(60_000), LAT + north(2_000), LON + east(60_000));
      long t = EPOCH_START.toEpochMilli() + 60_000;
      long seq = 1;
      for (Hotspot b : hotspots) {
        byte[] value = new byte[32];
        rnd.nextBytes(value);
        IssuedEntropy e = new IssuedEntropy(seq++, value, t - 30_000, t - 30_000 + 180_000);
        entropy.add(e);
        boolean expired = b == hotspots.get(4);
        long tx = expired ? t + 200_000 : t; // the centre hotspot beacons with entropy 230 s old
        byte[] nonce = new byte[16];
        rnd.nextBytes(nonce);
        byte[] id = Entropies.beaconId(value, nonce, b.signer().deviceId().toBytes());
        CoverageReport beacon = CoverageReport.newBuilder().setRole(CoverageReport.Role.BEACON).setBeaconId(ByteString.copyFrom(id))
            .setBeaconEntropy(ByteString.copyFrom(value)).setBeaconNonce(ByteString.copyFrom(nonce))
            .setBeaconerId(ByteString.copyFrom(b.tag())).setFrequencyHz(868_100_000).setTxPowerDbm(14).setDataRate("SF9BW125").build();
        b.clock().set(Instant.ofEpochMilli(tx));
        envelopes.add(new Sent(b.sealer().seal(beacon).bytes(), tx + 400));
        for (Hotspot w : hotspots) {
          double d = haversine(b.trueLat(), b.trueLon(), w.trueLat(), w.trueLon());
          if (w == b || d > 8_000) {
            continue;
          }
          // log-distance with exponent 3.2 and noise, from the true places
          double rssi = 14 + 2.4 - (31.2 + 32 * Math.log10(d) + rnd.nextGaussian() * 4);
          CoverageReport wr = CoverageReport.newBuilder().setRole(CoverageReport.Role.WITNESS).setBeaconId(ByteString.copyFrom(id))
              .setBeaconEntropy(ByteString.copyFrom(Arrays.copyOf(value, 8))).setBeaconerId(ByteString.copyFrom(b.tag()))
              .setFrequencyHz(868_100_000 + rnd.nextInt(4_000)).setRssiDbm((float) rssi).setSnrDb(5).setDataRate("SF9BW125").build();
          w.clock().set(Instant.ofEpochMilli(tx + 300));
          long late = w == hotspots.get(0) && b == hotspots.get(1) ? 5_000 : 0; // one witness 5 s late
          envelopes.add(new Sent(w.sealer().seal(wr).bytes(), tx + 700 + rnd.nextInt(1_500) + late));
        }
        t += 120_000;
      }
    }
  }

  static double haversine(double lat1, double lon1, double lat2, double lon2) {
    double p1 = Math.toRadians(lat1);
    double p2 = Math.toRadians(lat2);
    double dp = p2 - p1;
    double dl = Math.toRadians(lon2 - lon1);
    double a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  /** One coordinator's database: entropy stored, devices registered, envelopes ingested in the given order, the epoch closed. */
  static final class Run implements AutoCloseable {
    final Database db;
    final MutableClock clock = new MutableClock(EPOCH_START);
    final IngestPipeline pipeline;
    final VerdictStore verdicts;
    final EpochManager epochs;

    Run(Database db, Scenario sc, List<Sent> order) {
      this.db = db;
      Store store = new Store(db);
      for (IssuedEntropy e : sc.entropy) {
        assertTrue(store.entropy().saveIfNew(e, new byte[] {1}));
      }
      pipeline = new IngestPipeline(store, PipelineConfig.builder(NETWORK).build(), clock);
      DeviceRegistry registry = new DeviceRegistry(store, pipeline, NETWORK, clock, Duration.ofMinutes(5));
      for (Hotspot h : sc.hotspots) {
        registry.register(dev.popw.registration.Registrations.sign(h.signer(), OWNER, DeviceKind.COVERAGE,
            Location.newBuilder().setLatitude(h.lat()).setLongitude(h.lon()).build(), NETWORK, clock));
      }
      for (Sent s : order) {
        clock.set(Instant.ofEpochMilli(s.receivedAt()));
        var result = pipeline.submit(s.bytes(), null).join();
        assertEquals(IngestStatus.ACCEPTED, result.status(), result.reason() + ": " + result.detail());
      }
      verdicts = store.verdicts();
      epochs = new EpochManager(verdicts, VALIDATORS, HOURLY, clock);
    }

    EpochRecord closeEpoch() {
      clock.set(Instant.ofEpochMilli(HOURLY.closesAt(HOURLY.epochOf(EPOCH_START.toEpochMilli()))));
      List<EpochRecord> closed = epochs.tick();
      assertEquals(1, closed.size());
      return closed.get(0);
    }

    /** Per envelope hash: status, reason, explanation, and the stored units (w, base units, hex scale, units). */
    Map<String, String> verdictsAndUnits(long epoch) {
      Map<String, String> m = new TreeMap<>();
      for (Verdict v : verdicts.verdicts(epoch)) {
        String units = verdicts.coverageUnits(v.envelopeHash()).map(Arrays::toString).orElse("-");
        m.put(HexFormat.of().formatHex(v.envelopeHash()), v.deviceId() + " " + v.status() + " " + v.reason() + " | " + v.explanation()
            + " | " + units);
      }
      return m;
    }

    Map<String, CoverageSummary> devices(long epoch) {
      Map<String, CoverageSummary> m = new TreeMap<>();
      for (CoverageSummary c : verdicts.coverage(epoch)) {
        m.put(c.deviceId(), c);
      }
      return m;
    }

    @Override
    public void close() {
      pipeline.close();
      db.close();
    }
  }

  @Test
  void the_same_coverage_evidence_in_another_arrival_order_gives_identical_verdicts_units_and_hashes() throws Exception {
    Scenario sc = new Scenario();
    long epoch = HOURLY.epochOf(EPOCH_START.toEpochMilli());
    List<Sent> byReceipt = new ArrayList<>(sc.envelopes);
    byReceipt.sort((a, b) -> Long.compare(a.receivedAt(), b.receivedAt()));
    List<Sent> shuffled = new ArrayList<>(sc.envelopes);
    Collections.shuffle(shuffled, new Random(7));
    List<Sent> reversed = new ArrayList<>(byReceipt);
    Collections.reverse(reversed);
    EpochRecord a;
    Map<String, String> va;
    Map<String, CoverageSummary> da;
    try (Run run = new Run(newDatabase(), sc, byReceipt)) {
      a = run.closeEpoch();
      va = run.verdictsAndUnits(epoch);
      da = run.devices(epoch);
    }
    assertEquals(sc.envelopes.size(), va.size(), "one verdict per envelope");
    Map<String, Long> reasons = new TreeMap<>();
    for (String v : va.values()) {
      reasons.merge(v.split(" ")[2], 1L, Long::sum);
    }
    // the scenario exercises the rules it is meant to: the stored verdicts are not trivially equal
    for (String r : List.of(WorkReason.OK, WorkReason.ENTROPY_EXPIRED, WorkReason.WITNESS_TOO_LATE, WorkReason.UNCONFIRMED_LOCATION)) {
      assertTrue(reasons.containsKey(r), r + " in " + reasons);
    }
    assertTrue(reasons.containsKey(WorkReason.RANGE_INCONSISTENT) || reasons.containsKey(WorkReason.LOCATION_FIT),
        "the far false location is caught: " + reasons);
    String liar = sc.hotspots.get(9).signer().deviceId().toString();
    assertEquals(0.0, da.get(liar).units(), "the far false location earns nothing: " + da.get(liar));
    assertTrue(da.values().stream().filter(c -> c.units() > 0 && c.hexScale() > 0).count() >= 5, "honest hotspots earn: " + da);
    for (List<Sent> order : List.of(shuffled, reversed)) {
      try (Run run = new Run(newDatabase(), sc, order)) {
        EpochRecord b = run.closeEpoch();
        assertEquals(va, run.verdictsAndUnits(epoch), "verdicts, reasons, explanations and units per envelope");
        assertEquals(da, run.devices(epoch), "per-device beacons, witnesses, HIP-15 units, hex scale, cell, reciprocity, fit");
        assertArrayEquals(a.verdictSetHash(), b.verdictSetHash(), "the epoch's verdict-set hash");
        assertArrayEquals(a.summaryHash(), b.summaryHash(), "the epoch's summary hash");
        assertArrayEquals(a.parametersHash(), b.parametersHash());
        assertTrue(run.epochs.revalidate(epoch).matches(), "re-validated from the database, the same");
      }
    }
  }
}
