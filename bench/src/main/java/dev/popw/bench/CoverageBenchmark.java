package dev.popw.bench;

import com.google.protobuf.ByteString;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.IssuedEntropy;
import dev.popw.coordinator.validation.RegisteredDevice;
import dev.popw.coordinator.validation.ReportUnits;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictSink;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.coverage.CoverageRules;
import dev.popw.coordinator.validation.coverage.CoverageValidator;
import dev.popw.coordinator.validation.coverage.Denylist;
import dev.popw.coordinator.validation.coverage.Radio;
import dev.popw.entropy.Entropies;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Telemetry;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * A cheating network against the coverage validator (docs/coverage.md, "Benchmark").
 *
 * <p>Hotspots over a 240 × 240 km area: five cities (Gaussian clusters, σ 2.5–6 km) hold 80 %, the
 * countryside the rest. Radio: EU868 at 868.1 MHz, 14 dBm, 1.2 dBi antennas, log-distance path loss
 * {@code PL = FSPL(1 m) + 10·n·log10(d) + X + Y} with n = 3.2, X ~ N(0, 6 dB) fixed per link
 * (shadowing, the same both ways) and Y ~ N(0, 2 dB) per reception (fading); a beacon is heard
 * when the received power is at least −132 dBm. Each hotspot beacons once in every 6-h interval
 * with the coordinator entropy of the minute; reports reach the coordinator 0.2–1.5 s (beacons)
 * and 0.2–2.5 s (witnesses) after the transmission. Six cheating strategies run beside the
 * honest majority; every report a cheater makes to profit from its lie is marked as a lie.
 *
 * <p>Run: {@code bench/run coverage [--hotspots 1200] [--seed 1] [--throughput-witnesses 1000000]}.
 */
public final class CoverageBenchmark {
  static final long DAY = 86_400_000L;
  static final long START = 20_781 * DAY;
  static final double LAT0 = 51.0;
  static final double LON0 = 10.0;
  static final double FREQ = 868.1e6;
  static final double TX = 14;
  static final double GAIN = 1.2;
  static final double N = 3.2;
  static final double SHADOW = 6;
  static final double FADING = 2;
  static final double SENSITIVITY = -132;
  static final double PL1M = 20 * Math.log10(4 * Math.PI * FREQ / Radio.C);

  enum Strategy {
    HONEST, FAR_LOCATION, NEAR_LOCATION, INFLATED_RSSI, NEVER_HEARD, REPLAYED_BEACON, PRECOMPUTED_BEACON, RING
  }

  static final class Hotspot {
    final int index;
    final String id;
    final byte[] idBytes;
    final byte[] tag;
    Strategy strategy = Strategy.HONEST;
    double x;
    double y; // true position, metres east/north of (LAT0, LON0)
    double cx;
    double cy; // claimed (registered) position
    long seq;
    Hotspot relay; // NEVER_HEARD: whose receptions it copies
    final List<Evidence> reports = new ArrayList<>();
    final List<Boolean> lies = new ArrayList<>();

    Hotspot(int index, SoftwareSigner key) throws Exception {
      this.index = index;
      this.id = key.deviceId().toString();
      this.idBytes = key.deviceId().toBytes();
      this.tag = Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(idBytes), 8);
    }

    double lat() {
      return LAT0 + Math.toDegrees(cy / 6_371_008.8);
    }

