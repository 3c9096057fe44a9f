package dev.popw.coordinator.validation.coverage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.uber.h3core.H3Core;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.EpochResult;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.InMemoryEvidence;
import dev.popw.coordinator.validation.IssuedEntropy;
import dev.popw.coordinator.validation.ReportUnits;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictStatus;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.entropy.Entropies;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Telemetry;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each coverage rule provoked by a hand-built beacon/witness pair. Distances and path losses are
 * computed here independently of the validator (haversine with java.lang.Math, free-space loss in
 * its textbook form 20·log10(d) + 20·log10(f) − 147.55), and the explanations must carry them.
 */
class CoverageValidatorTest {
  static final long DAY = 86_400_000L;
  static final long START = 20_781 * DAY; // 2026-11-24T00:00:00Z
  static final long T = START + 3_600_000; // 01:00
  static final SecureRandom RANDOM = new SecureRandom();
  static final double LAT = 52.5200;
  static final double LON = 13.4050;

  InMemoryEvidence ev;
  IssuedEntropy entropy;
  int nonces;
  final java.util.Map<String, Long> sequences = new java.util.HashMap<>();

  record Node(String id, byte[] idBytes, double lat, double lon) {}

  @BeforeEach
  void setUp() {
    ev = new InMemoryEvidence(START / DAY, START, START + DAY);
    byte[] value = new byte[32];
    for (int i = 0; i < 32; i++) {
      value[i] = (byte) (i * 7 + 1);
    }
    entropy = new IssuedEntropy(41, value, T - 30_000, T - 30_000 + 180_000);
    ev.entropy(entropy);
    issued.clear();
    issued.add(entropy);
    // and, like the coordinator, a new one every minute of the day after it
    for (int k = 1; k < 24 * 60; k++) {
      byte[] v = new byte[32];
      v[0] = (byte) k;
      v[1] = (byte) (k >> 8);
      v[31] = 0x77;
      IssuedEntropy e = new IssuedEntropy(41 + k, v, T - 30_000 + k * 60_000L, T - 30_000 + k * 60_000L + 180_000);
      ev.entropy(e);
      issued.add(e);
    }
  }

  final List<IssuedEntropy> issued = new ArrayList<>();

  /** The latest entropy issued at or before {@code at}. */
  byte[] entropyAt(long at) {
    IssuedEntropy best = issued.get(0);
    for (IssuedEntropy e : issued) {
      if (e.issuedAtMs() <= at) {
        best = e;
      }
    }
    return best.value();
  }

  /** Rules with the cross-beacon checks off (single-rule tests have too few devices to fit). */
  static CoverageRules pairRules() {
    CoverageRules d = CoverageRules.defaults();
    return d.withFit(new CoverageRules.Fit(false, 3, 8, 3, 2, 4.5, 2000, 13.82)).withRing(new CoverageRules.Ring(false, 3, 3000, 3))
        .withCheck(CoverageRules.LocationCheck.off());
  }

  Node node(double lat, double lon) {
    SoftwareSigner k = SoftwareSigner.generate(KeyType.ED25519, RANDOM);
    Node n = new Node(k.deviceId().toString(), k.deviceId().toBytes(), lat, lon);
    ev.device(n.id, lat, lon);
    return n;
  }

  /** A point {@code meters} north of (lat, lon). */
  static double north(double lat, double meters) {
    return lat + Math.toDegrees(meters / 6_371_008.8);
  }