    double lon() {
      return LON0 + Math.toDegrees(cx / (6_371_008.8 * Math.cos(Math.toRadians(LAT0))));
    }
  }

  final Random rnd;
  final List<Hotspot> hotspots = new ArrayList<>();
  final List<IssuedEntropy> entropy = new ArrayList<>();
  final Map<Long, List<Hotspot>> grid = new HashMap<>();
  long witnessCount;

  CoverageBenchmark(long seed) {
    this.rnd = new Random(seed);
  }

  public static void main(String[] args) throws Exception {
    int hotspots = 1200;
    long seed = 1;
    long throughput = 1_000_000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--hotspots" -> hotspots = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--throughput-witnesses" -> throughput = Long.parseLong(args[++i]);
        default -> {
          System.err.println("usage: bench/run coverage [--hotspots N] [--seed S] [--throughput-witnesses W]");
          System.exit(2);
        }
      }
    }
    System.out.printf(Locale.ROOT, "coverage benchmark: %d hotspots, seed %d, %s, %d cores, %s%n", hotspots, seed,
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.arch"));
    CoverageBenchmark net = new CoverageBenchmark(seed);
    net.build(hotspots, true);
    net.simulate();
    net.judge();
    if (throughput > 0) {
      throughput(throughput, seed);
    }
  }

  // ------------------------------------------------------------------ the network

  void build(int n, boolean cheaters) throws Exception {
    double[][] cities = {{-60_000, 40_000, 5_000}, {50_000, 60_000, 6_000}, {20_000, -50_000, 4_000}, {-40_000, -70_000, 3_000},
        {80_000, -10_000, 2_500}};
    for (int i = 0; i < n; i++) {
      byte[] sk = new byte[32];
      rnd.nextBytes(sk);
      Hotspot h = new Hotspot(i, SoftwareSigner.fromPrivateKey(KeyType.ED25519, sk));
      if (rnd.nextDouble() < 0.8) {
        double[] c = cities[rnd.nextInt(cities.length)];
        h.x = c[0] + rnd.nextGaussian() * c[2];
        h.y = c[1] + rnd.nextGaussian() * c[2];
      } else {
        h.x = (rnd.nextDouble() - 0.5) * 240_000;
        h.y = (rnd.nextDouble() - 0.5) * 240_000;
      }
      h.cx = h.x;
      h.cy = h.y;
      hotspots.add(h);
    }
    if (cheaters) {
      // 25 devices per single-device strategy, 6 rings of 5
      List<Hotspot> pool = new ArrayList<>(hotspots);
      java.util.Collections.shuffle(pool, rnd);
      int k = 0;
      for (Strategy s : new Strategy[] {Strategy.FAR_LOCATION, Strategy.NEAR_LOCATION, Strategy.INFLATED_RSSI, Strategy.NEVER_HEARD,
          Strategy.REPLAYED_BEACON, Strategy.PRECOMPUTED_BEACON}) {
        for (int j = 0; j < 25; j++) {
          Hotspot h = pool.get(k++);
          h.strategy = s;
          if (s == Strategy.FAR_LOCATION || s == Strategy.NEAR_LOCATION) {
            double off = s == Strategy.FAR_LOCATION ? 5_000 + rnd.nextDouble() * 25_000 : 500 + rnd.nextDouble() * 1_500;
            double a = rnd.nextDouble() * 2 * Math.PI;
            h.cx = h.x + off * Math.cos(a);
            h.cy = h.y + off * Math.sin(a);
          }
        }
      }
      for (int r = 0; r < 6; r++) {
        // physically together in an empty corner, registered spread out in a city (claimed 1.5-6 km apart)
        double[] c = cities[r % cities.length];
        double px = 115_000 + r * 3_000;
        double py = 115_000;
        for (int j = 0; j < 5; j++) {
          Hotspot h = pool.get(k++);
          h.strategy = Strategy.RING;
          h.x = px + rnd.nextDouble() * 50;
          h.y = py + rnd.nextDouble() * 50;
          double a = j * 2 * Math.PI / 5 + r;
          double rad = 1_500 + rnd.nextDouble() * 4_500;
          h.cx = c[0] + rad * Math.cos(a);
          h.cy = c[1] + rad * Math.sin(a);
          h.relay = null;
        }
      }
      for (Hotspot h : hotspots) {
        if (h.strategy == Strategy.NEVER_HEARD) {
          // copies what an honest device 20-60 km away hears (a relay)
          Hotspot best = null;
          for (int t = 0; t < 200 && best == null; t++) {
            Hotspot o = hotspots.get(rnd.nextInt(hotspots.size()));
            double d = Math.hypot(o.x - h.x, o.y - h.y);
            if (o.strategy == Strategy.HONEST && d > 20_000 && d < 60_000) {
              best = o;
            }
          }
          h.relay = best;
        }
      }
    }
    for (Hotspot h : hotspots) {
      grid.computeIfAbsent(cell(h.x, h.y), c -> new ArrayList<>()).add(h);
    }
  }

  static long cell(double x, double y) {
    return ((long) Math.floor(x / 20_000) << 32) ^ ((long) Math.floor(y / 20_000) & 0xffffffffL);
  }

  /** Shadowing of a link: the same both ways and for every beacon. */
  static double shadowing(int a, int b, long seed) {
    long lo = Math.min(a, b);
    long hi = Math.max(a, b);
    return new Random(seed * 1_000_003L + lo * 2_000_029L + hi).nextGaussian() * SHADOW;
  }

  double pathLoss(Hotspot a, Hotspot b) {
    double d = Math.max(1, Math.hypot(a.x - b.x, a.y - b.y));
    return PL1M + 10 * N * Math.log10(d) + shadowing(a.index, b.index, 77) + rnd.nextGaussian() * FADING;
  }

  // ------------------------------------------------------------------ one day of radio

  record Tx(Hotspot from, long at, byte[] beaconId, byte[] value, Evidence report) {}

  void simulate() {
    for (int k = -60; k < 24 * 60 + 1; k++) {
      byte[] v = new byte[32];
      rnd.nextBytes(v);
      long at = START + k * 60_000L;
      entropy.add(new IssuedEntropy(1000 + k, v, at, at + 180_000));
    }
    List<Tx> heardEarlier = new ArrayList<>();
    for (int slot = 0; slot < 4; slot++) {
      List<Object[]> schedule = new ArrayList<>();
      for (Hotspot h : hotspots) {
        long at = START + slot * 6 * 3_600_000L + 1_800_000 + (long) (rnd.nextDouble() * (6 * 3_600_000L - 3_600_000));
        schedule.add(new Object[] {at, h});
      }
      schedule.sort((p, q) -> Long.compare((long) p[0], (long) q[0]));
      for (Object[] s : schedule) {
        beacon((Hotspot) s[1], (long) s[0], heardEarlier);
      }
    }
    for (Hotspot h : hotspots) {
      h.reports.sort((p, q) -> Long.compare(p.sequence(), q.sequence()));
    }
  }

  IssuedEntropy entropyAt(long at) {
    int k = (int) Math.floorDiv(at - START, 60_000L) + 60;
    return entropy.get(k);
  }

  void beacon(Hotspot h, long tx, List<Tx> heardEarlier) {
    byte[] value;
    byte[] id;
    byte[] nonce = new byte[16];
    rnd.nextBytes(nonce);
    CoverageReport.Builder b;
    boolean lie = false;
    if (h.strategy == Strategy.REPLAYED_BEACON && !heardEarlier.isEmpty()) {
      // retransmits, 10-60 min later, a beacon someone else sent, and reports it as its own
      Tx old = heardEarlier.get(rnd.nextInt(heardEarlier.size()));
      value = old.value;
      id = old.beaconId;
      b = old.report.telemetry().getCoverage().toBuilder().setBeaconerId(ByteString.copyFrom(h.tag));
      lie = true;
    } else {
      IssuedEntropy e = entropyAt(h.strategy == Strategy.PRECOMPUTED_BEACON ? tx - 600_000 - (long) (rnd.nextDouble() * 3_000_000) : tx);
      value = e.value();
      id = Entropies.beaconId(value, nonce, h.idBytes);
      lie = h.strategy == Strategy.PRECOMPUTED_BEACON;
      b = CoverageReport.newBuilder().setRole(CoverageReport.Role.BEACON).setBeaconId(ByteString.copyFrom(id))
          .setBeaconEntropy(ByteString.copyFrom(value)).setBeaconNonce(ByteString.copyFrom(nonce)).setBeaconerId(ByteString.copyFrom(h.tag))
          .setFrequencyHz((long) FREQ).setTxPowerDbm((float) TX).setDataRate("SF10BW125");
    }
    long received = tx + 200 + (long) (rnd.nextDouble() * 1300);
    Evidence report = add(h, received, b, lie || h.strategy == Strategy.RING || h.strategy == Strategy.FAR_LOCATION
        || h.strategy == Strategy.NEAR_LOCATION);
    Tx t = new Tx(h, tx, id, value, report);
    if (h.strategy == Strategy.HONEST && rnd.nextDouble() < 0.05) {
      heardEarlier.add(t);
    }
    byte[] prefix = Arrays.copyOf(value, 8);
    // who hears it: physics, from the true positions
    long c0 = cell(h.x, h.y);
    for (int dx = -2; dx <= 2; dx++) {
      for (int dy = -2; dy <= 2; dy++) {
        long c = ((long) (Math.floor(h.x / 20_000) + dx) << 32) ^ ((long) (Math.floor(h.y / 20_000) + dy) & 0xffffffffL);
        for (Hotspot w : grid.getOrDefault(c, List.of())) {
          if (w == h || w.strategy == Strategy.RING && h.strategy != Strategy.RING) {
            continue; // a ring reports only its own members
          }
          if (h.strategy == Strategy.RING && w.strategy == Strategy.RING) {
            continue; // handled below: rings make up their reports
          }
          double rssi = TX + 2 * GAIN - pathLoss(h, w);
          if (rssi < SENSITIVITY) {
            continue;
          }
          witness(w, h, t, prefix, rssi, false);
          for (Hotspot cheat : relays(w)) {
            witness(cheat, h, t, prefix, rssi + rnd.nextGaussian() * 2, true);
          }
        }
      }
    }
    if (h.strategy == Strategy.RING) {
      for (Hotspot w : hotspots) {
        if (w != h && w.strategy == Strategy.RING && Math.hypot(w.x - h.x, w.y - h.y) < 1_000) {
          // made up to fit the claimed places: log-distance from the claimed positions, plausible noise
          double d = Math.max(1, Math.hypot(w.cx - h.cx, w.cy - h.cy));
          double rssi = TX + 2 * GAIN - (PL1M + 10 * N * Math.log10(d) + rnd.nextGaussian() * 4);
          witness(w, h, t, prefix, Math.max(-131, rssi), true);
        }
      }
    }
  }

  final Map<Hotspot, List<Hotspot>> relayIndex = new HashMap<>();
  final Map<ByteBuffer, Hotspot> byTag = new HashMap<>();

  List<Hotspot> relays(Hotspot source) {
    if (relayIndex.isEmpty()) {
      for (Hotspot h : hotspots) {
        if (h.relay != null) {
          relayIndex.computeIfAbsent(h.relay, k -> new ArrayList<>()).add(h);
        }
      }
      relayIndex.put(null, List.of());
    }
    return relayIndex.getOrDefault(source, List.of());
  }

  void witness(Hotspot w, Hotspot beaconer, Tx t, byte[] prefix, double rssi, boolean lie) {
    boolean l = lie || w.strategy == Strategy.FAR_LOCATION || w.strategy == Strategy.NEAR_LOCATION || w.strategy == Strategy.RING;
    double reported = rssi;
    if (w.strategy == Strategy.INFLATED_RSSI) {
      reported = rssi + 15 + rnd.nextDouble() * 10;
      l = true;
    }
    long received = t.at + 200 + (long) (rnd.nextDouble() * 2300) + (lie && w.strategy == Strategy.NEVER_HEARD ? 500 : 0);
    CoverageReport.Builder c = CoverageReport.newBuilder().setRole(CoverageReport.Role.WITNESS).setBeaconId(ByteString.copyFrom(t.beaconId))
        .setBeaconEntropy(ByteString.copyFrom(prefix)).setBeaconerId(t.report.telemetry().getCoverage().getBeaconerId())
        .setFrequencyHz((long) FREQ + (long) (rnd.nextGaussian() * 2_000)).setRssiDbm((float) Math.min(0, reported))
        .setSnrDb((float) Math.max(-20, Math.min(15, reported + 117))).setDataRate("SF10BW125");
    Evidence e = add(w, received, c, l);
    heardFrom.put(ByteBuffer.wrap(e.hash()), beaconer);
    witnessCount++;
  }

  /** Who really transmitted what each witness heard. */
  final Map<ByteBuffer, Hotspot> heardFrom = new HashMap<>();

  Evidence add(Hotspot h, long received, CoverageReport.Builder c, boolean lie) {
    long seq = ++h.seq;
    Telemetry t = Telemetry.newBuilder().setSequence(seq).setTimestampMs(received).setNetworkId("popw-bench").setCoverage(c).build();
    byte[] hash = new byte[32];
    ByteBuffer.wrap(hash).putInt(h.index).putLong(seq);
    Evidence e = new Evidence(hash, h.id, seq, received, received, 0, WorkKind.COVERAGE, t);
    h.reports.add(e);
    h.lies.add(lie);
    return e;
  }

  EpochEvidence evidence() {
    Map<String, Hotspot> byId = new TreeMap<>();
    for (Hotspot h : hotspots) {
      byId.put(h.id, h);
    }
    return new EpochEvidence() {
      @Override
      public long epoch() {
        return START / DAY;
      }

      @Override
      public long startMs() {
        return START;
      }

      @Override
      public long endMs() {
        return START + DAY;
      }

      @Override
      public java.util.Optional<RegisteredDevice> device(String id) {
        Hotspot h = byId.get(id);
        return h == null ? java.util.Optional.empty() : java.util.Optional.of(new RegisteredDevice(h.id, 2, h.lat(), h.lon()));
      }

      @Override
      public List<RegisteredDevice> devices(WorkKind kind) {
        return byId.values().stream().map(h -> new RegisteredDevice(h.id, 2, h.lat(), h.lon())).toList();
      }

      @Override
      public void forEachDevice(WorkKind kind, BiConsumer<RegisteredDevice, List<Evidence>> action) {
        for (Hotspot h : byId.values()) {
          List<Evidence> in = h.reports.stream().filter(e -> e.receivedAt() >= START && e.receivedAt() < START + DAY).toList();
          if (!in.isEmpty()) {
            action.accept(new RegisteredDevice(h.id, 2, h.lat(), h.lon()), in);
          }
        }
      }

      @Override
      public void forEachDevice(WorkKind kind, long fromMs, long toMs, BiConsumer<RegisteredDevice, List<Evidence>> action) {
        if (fromMs >= START) {
          forEachDevice(kind, action);
        } // nothing before the simulated day
      }

      @Override
      public List<IssuedEntropy> entropy(long fromMs, long toMs) {
        return entropy.stream().filter(e -> e.issuedAtMs() >= fromMs && e.issuedAtMs() < toMs).toList();
      }
    };
  }

  // ------------------------------------------------------------------ judging

  static final class Sink implements VerdictSink {
    final Map<ByteBuffer, Verdict> verdicts = new HashMap<>();
    final Map<String, Double> units = new HashMap<>();
    final List<CoverageSummary> coverage = new ArrayList<>();
    long count;

    @Override
    public void verdict(Verdict v) {
      verdicts.put(ByteBuffer.wrap(v.envelopeHash()), v);
      count++;
    }

    @Override
    public void summary(DeviceEpochSummary s) {
      units.put(s.deviceId(), s.units());
    }

    @Override
    public void coverage(CoverageSummary s) {
      coverage.add(s);
    }

    @Override
    public void units(ReportUnits u) {}
  }

  void judge() {
    CoverageValidator v = new CoverageValidator(CoverageRules.defaults(), Denylist.none());
    Sink sink = new Sink();
    long t0 = System.nanoTime();
    v.validate(evidence(), sink);
    long t1 = System.nanoTime();
    Map<Strategy, long[]> by = new EnumMap<>(Strategy.class); // devices, reports, rejected, lies, lies rejected, zero-reward, impossible, impossible rejected
    Map<String, Long> honestReasons = new TreeMap<>();
    long honestWitnesses = 0;
    long honestFalse = 0;
    long honestOfCheaters = 0;
    long honestOfCheatersRejected = 0;
    for (Hotspot h : hotspots) {
      byTag.put(ByteBuffer.wrap(h.tag), h);
    }
    Map<ByteBuffer, Hotspot> beaconOwner = new HashMap<>();
    for (Hotspot h : hotspots) {
      for (Evidence e : h.reports) {
        CoverageReport c = e.telemetry().getCoverage();
        if (c.getRole() == CoverageReport.Role.BEACON) {
          beaconOwner.putIfAbsent(ByteBuffer.wrap(c.getBeaconId().toByteArray()), h);
        }
      }
    }
    for (Hotspot h : hotspots) {
      long[] s = by.computeIfAbsent(h.strategy, k -> new long[8]);
      s[0]++;
      if (sink.units.getOrDefault(h.id, 0.0) == 0) {
        s[5]++;
      }
      for (int i = 0; i < h.reports.size(); i++) {
        Evidence e = h.reports.get(i);
        Verdict x = sink.verdicts.get(ByteBuffer.wrap(e.hash()));
        boolean rejected = !x.isValid();
        s[1]++;
        s[2] += rejected ? 1 : 0;
        if (h.lies.get(i)) {
          s[3]++;
          s[4] += rejected ? 1 : 0;
        }
        if (impossible(h, e)) {
          s[6]++;
          s[7] += rejected ? 1 : 0;
        }
        CoverageReport c = e.telemetry().getCoverage();
        if (h.strategy == Strategy.HONEST && c.getRole() == CoverageReport.Role.WITNESS) {
          Hotspot owner = heardFrom.get(ByteBuffer.wrap(e.hash()));
          if (owner != null && owner.strategy == Strategy.HONEST) {
            honestWitnesses++;
            if (rejected) {
              honestFalse++;
              honestReasons.merge(x.reason(), 1L, Long::sum);
            }
          } else {
            honestOfCheaters++;
            honestOfCheatersRejected += rejected ? 1 : 0;
          }
        }
      }
    }
    long reports = hotspots.stream().mapToLong(h -> h.reports.size()).sum();
    System.out.printf(Locale.ROOT, "%d reports (%d witnesses) from %d hotspots in one day; validated in %.2f s%n", reports, witnessCount,
        hotspots.size(), (t1 - t0) / 1e9);
    System.out.printf(Locale.ROOT, "%-19s %7s %8s %8s %8s %10s %10s %12s%n", "strategy", "devices", "reports", "rejected", "lies",
        "lies rej.", "impossible", "zero reward");
    for (Map.Entry<Strategy, long[]> e : by.entrySet()) {
      long[] s = e.getValue();
      System.out.printf(Locale.ROOT, "%-19s %7d %8d %7.1f%% %8d %9.1f%% %5d/%-5d %6d (%.0f%%)%n", e.getKey(), s[0], s[1],
          pct(s[2], s[1]), s[3], pct(s[4], s[3]), s[7], s[6], s[5], pct(s[5], s[0]));
    }
    System.out.printf(Locale.ROOT, "honest witnesses of honest beacons: %d, falsely rejected %d (%.3f%%)%s%n", honestWitnesses, honestFalse,
        pct(honestFalse, honestWitnesses), honestReasons.isEmpty() ? "" : " " + honestReasons);
    System.out.printf(Locale.ROOT, "honest witnesses of cheaters' beacons: %d, rejected %d (%.1f%%)%n", honestOfCheaters,
        honestOfCheatersRejected, pct(honestOfCheatersRejected, honestOfCheaters));
    long far = 0;
    long farCaught = 0;
    Map<String, Long> farBy = new TreeMap<>();
    List<String> missed = new ArrayList<>();
    for (Hotspot h : hotspots) {
      if (h.strategy == Strategy.FAR_LOCATION) {
        far++;
        String first = null;
        for (Evidence e : h.reports) {
          Verdict x = sink.verdicts.get(ByteBuffer.wrap(e.hash()));
          if (first == null && (x.reason().equals(WorkReason.LOCATION_FIT) || x.reason().equals(WorkReason.RANGE_INCONSISTENT)
              || x.reason().equals(WorkReason.UNCONFIRMED_LOCATION))) {
            first = x.reason();
          }
        }
        boolean caught = sink.units.getOrDefault(h.id, 0.0) == 0;
        farCaught += caught ? 1 : 0;
        farBy.merge(first == null ? "other rules" : first, 1L, Long::sum);
        if (!caught) {
          CoverageSummary cs = sink.coverage.stream().filter(x -> x.deviceId().equals(h.id)).findFirst().orElse(null);
          missed.add(String.format(Locale.ROOT, "%.1f km off, fit %.1f km, %s", Math.hypot(h.cx - h.x, h.cy - h.y) / 1000,
              cs == null ? Double.NaN : cs.fitOffsetM() / 1000, cs == null ? "no reports" : cs.validWitnesses() + " valid witnesses"));
        }
      }
    }
    System.out.printf(Locale.ROOT, "far false locations (5-30 km off) with zero reward in the epoch: %d of %d (first location"
        + " reason per device: %s)%s%n", farCaught, far, farBy, missed.isEmpty() ? "" : "; still earning: " + missed);
    Map<String, Long> reasons = new TreeMap<>();
    for (Verdict x : sink.verdicts.values()) {
      reasons.merge(x.status() + "/" + x.reason(), 1L, Long::sum);
    }
    System.out.println("verdicts by reason: " + reasons);
  }

  /** Physically impossible as the coordinator can know it: above free space at the claimed distance, or a beacon that cannot be. */
  boolean impossible(Hotspot h, Evidence e) {
    CoverageReport c = e.telemetry().getCoverage();
    if (c.getRole() == CoverageReport.Role.BEACON) {
      return h.strategy == Strategy.PRECOMPUTED_BEACON || h.strategy == Strategy.REPLAYED_BEACON;
    }
    Hotspot b = byTag.get(ByteBuffer.wrap(c.getBeaconerId().toByteArray()));
    if (b == null) {
      return false;
    }
    double d = Math.max(1, Math.hypot(h.cx - b.cx, h.cy - b.cy));
    return c.getRssiDbm() > TX + 2 * GAIN - Radio.freeSpaceLossDb(d, FREQ) + 0.2; // 0.2 dB: the planar distance's error
  }

  static double pct(long a, long b) {
    return b == 0 ? 0 : 100.0 * a / b;
  }

  // ------------------------------------------------------------------ throughput

  static void throughput(long target, long seed) throws Exception {
    // an honest network grown until one day holds the target number of witnesses
    // witnesses grow with the square of the hotspot count (density times count): 1,200 give about 240,000
    int n = (int) Math.ceil(1_200 * Math.sqrt(target / 240_000.0));
    CoverageBenchmark net = null;
    while (true) {
      net = new CoverageBenchmark(seed + 1);
      net.build(n, false);
      net.simulate();
      if (net.witnessCount >= target) {
        break;
      }
      n = (int) Math.ceil(n * 1.02 * Math.sqrt((double) target / Math.max(1, net.witnessCount)));
    }
    CoverageValidator v = new CoverageValidator(CoverageRules.defaults(), Denylist.none());
    var bean = ManagementFactory.getThreadMXBean();
    double best = Double.MAX_VALUE;
    double bestCpu = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      Sink sink = new Sink();
      long c0 = bean.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      v.validate(net.evidence(), sink);
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
      bestCpu = Math.min(bestCpu, (bean.getCurrentThreadCpuTime() - c0) / 1e9);
    }
    long reports = net.hotspots.stream().mapToLong(h -> h.reports.size()).sum();
    System.out.printf(Locale.ROOT, "throughput: %d hotspots, %d witnesses and %d beacons in one epoch: validated in %.1f s wall,"
        + " %.1f s CPU on one thread (best of 3) = %.0f witnesses/s (%.1f us per report)%n", n, net.witnessCount,
        reports - net.witnessCount, best, bestCpu, net.witnessCount / bestCpu, bestCpu * 1e6 / reports);
  }
}