  static byte[] tag(Node n) throws Exception {
    return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(n.idBytes), 8);
  }

  long seq(Node n) {
    return sequences.merge(n.id, 1L, Long::sum);
  }

  Evidence beacon(Node n, long at) throws Exception {
    return beacon(n, at, entropyAt(at), 868_100_000L, 14f);
  }

  Evidence beacon(Node n, long at, byte[] value, long freq, float tx) throws Exception {
    byte[] nonce = new byte[16];
    nonce[0] = (byte) ++nonces;
    nonce[15] = (byte) (nonces >> 8);
    byte[] id = Entropies.beaconId(value.length == 32 ? value : new byte[32], nonce, n.idBytes);
    return ev.add(n.id, seq(n), at, at, Telemetry.newBuilder().setNetworkId("popw-test").setCoverage(CoverageReport.newBuilder()
        .setRole(CoverageReport.Role.BEACON).setBeaconId(ByteString.copyFrom(id)).setBeaconEntropy(ByteString.copyFrom(value))
        .setBeaconNonce(ByteString.copyFrom(nonce)).setBeaconerId(ByteString.copyFrom(tag(n))).setFrequencyHz(freq)
        .setTxPowerDbm(tx).setDataRate("SF9BW125")));
  }

  Evidence witness(Node n, Evidence beacon, long at, double rssi) throws Exception {
    return witness(n, beacon, at, rssi, beacon.telemetry().getCoverage().getFrequencyHz());
  }

  Evidence witness(Node n, Evidence beacon, long at, double rssi, long freq) throws Exception {
    CoverageReport b = beacon.telemetry().getCoverage();
    return ev.add(n.id, seq(n), at, at, Telemetry.newBuilder().setNetworkId("popw-test").setCoverage(CoverageReport.newBuilder()
        .setRole(CoverageReport.Role.WITNESS).setBeaconId(b.getBeaconId()).setBeaconEntropy(b.getBeaconEntropy().substring(0, 8))
        .setBeaconerId(b.getBeaconerId()).setFrequencyHz(freq).setRssiDbm((float) rssi).setSnrDb(5f).setDataRate("SF9BW125")));
  }

  /** Great-circle distance, written out here (not the validator's Geo). */
  static double haversine(double lat1, double lon1, double lat2, double lon2) {
    double r = 6_371_008.8;
    double dp = Math.toRadians(lat2 - lat1);
    double dl = Math.toRadians(lon2 - lon1);
    double a = Math.sin(dp / 2) * Math.sin(dp / 2)
        + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2)) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  /** Free-space path loss, textbook form: d in m, f in Hz. */
  static double fspl(double d, double f) {
    return 20 * Math.log10(d) + 20 * Math.log10(f) - 147.55;
  }

  EpochResult run(CoverageRules rules) {
    return ev.run(new CoverageValidator(rules, Denylist.none()));
  }

  EpochResult run(CoverageRules rules, Denylist deny) {
    return ev.run(new CoverageValidator(rules, deny));
  }

  static Verdict v(EpochResult r, Evidence e) {
    return r.verdicts().stream().filter(x -> Arrays.equals(x.envelopeHash(), e.hash())).findFirst().orElseThrow();
  }

  static void invalid(EpochResult r, Evidence e, String reason, String... fragments) {
    Verdict x = v(r, e);
    assertEquals(VerdictStatus.INVALID, x.status(), x.explanation());
    assertEquals(reason, x.reason(), x.explanation());
    for (String f : fragments) {
      assertTrue(x.explanation().contains(f), "'" + f + "' in: " + x.explanation());
    }
  }

  static String f1(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  /** Two devices 1 km apart that beacon and witness each other: every report valid. */
  Node a;
  Node b;
  Evidence ba;
  Evidence bb;
  Evidence wb;
  Evidence wa;

  void pair() throws Exception {
    a = node(LAT, LON);
    b = node(north(LAT, 1000), LON);
    ba = beacon(a, T);
    wb = witness(b, ba, T + 800, -95);
    bb = beacon(b, T + 60_000);
    wa = witness(a, bb, T + 60_500, -96);
  }

  @Test
  void a_reciprocal_pair_is_valid_with_its_numbers_and_hip15_units() throws Exception {
    pair();
    EpochResult r = run(pairRules());
    for (Evidence e : List.of(ba, bb, wa, wb)) {
      assertEquals(VerdictStatus.VALID, v(r, e).status(), v(r, e).explanation());
    }
    double d = haversine(a.lat, a.lon, b.lat, b.lon);
    double max = 14 + 1.2 + 1.2 - fspl(d, 868.1e6);
    assertTrue(v(r, wb).explanation().contains(String.format(Locale.ROOT, "at %.0f m", d)), v(r, wb).explanation());
    assertTrue(v(r, wb).explanation().contains("free space allows " + f1(max) + " dBm"), v(r, wb).explanation());
    assertTrue(v(r, wb).explanation().contains("0.800 s after the beacon"), v(r, wb).explanation());
    // HIP-15 with one witness: the beaconer earns 1/4, the witness 1, each times the beaconer's hex scale
    ReportUnits ub = units(r, ba);
    ReportUnits uw = units(r, wb);
    assertEquals(0.25, ub.baseUnits(), 1e-12);
    assertEquals(1.0, uw.baseUnits(), 1e-12);
    assertEquals(ub.hexScale(), uw.hexScale());
    assertEquals(0.25 * ub.hexScale(), ub.units(), 1e-12);
    assertTrue(v(r, ba).explanation().contains("entropy #41 issued 30.0 s before"), v(r, ba).explanation());
    CoverageSummary s = r.coverage().stream().filter(x -> x.deviceId().equals(a.id)).findFirst().orElseThrow();
    assertTrue(s.reciprocal());
    assertEquals(ub.units() + units(r, wa).units(), s.units(), 1e-12);
  }

  static ReportUnits units(EpochResult r, Evidence e) {
    return r.units().stream().filter(u -> Arrays.equals(u.envelopeHash(), e.hash())).findFirst().orElseThrow();
  }

  @Test
  void received_power_above_free_space_is_rejected_with_the_limit() throws Exception {
    pair();
    Node c = node(north(LAT, -2500), LON);
    Evidence w = witness(c, ba, T + 900, -60);
    EpochResult r = run(pairRules());
    double d = haversine(a.lat, a.lon, c.lat, c.lon);
    double loss = fspl(d, 868.1e6);
    invalid(r, w, WorkReason.RSSI_ABOVE_FREE_SPACE, String.format(Locale.ROOT, "from %.0f m", d), "received -60.0 dBm",
        "at most " + f1(14 + 1.2 + 1.2 - loss) + " dBm", "free-space loss " + f1(loss) + " dB", "beacon 14.0 dBm");
    // HIP-15: a witness refused for its signal counts towards w: the beacon now has w = 2, one rewarded
    assertEquals(2, units(r, ba).witnessCount());
    assertEquals(2.0 / 4 * 1 / 2, units(r, ba).baseUnits(), 1e-12);
  }

  @Test
  void too_close_by_h3_grid_distance_and_too_far() throws Exception {
    pair();
    Node near = node(north(LAT, 200), LON);
    Node far = node(north(LAT, 150_000), LON);
    Evidence wn = witness(near, ba, T + 700, -70);
    Evidence wf = witness(far, ba, T + 700, -130);
    EpochResult r = run(pairRules());
    H3Core h3 = H3.get();
    long grid = h3.gridDistance(h3.latLngToCell(a.lat, a.lon, 11), h3.latLngToCell(near.lat, near.lon, 11));
    assertTrue(grid < 8, "200 m is fewer than 8 resolution-11 cells: " + grid);
    invalid(r, wn, WorkReason.TOO_CLOSE, String.format(Locale.ROOT, "%.0f m from the beaconer", haversine(a.lat, a.lon, near.lat, near.lon)),
        "grid distance " + grid + "; minimum 8");
    invalid(r, wf, WorkReason.TOO_FAR, String.format(Locale.ROOT, "%.2f km from the beaconer; limit 100.00 km",
        haversine(a.lat, a.lon, far.lat, far.lon) / 1000));
  }

  @Test
  void frequency_region_and_timing() throws Exception {
    pair();
    Node c = node(north(LAT, -1500), LON);
    Evidence off = witness(c, ba, T + 500, -100, 868_300_000L);
    Node d = node(north(LAT, -1600), LON);
    Evidence us = witness(d, ba, T + 500, -100, 915_000_000L);
    Node e = node(north(LAT, -1700), LON);
    Evidence late = witness(e, ba, T + 4_500, -100);
    Node f = node(north(LAT, -1800), LON);
    Evidence bf = beacon(f, T + 120_000);
    Evidence early = witness(b, bf, T + 118_000, -100); // 2.0 s before the beacon, and the first witness
    Node g = node(north(LAT, -2900), LON);
    Evidence bg = beacon(g, T + 180_000);
    Evidence earlyOk = witness(a, bg, T + 179_000, -110); // 1.0 s before: within 1.5 s
    EpochResult r = run(pairRules());
    invalid(r, off, WorkReason.FREQUENCY_MISMATCH, "200.0 kHz from the beacon's 868.100 MHz; limit 100.0 kHz");
    invalid(r, us, WorkReason.WRONG_REGION, "915.000 MHz (US915)", "868.100 MHz (EU868)");
    invalid(r, late, WorkReason.WITNESS_TOO_LATE, "received 4.500 s after its beacon; limit 4.000 s");
    invalid(r, early, WorkReason.WITNESS_TOO_EARLY, "received 2.000 s before its beacon", "limit 1.500 s");
    assertTrue(v(r, earlyOk).status() == VerdictStatus.VALID || !v(r, earlyOk).reason().startsWith("WITNESS_TOO"),
        v(r, earlyOk).explanation());
    assertTrue(v(r, earlyOk).explanation().contains("1.000 s before the beacon") || v(r, earlyOk).reason().equals(WorkReason.OK),
        v(r, earlyOk).explanation());
  }

  @Test
  void beacon_identity_rules() throws Exception {
    pair();
    Node c = node(north(LAT, 3000), LON);
    Evidence bc = beacon(c, T + 30_000);
    witness(a, bc, T + 30_200, -110); // c is reciprocal
    Evidence self = witness(a, ba, T + 300, -50);
    Evidence dup1 = witness(c, bb, T + 60_300, -100);
    Evidence dup2 = witness(c, bb, T + 60_400, -100);
    Evidence ghost = ev.add(c.id, seq(c), T + 70_000, T + 70_000, Telemetry.newBuilder().setCoverage(CoverageReport.newBuilder()
        .setRole(CoverageReport.Role.WITNESS).setBeaconId(ByteString.copyFrom(new byte[16])).setBeaconEntropy(ByteString.copyFrom(new byte[8]))
        .setBeaconerId(ByteString.copyFrom(tag(a))).setFrequencyHz(868_100_000L).setRssiDbm(-100)));
    CoverageReport bbr = bb.telemetry().getCoverage();
    Evidence wrongEntropy = ev.add(c.id, seq(c), T + 60_600, T + 60_600, Telemetry.newBuilder().setCoverage(bbr.toBuilder()
        .setRole(CoverageReport.Role.WITNESS).setBeaconEntropy(ByteString.copyFrom(new byte[8])).clearBeaconNonce().setRssiDbm(-100)));
    Evidence wrongTag = ev.add(c.id, seq(c), T + 60_700, T + 60_700, Telemetry.newBuilder().setCoverage(bbr.toBuilder()
        .setRole(CoverageReport.Role.WITNESS).setBeaconEntropy(bbr.getBeaconEntropy().substring(0, 8)).setBeaconerId(ByteString.copyFrom(tag(c)))
        .setRssiDbm(-100)));
    EpochResult r = run(pairRules());
    invalid(r, self, WorkReason.SELF_WITNESS);
    assertEquals(VerdictStatus.VALID, v(r, dup1).status(), v(r, dup1).explanation());
    invalid(r, dup2, WorkReason.DUPLICATE_WITNESS, "already witnessed beacon");
    invalid(r, ghost, WorkReason.NO_BEACON, "no beacon report with id 00000000000000000000000000000000");
    invalid(r, wrongEntropy, WorkReason.ENTROPY_MISMATCH, "heard entropy 0000000000000000", "its beacon carried "
        + java.util.HexFormat.of().formatHex(bbr.getBeaconEntropy().toByteArray(), 0, 8));
    invalid(r, wrongTag, WorkReason.SELF_WITNESS); // the tag it names is its own
  }

  @Test
  void entropy_rules_unknown_expired_and_bad_beacon_id() throws Exception {
    pair();
    Node c = node(north(LAT, -3000), LON);
    byte[] other = new byte[32];
    other[0] = 9;
    Evidence unknown = beacon(c, T + 100_000, other, 868_100_000L, 14f);
    Node d = node(north(LAT, -3500), LON);
    Evidence expired = beacon(d, entropy.issuedAtMs() + 181_000, entropy.value(), 868_100_000L, 14f); // #41, 181 s before receipt
    Evidence heardExpired = witness(a, expired, entropy.issuedAtMs() + 181_500, -110);
    EpochResult r = run(pairRules().withTiming(Duration.ofSeconds(180), Duration.ofSeconds(4), Duration.ofMillis(1500),
        Duration.ofHours(6), Duration.ofHours(48)));
    invalid(r, unknown, WorkReason.UNKNOWN_ENTROPY, "was never issued by this coordinator");
    invalid(r, expired, WorkReason.ENTROPY_EXPIRED, "entropy #41 was issued 181.0 s before the beacon report was received", "limit 180 s");
    invalid(r, heardExpired, WorkReason.BEACON_INVALID, "is INVALID: ENTROPY_EXPIRED");
  }

  @Test
  void a_beacon_id_that_its_entropy_nonce_and_device_do_not_give_is_bad() throws Exception {
    pair();
    Node e = node(north(LAT, -4000), LON);
    CoverageReport good = beacon(e, T + 90_000).telemetry().getCoverage();
    Evidence forged = ev.add(e.id, seq(e), T + 100_000, T + 100_000, Telemetry.newBuilder().setCoverage(good.toBuilder()
        .setBeaconNonce(ByteString.copyFrom(new byte[16]))));
    EpochResult r = run(pairRules());
    byte[] expected = Entropies.beaconId(good.getBeaconEntropy().toByteArray(), new byte[16], e.idBytes);
    invalid(r, forged, WorkReason.BAD_BEACON_ID, "expected " + java.util.HexFormat.of().formatHex(expected));
  }

  @Test
  void one_beacon_per_interval_and_replays() throws Exception {
    pair();
    CoverageReport first = ba.telemetry().getCoverage();
    Evidence again = beacon(a, T + 120_000); // 2 min later, same 6-h interval
    Evidence replay = ev.add(a.id, seq(a), T + 60_000, T + 60_000, Telemetry.newBuilder().setCoverage(first)); // the same beacon again
    Evidence old = ev.add(a.id, seq(a), T + 7 * 3_600_000, T + 7 * 3_600_000, Telemetry.newBuilder().setCoverage(first)); // 7 h later
    EpochResult r = run(pairRules());
    invalid(r, again, WorkReason.BEACON_TOO_FREQUENT, "2.0 min earlier", "6.0-h beacon interval starting 2026-11-24T00:00:00Z");
    invalid(r, replay, WorkReason.DUPLICATE_BEACON, "was reported before by " + a.id);
    invalid(r, old, WorkReason.ENTROPY_EXPIRED, "limit 180 s"); // a replay hours later: its entropy is stale
  }

  @Test
  void denylisted_device_and_pair() throws Exception {
    pair();
    Node c = node(north(LAT, 2000), LON);
    Evidence wc = witness(c, ba, T + 900, -100);
    Node d = node(north(LAT, 2500), LON);
    Evidence wd = witness(d, ba, T + 900, -100);
    Denylist deny = Denylist.of(List.of(new Denylist.Entry(c.id, null, START, Long.MAX_VALUE, "gaming"),
        new Denylist.Entry(a.id, d.id, START, Long.MAX_VALUE, "")));
    EpochResult r = run(pairRules(), deny);
    invalid(r, wc, WorkReason.DENYLISTED, "since 2026-11-24T00:00:00Z (gaming)");
    invalid(r, wd, WorkReason.DENYLISTED_PAIR, a.id + " / " + d.id);
    // an entry not yet in force at the receipt time does not apply
    Denylist later = Denylist.of(List.of(new Denylist.Entry(c.id, null, T + 1000, Long.MAX_VALUE, "")));
    assertTrue(!v(run(pairRules(), later), wc).reason().equals(WorkReason.DENYLISTED));
  }

  @Test
  void a_device_that_only_beacons_earns_nothing() throws Exception {
    pair();
    Node lone = node(north(LAT, -5000), LON);
    Evidence bl = beacon(lone, T + 200_000);
    Evidence heard = witness(a, bl, T + 200_500, -115);
    EpochResult r = run(pairRules());
    invalid(r, bl, WorkReason.NO_RECIPROCITY, "no valid witness received in the 48 h before the epoch's end");
    assertEquals(VerdictStatus.VALID, v(r, heard).status(), "witnessing a non-reciprocal beaconer is still valid");
  }

  @Test
  void witnesses_beyond_the_cap_are_valid_unrewarded_and_units_follow_hip15() throws Exception {
    Node hub = node(LAT, LON);
    Evidence bh = beacon(hub, T);
    List<Evidence> ws = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      double ang = i * Math.PI / 8;
      double dn = 1500 * Math.cos(ang);
      double de = 1500 * Math.sin(ang);
      Node w = node(north(LAT, dn), LON + Math.toDegrees(de / (6_371_008.8 * Math.cos(Math.toRadians(LAT)))));
      ws.add(witness(w, bh, T + 100 + i * 10, -100));
      Evidence bw = beacon(w, T + 60_000 + i * 1000);
      witness(hub, bw, T + 60_300 + i * 1000, -100);
    }
    EpochResult r = run(pairRules());
    for (int i = 0; i < 16; i++) {
      Verdict x = v(r, ws.get(i));
      assertEquals(VerdictStatus.VALID, x.status(), x.explanation());
      assertEquals(i < 14 ? WorkReason.OK : WorkReason.OVER_WITNESS_CAP, x.reason(), x.explanation());
    }
    // HIP-15, N = 4, r = 0.8, w = 14: beaconer 1 + (1 - 0.8^10), each witness (4 - (1 - 0.8^10)) / 14
    double q = Math.pow(0.8, 10);
    assertEquals(1 + (1 - q), units(r, bh).baseUnits(), 1e-12);
    assertEquals((4 - (1 - q)) / 14, units(r, ws.get(0)).baseUnits(), 1e-12);
    assertEquals(0, units(r, ws.get(15)).baseUnits());
    // the table of HIP-15 for 12 witnesses: 0.26 per witness, 1.83 for the beaconer
    CoverageValidator cv = new CoverageValidator();
    assertEquals(0.26, cv.witnessUnits(12), 0.005);
    assertEquals(1.83, cv.beaconerUnits(12), 0.005);
    assertEquals(0.76, cv.witnessUnits(5), 0.005);
  }

  @Test
  void hip17_scale_divides_a_crowded_hex() {
    // four interactive devices at one spot: their resolution-10 hex holds 4, but with no occupied
    // neighbours its limit is target 1, so it is clipped to 1: scale 1/4; coarser hexes hold 1 (clipped) and keep it.
    H3Core h3 = H3.get();
    long cell = h3.latLngToCell(LAT, LON, 11);
    HexDensity d = new HexDensity(List.of(cell, cell, cell, cell), 11, CoverageRules.defaults().hex());
    assertEquals(0.25, d.scale(cell), 1e-12);
    assertArrayEquals(new long[] {4, 1}, d.density(h3.cellToParent(cell, 10)));
    long lone = h3.latLngToCell(LAT + 1, LON, 11);
    HexDensity e = new HexDensity(List.of(cell, lone), 11, CoverageRules.defaults().hex());
    assertEquals(1.0, e.scale(cell), 1e-12);
    assertEquals(1.0, e.scale(lone), 1e-12);
  }

  @Test
  void a_far_false_location_is_caught_by_the_location_fit() throws Exception {
    // 24 honest devices at 0.8 to 12 km in every direction from the true spot; the liar is there
    // but claims a place 20 km north. Path loss: 31.2 + 30·log10(d), no noise.
    List<Node> ring = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      double ang = i * Math.PI / 12;
      double r = 800 + i * 480;
      ring.add(node(north(LAT, r * Math.cos(ang)), LON + Math.toDegrees(r * Math.sin(ang) / (6_371_008.8 * Math.cos(Math.toRadians(LAT))))));
    }
    Node liar = node(north(LAT, 20_000), LON);
    long t = T;
    for (int i = 0; i < ring.size(); i++) {
      Node h = ring.get(i);
      Evidence bh = beacon(h, t);
      witness(liar, bh, t + 500, 14 + 2.4 - (31.2 + 30 * Math.log10(haversine(h.lat, h.lon, LAT, LON))));
      for (int k = 1; k <= 3; k++) {
        Node next = ring.get((i + k) % ring.size());
        witness(next, bh, t + 600, 14 + 2.4 - (31.2 + 30 * Math.log10(haversine(h.lat, h.lon, next.lat, next.lon))));
      }
      t += 10_000;
    }
    Evidence bl = beacon(liar, t);
    for (Node h : ring) {
      witness(h, bl, t + 400, 14 + 2.4 - (31.2 + 30 * Math.log10(haversine(h.lat, h.lon, LAT, LON))));
    }
    EpochResult r = ev.run(new CoverageValidator(CoverageRules.defaults().withRing(new CoverageRules.Ring(false, 3, 3000, 3)),
        Denylist.none()));
    Verdict x = v(r, bl);
    assertEquals(WorkReason.LOCATION_FIT, x.reason(), x.explanation());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("fit \\(([-0-9.]+), ([-0-9.]+)\\)").matcher(x.explanation());
    assertTrue(m.find(), x.explanation());
    double miss = haversine(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), LAT, LON);
    assertTrue(miss < 1500, "the fit finds the true spot within 1.5 km, not the claimed one 20 km away: " + miss + " m; " + x.explanation());
    for (Verdict y : r.verdicts()) {
      if (!y.deviceId().equals(liar.id)) {
        assertTrue(!y.reason().equals(WorkReason.LOCATION_FIT), "honest devices are not flagged: " + y.explanation());
      }
    }
  }

  /** The range law, computed here: free space at 1 m at 868.1 MHz (textbook form), then 10·n·log10(d). */
  static double law(double d, double n) {
    return 20 * Math.log10(868.1e6) - 147.55 + 10 * n * Math.log10(d);
  }

  @Test
  void a_link_far_stronger_than_the_log_distance_law_at_its_claimed_distance_is_range_inconsistent() throws Exception {
    // A claims to be 30 km from B but hears it as loudly as a device 1.5 km away would (loss 31.2 + 30·log10(1500));
    // C, 3 km from B, is heard exactly as the law says.
    Node b = node(LAT, LON);
    Node a = node(north(LAT, 30_000), LON);
    Node c = node(north(LAT, -3_000), LON);
    double d = haversine(a.lat, a.lon, b.lat, b.lon);
    double loss = law(1_500, 3.0);
    Evidence bb = beacon(b, T);
    Evidence wa = witness(a, bb, T + 400, 14 + 2.4 - loss);
    Evidence wc = witness(c, bb, T + 500, 14 + 2.4 - law(haversine(c.lat, c.lon, b.lat, b.lon), 3.0));
    assertTrue(14 + 2.4 - loss < 14 + 2.4 - fspl(d, 868.1e6), "below free space at 30 km: only the statistical law catches it");
    EpochResult r = ev.run(new CoverageValidator(pairRules().withCheck(new CoverageRules.LocationCheck(true, 3.0, 4.0, 0, 0, 0)),
        Denylist.none()));
    double sigS = pairRules().fit().shadowingSigmaDb();
    double sigF = pairRules().fit().fadingSigmaDb();
    double excess = loss - law(d, 3.0); // one sample: sigma = sqrt(sigS^2 + sigF^2)
    double z = excess / Math.sqrt(sigS * sigS + sigF * sigF);
    invalid(r, wa, WorkReason.RANGE_INCONSISTENT, String.format(Locale.ROOT, "on average %.1f dB below", -excess),
        String.format(Locale.ROOT, "claimed %.2f km", d / 1000), String.format(Locale.ROOT, "%.1f standard deviations", -z), "limit 4.0");
    // C's link passes the range test; it is refused only later, for reciprocity (C never beacons)
    assertEquals(WorkReason.NO_RECIPROCITY, v(r, wc).reason(), v(r, wc).explanation());
    assertEquals(WorkReason.NO_RECIPROCITY, v(r, bb).reason(), "the beacon is not range-checked (B never witnesses, so it cannot"
        + " earn): " + v(r, bb).explanation());
  }

  @Test
  void a_device_with_inconsistent_links_to_several_devices_is_range_inconsistent_as_a_whole() throws Exception {
    // the liar is among four honest devices (1-2 km) but claims a place 40 km north; they hear each other as the law says
    List<Node> honest = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      honest.add(node(north(LAT, 1_500 + 400 * i), LON + 0.01 * i));
    }
    Node liar = node(north(LAT, 40_000), LON);
    long t = T;
    List<Evidence> liars = new ArrayList<>();
    for (Node h : honest) {
      Evidence bh = beacon(h, t);
      liars.add(witness(liar, bh, t + 400, 14 + 2.4 - law(haversine(h.lat, h.lon, LAT, LON), 3.0)));
      for (Node o : honest) {
        if (o != h) {
          witness(o, bh, t + 500, 14 + 2.4 - law(haversine(h.lat, h.lon, o.lat, o.lon), 3.0));
        }
      }
      t += 10_000;
    }
    Evidence bl = beacon(liar, t);
    liars.add(bl);
    EpochResult r = ev.run(new CoverageValidator(pairRules().withFit(new CoverageRules.Fit(false, 3, 6, 3, 2, 4.5, 2000, 13.82))
        .withCheck(new CoverageRules.LocationCheck(true, 3.0, 4.0, 0, 0, 3)), Denylist.none()));
    for (Evidence e : liars) {
      Verdict x = v(r, e);
      assertEquals(WorkReason.RANGE_INCONSISTENT, x.reason(), x.explanation());
    }
    invalid(r, bl, WorkReason.RANGE_INCONSISTENT, "its links to 4 devices", "none of those devices has more than 1 such links",
        "limit 2");
    for (Verdict x : r.verdicts()) {
      if (!x.deviceId().equals(liar.id) && !x.reason().equals(WorkReason.RANGE_INCONSISTENT)) {
        assertTrue(x.isValid(), "honest reports other than their links with the liar stay valid: " + x.explanation());
      }
    }
  }

  @Test
  void a_device_confirmed_by_a_single_counterpart_earns_nothing() throws Exception {
    // A and B only hear each other; C, D and E all hear each other (two counterparts each)
    Node a = node(LAT, LON);
    Node b = node(north(LAT, 3_000), LON);
    Evidence ba = beacon(a, T);
    Evidence wb = witness(b, ba, T + 400, -110);
    Evidence bb = beacon(b, T + 10_000);
    Evidence wa = witness(a, bb, T + 10_400, -110);
    List<Node> trio = List.of(node(north(LAT, 50_000), LON), node(north(LAT, 52_000), LON), node(north(LAT, 51_000), LON + 0.02));
    List<Evidence> trioReports = new ArrayList<>();
    long t = T + 20_000;
    for (Node h : trio) {
      Evidence bh = beacon(h, t);
      trioReports.add(bh);
      for (Node o : trio) {
        if (o != h) {
          trioReports.add(witness(o, bh, t + 300, -110));
        }
      }
      t += 10_000;
    }
    EpochResult r = ev.run(new CoverageValidator(pairRules().withCheck(new CoverageRules.LocationCheck(false, 3.0, 4.0, 2, 0, 0)),
        Denylist.none()));
    String km = String.format(Locale.ROOT, "%.2f km", haversine(a.lat, a.lon, b.lat, b.lon) / 1000);
    for (Evidence e : List.of(ba, wa)) {
      invalid(r, e, WorkReason.UNCONFIRMED_LOCATION, "confirmed by 1 device only (" + b.id + " at " + km + ", 2 witnesses)",
          "at least 2 distinct devices");
    }
    for (Evidence e : List.of(bb, wb)) {
      invalid(r, e, WorkReason.UNCONFIRMED_LOCATION, "confirmed by 1 device only (" + a.id + " at " + km);
    }
    for (Evidence e : trioReports) {
      assertTrue(v(r, e).isValid(), v(r, e).explanation());
    }
  }

  @Test
  void a_fit_with_no_spare_degrees_of_freedom_far_from_the_claim_leaves_the_location_unconfirmed() throws Exception {
    // the device is at the origin, heard by four devices 2-4 km around it exactly as the law says, but claims
    // a place 12 km north: four counterparts fit exactly (4 parameters), so only the offset speaks
    List<Node> around = List.of(node(north(LAT, 2_000), LON), node(north(LAT, -3_000), LON + 0.03), node(north(LAT, -1_000), LON - 0.05),
        node(north(LAT, 500), LON + 0.045));
    Node liar = node(north(LAT, 12_000), LON);
    Evidence bl = beacon(liar, T);
    long t = T + 10_000;
    List<Evidence> own = new ArrayList<>(List.of(bl));
    for (Node h : around) {
      double d = haversine(h.lat, h.lon, LAT, LON);
      witness(h, bl, T + 300, 14 + 2.4 - law(d, 3.0));
      Evidence bh = beacon(h, t);
      own.add(witness(liar, bh, t + 300, 14 + 2.4 - law(d, 3.0)));
      t += 10_000;
    }
    EpochResult r = ev.run(new CoverageValidator(CoverageRules.defaults().withRing(new CoverageRules.Ring(false, 3, 3000, 3))
        .withCheck(new CoverageRules.LocationCheck(false, 3.0, 4.0, 0, 5_000, 0)), Denylist.none()));
    Verdict x = v(r, bl);
    assertEquals(WorkReason.UNCONFIRMED_LOCATION, x.reason(), x.explanation() + "; " + r.summaries());
    assertTrue(x.explanation().contains("with 4 counterparts and 4 free parameters"), x.explanation());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("fit \\(([-0-9.]+), ([-0-9.]+)\\), ([0-9.]+) km").matcher(x.explanation());
    assertTrue(m.find(), x.explanation());
    assertTrue(Double.parseDouble(m.group(3)) >= 5, x.explanation());
    assertTrue(haversine(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), LAT, LON) < 2_000,
        "the exact fit is near the true place: " + x.explanation());
    for (Evidence e : own) {
      assertEquals(WorkReason.UNCONFIRMED_LOCATION, v(r, e).reason(), v(r, e).explanation());
    }
  }

  @Test
  void a_closed_ring_surrounded_by_silence_is_caught() throws Exception {
    // honest: four devices around the origin that hear each other
    List<Node> honest = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      honest.add(node(north(LAT, 600 * i), LON));
    }
    long t = T;
    for (Node h : honest) {
      Evidence bh = beacon(h, t);
      for (Node o : honest) {
        if (o != h) {
          witness(o, bh, t + 300, -100);
        }
      }
      t += 5_000;
    }
    // the ring claims places among them, 1-2 km off, and only ever witnesses itself
    List<Node> ringNodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ringNodes.add(node(north(LAT, 400 + 800 * i), LON + 0.015));
    }
    List<Evidence> ringReports = new ArrayList<>();
    for (Node h : ringNodes) {
      Evidence bh = beacon(h, t);
      ringReports.add(bh);
      for (Node o : ringNodes) {
        if (o != h) {
          ringReports.add(witness(o, bh, t + 300, -105));
        }
      }
      t += 5_000;
    }
    EpochResult r = ev.run(new CoverageValidator(CoverageRules.defaults().withFit(new CoverageRules.Fit(false, 3, 8, 3, 2, 4.5, 2000, 13.82)),
        Denylist.none()));
    for (Evidence e : ringReports) {
      invalid(r, e, WorkReason.WITNESS_RING, "one of 4 devices", "6 active devices of larger groups within 3.0 km");
    }
    for (Node h : honest) {
      for (Verdict x : r.verdicts()) {
        if (x.deviceId().equals(h.id)) {
          assertTrue(x.isValid(), x.reason() + ": " + x.explanation());
        }
      }
    }
  }

  @Test
  void verdicts_and_units_do_not_depend_on_the_order_evidence_was_added() throws Exception {
    EpochResult one = network(1);
    EpochResult two = network(2);
    assertArrayEquals(one.verdictSetHash(), two.verdictSetHash());
    assertArrayEquals(one.summaryHash(), two.summaryHash());
    assertEquals(one.units().size(), two.units().size());
    for (int i = 0; i < one.units().size(); i++) {
      assertArrayEquals(one.units().get(i).envelopeHash(), two.units().get(i).envelopeHash());
      assertEquals(one.units().get(i).units(), two.units().get(i).units());
    }
  }

  /** The same 30-device network, its reports added in a shuffled order (seed), with receipt-time ties. */
  EpochResult network(long seed) throws Exception {
    java.util.Random fixed = new java.util.Random(7);
    List<Node> nodes = new ArrayList<>();
    List<SoftwareSigner> keys = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] sk = new byte[32];
      fixed.nextBytes(sk);
      keys.add(SoftwareSigner.fromPrivateKey(KeyType.ED25519, sk));
    }
    setUp();
    sequences.clear();
    nonces = 0;
    for (int i = 0; i < 30; i++) {
      Node n = new Node(keys.get(i).deviceId().toString(), keys.get(i).deviceId().toBytes(), north(LAT, fixed.nextDouble() * 8000),
          LON + fixed.nextDouble() * 0.1);
      ev.device(n.id, n.lat, n.lon);
      nodes.add(n);
    }
    record Plan(Node who, int beacon, Node heard, long at, double rssi) {}
    List<Plan> plan = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      plan.add(new Plan(nodes.get(i), i, null, T + i * 1000L, 0));
      for (int j = 0; j < 30; j++) {
        if (j != i && fixed.nextDouble() < 0.5) {
          plan.add(new Plan(nodes.get(j), i, nodes.get(i), T + i * 1000L + 200 + (j % 3) * 100, -90 - fixed.nextDouble() * 30));
        }
      }
    }
    // reports are added device by device in an order the seed shuffles; each device's own reports keep their order
    List<Node> order = new ArrayList<>(nodes);
    java.util.Collections.shuffle(order, new java.util.Random(seed));
    java.util.Map<Integer, Evidence> beacons = new java.util.HashMap<>();
    for (Plan p : plan) {
      if (p.heard == null) {
        beacons.put(p.beacon, null);
      }
    }
    // beacons first (their ids need the nonces in a fixed order), then witnesses by shuffled device
    for (Plan p : plan) {
      if (p.heard == null) {
        beacons.put(p.beacon, beacon(p.who, p.at));
      }
    }
    for (Node n : order) {
      for (Plan p : plan) {
        if (p.heard != null && p.who == n) {
          witness(n, beacons.get(p.beacon), p.at, p.rssi);
        }
      }
    }
    return ev.run(new CoverageValidator());
  }
}
