package dev.popw.coordinator.validation.coverage;

import com.uber.h3core.H3Core;
import dev.popw.coordinator.validation.CoverageSummary;
import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.Geo;
import dev.popw.coordinator.validation.IssuedEntropy;
import dev.popw.coordinator.validation.RegisteredDevice;
import dev.popw.coordinator.validation.ReportUnits;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictSink;
import dev.popw.coordinator.validation.VerdictStatus;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.WorkValidator;
import dev.popw.entropy.Entropies;
import dev.popw.identity.DeviceId;
import dev.popw.proto.v1.CoverageReport;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Proof of coverage: every beacon and witness report judged with Helium's rules, the checks across
 * beacons that single checks miss, and the reward units of HIP-15 scaled by HIP-17's hex density.
 * docs/coverage.md has the rules in order, their reason codes and explanations, and the model.
 *
 * <p>Stages, each on the result of the one before; within a stage the first failing rule decides:
 *
 * <ol>
 *   <li>beacons, in receipt order (then envelope hash): bounds, denylist, beaconer, region,
 *       entropy (issued, fresh, beacon id), duplicate, one per beacon interval;
 *   <li>witnesses, in receipt order: bounds, denylist, own beacon, the beacon (exists, beaconer,
 *       entropy, valid), pair denylist, duplicate, region and frequency, timing, location,
 *       distance (H3 grid distance, maximum), free-space received power;
 *   <li>across beacons: location fit, then closed witness rings (a flagged device's reports and
 *       the witnesses of its beacons become INVALID);
 *   <li>reciprocity: a device without both a valid beacon and a valid witness in the window earns nothing;
 *   <li>per beacon: the first {@code maxRewardedWitnesses} valid witnesses are rewarded; HIP-15
 *       units, times the HIP-17 scale of the beaconer's hex.
 * </ol>
 *
 * All timing is the coordinator's receipt times. The evidence before the epoch
 * ({@link #lookback()}) is context only: earlier beacons of the interval and of witnesses received
 * just after the epoch began, and the reciprocity window; it is judged by the first two stages
 * only, and never gets verdicts here.
 */
public final class CoverageValidator implements WorkValidator {
  private static final int BEACON = 1;
  private static final int WITNESS = 2;
  /** Witnesses kept per device from the look-back, for reciprocity. */
  private static final int CONTEXT_WITNESSES = 16;

  private final CoverageRules rules;
  private final Denylist denylist;

  public CoverageValidator(CoverageRules rules, Denylist denylist) {
    this.rules = rules;
    this.denylist = denylist;
  }

  public CoverageValidator() {
    this(CoverageRules.defaults(), Denylist.none());
  }

  public CoverageRules rules() {
    return rules;
  }

  public Denylist denylist() {
    return denylist;
  }

  @Override
  public WorkKind kind() {
    return WorkKind.COVERAGE;
  }

  @Override
  public String parameters() {
    return rules.canonical();
  }

  @Override
  public Duration lookback() {
    return rules.lookback();
  }

  // ------------------------------------------------------------------ model

  /** A device, as the reports see it. */
  static final class Dev {
    final String id;
    final Double lat;
    final Double lon;
    final long tag;
    long cell; // at the density resolution; 0 without a location
    int index; // position by id among the validation's devices
    final List<Rep> reports = new ArrayList<>();
    boolean active;
    String crossReason;
    String crossExplanation;
    LocationFit.Result fit;
    boolean reciprocal = true;
    double hexScale;

    Dev(RegisteredDevice d) {
      this.id = d.deviceId();
      this.lat = d.latitude();
      this.lon = d.longitude();
      this.tag = tagOf(d.deviceId());
    }

    boolean located() {
      return lat != null && lon != null;
    }
  }

  /** One report, compact (the parsed telemetry is not kept). */
  static final class Rep {
    final Dev dev;
    final byte[] hash;
    final long sequence;
    final long at;
    final int role;
    final boolean context;
    final Key beaconId;
    final byte[] entropy;
    final byte[] nonce;
    final long beaconerTag;
    final boolean tagPresent;
    final long frequency;
    final double tx;
    final double rssi;
    final double gain;
    final String bounds;
    String reason;
    String explanation;
    Rep beacon;
    long pair = -1; // witness: its link's key (the two devices' indexes), once computed
    double distance = Double.NaN;
    double maxRssi = Double.NaN;
    long grid = -1;
    IssuedEntropy issued;
    boolean selected;
    int witnessCount;
    double baseUnits;
    double units;
    final List<Rep> witnesses = new ArrayList<>(0); // of a beacon

    Rep(Dev dev, Evidence e, boolean context, CoverageRules rules) {
      this.dev = dev;
      this.hash = e.hash();
      this.sequence = e.sequence();
      this.at = e.receivedAt();
      this.context = context;
      CoverageReport c = e.telemetry().getCoverage();
      this.role = c.getRole() == CoverageReport.Role.BEACON ? BEACON : c.getRole() == CoverageReport.Role.WITNESS ? WITNESS : 0;
      this.beaconId = c.getBeaconId().size() == Entropies.BEACON_ID_BYTES ? new Key(c.getBeaconId().toByteArray()) : null;
      this.entropy = c.getBeaconEntropy().toByteArray();
      this.nonce = c.getBeaconNonce().toByteArray();
      this.tagPresent = c.getBeaconerId().size() == 8;
      this.beaconerTag = tagPresent ? ByteBuffer.wrap(c.getBeaconerId().toByteArray()).getLong() : 0;
      this.frequency = c.getFrequencyHz();
      this.tx = c.getTxPowerDbm();
      this.rssi = c.getRssiDbm();
      double g = c.getAntennaGainDbi();
      this.gain = g == 0 || !Double.isFinite(g) ? rules.defaultAntennaGainDbi() : Math.min(g, rules.maxAntennaGainDbi());
      this.bounds = bounds(c, rules);
    }

    boolean valid() {
      return reason == null;
    }

    void fail(String reason, String explanation) {
      if (this.reason == null) {
        this.reason = reason;
        this.explanation = explanation;
      }
    }
  }

  /** A 16-byte beacon id as a map key. */
  record Key(long hi, long lo) {
    Key(byte[] b) {
      this(ByteBuffer.wrap(b).getLong(0), ByteBuffer.wrap(b).getLong(8));
    }
  }

  private static final Comparator<Rep> BY_RECEIPT = (a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
      : Arrays.compareUnsigned(a.hash, b.hash);

  // ------------------------------------------------------------------ validation

  @Override
  public void validate(EpochEvidence evidence, VerdictSink out) {
    H3Core h3 = H3.get();
    List<Denylist.Entry> deny = denylist.entries();
    long start = evidence.startMs();
    long end = evidence.endMs();
    long from = start - rules.lookback().toMillis();
    Map<String, Dev> devices = new TreeMap<>();
    List<Rep> beacons = new ArrayList<>();
    Map<Dev, ArrayDeque<Rep>> contextWitnesses = new HashMap<>();
    evidence.forEachDevice(WorkKind.COVERAGE, from, start, (d, list) -> {
      Dev dev = devices.computeIfAbsent(d.deviceId(), k -> new Dev(d));
      for (Evidence e : list) {
        Rep r = new Rep(dev, e, true, rules);
        if (r.role == BEACON) {
          beacons.add(r);
        } else if (r.role == WITNESS) {
          ArrayDeque<Rep> q = contextWitnesses.computeIfAbsent(dev, k -> new ArrayDeque<>());
          q.addLast(r);
          if (q.size() > CONTEXT_WITNESSES) {
            q.removeFirst();
          }
        }
      }
    });
    List<Rep> reports = new ArrayList<>(); // canonical order: device id, sequence
    List<Rep> witnesses = new ArrayList<>();
    evidence.forEachDevice(WorkKind.COVERAGE, (d, list) -> {
      Dev dev = devices.computeIfAbsent(d.deviceId(), k -> new Dev(d));
      dev.active = true;
      for (Evidence e : list) {
        Rep r = new Rep(dev, e, false, rules);
        reports.add(r);
        dev.reports.add(r);
        if (r.role == BEACON) {
          beacons.add(r);
        } else if (r.role == WITNESS) {
          witnesses.add(r);
        } else {
          r.fail(WorkReason.MALFORMED_REPORT, "the report is neither a BEACON nor a WITNESS (role " + roleName(e) + ")");
        }
      }
    });
    int index = 0;
    for (Dev d : devices.values()) {
      d.index = index++; // by id
      if (d.located()) {
        d.cell = h3.latLngToCell(d.lat, d.lon, rules.densityResolution());
      }
    }
    Map<ByteBuffer, IssuedEntropy> entropy = new HashMap<>();
    for (IssuedEntropy e : evidence.entropy(from - rules.entropyWindow().toMillis(), end)) {
      entropy.put(ByteBuffer.wrap(e.value()), e);
    }

    // Stage 1: beacons, in receipt order.
    beacons.sort(BY_RECEIPT);
    Map<Key, Rep> beaconById = new HashMap<>();
    Map<String, Rep> validInSlot = new HashMap<>();
    for (Rep b : beacons) {
      checkBeacon(b, deny, entropy, beaconById, validInSlot);
    }

    // Stage 2: witnesses, in receipt order.
    witnesses.sort(BY_RECEIPT);
    Map<Key, Long> firstWitness = new HashMap<>();
    for (Rep w : witnesses) {
      if (w.beaconId != null) {
        firstWitness.merge(w.beaconId, w.at, Math::min);
      }
    }
    Set<String> seen = new HashSet<>();
    for (Rep w : witnesses) {
      checkWitness(w, deny, beaconById, firstWitness, seen, h3);
      if (w.valid()) {
        w.beacon.witnesses.add(w);
      }
    }

    // Stage 3: across beacons (rings first: a ring member's fabricated links must not hide in its
    // fit; the fit before range: a liar's inconsistent links are what locates it).
    if (rules.ring().enabled()) {
      rings(devices, witnesses);
    }
    // the range test's links, computed once: those among devices the fit leaves unflagged do not change
    Map<Long, String> badLinks = rules.check().rangeEnabled() ? inconsistentLinks(witnesses) : Map.of();
    if (rules.fit().enabled()) {
      locationFit(devices.values(), witnesses, badLinks.keySet());
    }
    applyCross(reports, witnesses);
    if (rules.check().rangeEnabled() && range(devices.values(), witnesses, badLinks)) {
      applyCross(reports, witnesses);
    }
    if (rules.check().minCounterparts() > 0 || rules.check().maxFitOffsetM() > 0) {
      confirm(devices.values(), witnesses);
    }

    // Stage 4: reciprocity.
    long window = end - Math.max(rules.reciprocityWindow().toMillis(), end - start);
    for (Dev d : devices.values()) {
      if (!d.active) {
        continue;
      }
      boolean beaconed = false;
      boolean witnessed = false;
      long lastBeacon = Long.MIN_VALUE;
      long lastWitness = Long.MIN_VALUE;
      for (Rep b : beacons) {
        if (b.dev == d && b.valid() && b.at >= window && b.at < end) {
          beaconed = true;
          lastBeacon = Math.max(lastBeacon, b.at);
        }
      }
      for (Rep r : d.reports) {
        if (r.role == WITNESS && r.valid()) {
          witnessed = true;
          lastWitness = Math.max(lastWitness, r.at);
        }
      }
      if (!witnessed) {
        ArrayDeque<Rep> q = contextWitnesses.getOrDefault(d, new ArrayDeque<>());
        for (var it = q.descendingIterator(); it.hasNext() && !witnessed;) {
          Rep w = it.next();
          if (w.at >= window) {
            checkWitness(w, deny, beaconById, Map.of(), null, h3);
            if (w.valid()) {
              witnessed = true;
              lastWitness = w.at;
            }
          }
        }
      }
      if (!beaconed || !witnessed) {
        d.reciprocal = false;
        String why = String.format(Locale.ROOT, "no valid %s received in the %.0f h before the epoch's end (%s); a device must both"
            + " beacon and witness validly within %.0f h to earn", !beaconed && !witnessed ? "beacon and no valid witness"
            : !beaconed ? "beacon" : "witness", (end - window) / 3_600_000.0, Instant.ofEpochMilli(end),
            rules.reciprocityWindow().toMillis() / 3_600_000.0);
        for (Rep r : d.reports) {
          if (r.valid()) {
            r.fail(WorkReason.NO_RECIPROCITY, why);
          }
        }
      }
    }

    // Stage 5: selection, HIP-15 units, HIP-17 scale.
    Set<Rep> heard = new java.util.LinkedHashSet<>();
    List<Long> interactiveCells = new ArrayList<>();
    Set<Dev> interactive = new HashSet<>();
    for (Rep b : beacons) {
      if (b.witnesses.isEmpty()) {
        continue;
      }
      b.witnesses.sort(BY_RECEIPT);
      int selected = 0;
      int signalInvalid = 0;
      for (Rep w : b.witnesses) {
        if (w.valid() && selected < rules.maxRewardedWitnesses()) {
          w.selected = true;
          selected++;
        }
      }
      heard.add(b);
      if (selected > 0 && b.valid() && b.dev.located() && interactive.add(b.dev)) {
        interactiveCells.add(b.dev.cell);
      }
      b.witnessCount = selected + signalInvalid;
    }
    for (Rep w : witnesses) {
      // HIP-15: witnesses refused for their signal count towards w but earn nothing
      if (w.beacon != null && WorkReason.RSSI_ABOVE_FREE_SPACE.equals(w.reason)) {
        w.beacon.witnessCount++;
      }
    }
    for (Rep w : witnesses) {
      if (w.beacon != null && WorkReason.RSSI_ABOVE_FREE_SPACE.equals(w.reason) && !heard.contains(w.beacon)) {
        heard.add(w.beacon);
      }
    }
    HexDensity density = new HexDensity(interactiveCells, rules.densityResolution(), rules.hex());
    for (Dev d : devices.values()) {
      d.hexScale = interactive.contains(d) ? density.scale(d.cell) : 0;
    }
    for (Rep b : heard) {
      int w = b.witnessCount;
      long selected = b.witnesses.stream().filter(x -> x.selected).count();
      double scale = b.dev.hexScale;
      if (b.valid() && w > 0) {
        b.baseUnits = beaconerUnits(w) * selected / w;
        b.units = b.baseUnits * scale;
      }
      for (Rep x : b.witnesses) {
        if (x.selected) {
          x.witnessCount = w;
          x.baseUnits = witnessUnits(w);
          x.units = x.baseUnits * scale;
        }
      }
    }
    for (Rep w : witnesses) {
      if (w.valid() && !w.selected) {
        w.reason = WorkReason.OVER_WITNESS_CAP;
        w.explanation = String.format(Locale.ROOT, "valid, but its beacon had %d valid witnesses before it (by receipt time);"
            + " only the first %d are rewarded", rules.maxRewardedWitnesses(), rules.maxRewardedWitnesses());
      }
    }

    // Output, in canonical order.
    for (Rep r : reports) {
      emit(r, out);
    }
    for (Dev d : devices.values()) {
      if (d.active) {
        summarize(d, out);
      }
    }
  }

  private void checkBeacon(Rep b, List<Denylist.Entry> deny, Map<ByteBuffer, IssuedEntropy> entropy, Map<Key, Rep> beaconById,
      Map<String, Rep> validInSlot) {
    if (b.bounds != null) {
      b.fail(WorkReason.IMPLAUSIBLE, b.bounds);
    }
    if (b.valid()) {
      Optional<Denylist.Entry> e = denylist.device(b.dev.id, b.at, deny);
      e.ifPresent(x -> b.fail(WorkReason.DENYLISTED, "the beaconer is on the coverage denylist " + x.describe()));
    }
    if (b.valid() && (!b.tagPresent || b.beaconerTag != b.dev.tag)) {
      b.fail(WorkReason.BEACONER_MISMATCH, String.format(Locale.ROOT, "the beacon names beaconer tag %s; this device's tag is %016x",
          b.tagPresent ? String.format(Locale.ROOT, "%016x", b.beaconerTag) : "(none)", b.dev.tag));
    }
    Region region = rules.regionOf(b.frequency);
    if (b.valid() && region == null) {
      b.fail(WorkReason.WRONG_REGION, String.format(Locale.ROOT, "%s MHz is in no configured region (%s)", mhz(b.frequency),
          String.join(", ", rules.regions().stream().map(Region::name).toList())));
    }
    if (b.valid()) {
      IssuedEntropy e = b.entropy.length == Entropies.VALUE_BYTES ? entropy.get(ByteBuffer.wrap(b.entropy)) : null;
      if (e == null) {
        b.fail(WorkReason.UNKNOWN_ENTROPY, "the beacon's entropy (" + b.entropy.length + " bytes, " + hex(b.entropy, 8)
            + ") was never issued by this coordinator");
      } else if (b.at < e.issuedAtMs()) {
        b.fail(WorkReason.UNKNOWN_ENTROPY, "the beacon report was received " + (e.issuedAtMs() - b.at) + " ms before its entropy #"
            + e.sequence() + " was issued");
      } else if (b.at - e.issuedAtMs() > rules.entropyWindow().toMillis()) {
        b.fail(WorkReason.ENTROPY_EXPIRED, String.format(Locale.ROOT, "entropy #%d was issued %.1f s before the beacon report was"
            + " received (%s); limit %.0f s", e.sequence(), (b.at - e.issuedAtMs()) / 1000.0, Instant.ofEpochMilli(e.issuedAtMs()),
            rules.entropyWindow().toMillis() / 1000.0));
      } else {
        b.issued = e;
        byte[] want = b.nonce.length == Entropies.NONCE_BYTES
            ? Entropies.beaconId(e.value(), b.nonce, DeviceId.parse(b.dev.id).toBytes()) : null;
        if (want == null || b.beaconId == null || !new Key(want).equals(b.beaconId)) {
          b.fail(WorkReason.BAD_BEACON_ID, want == null ? "the beacon has a " + b.nonce.length + "-byte nonce; it must be 16 bytes"
              : "the beacon id is not SHA-256(\"popw.v1.Beacon\", entropy, nonce, device id)[0..16] (expected " + hex(want, 16) + ")");
        }
      }
    }
    if (b.beaconId != null) {
      Rep first = beaconById.putIfAbsent(b.beaconId, b);
      if (first != null) {
        b.fail(WorkReason.DUPLICATE_BEACON, "beacon id " + hexKey(b.beaconId) + " was reported before by " + first.dev.id + " (#"
            + Long.toUnsignedString(first.sequence) + ", received " + Instant.ofEpochMilli(first.at) + ")");
      }
    }
    if (b.valid()) {
      long slot = Math.floorDiv(b.at, rules.beaconInterval().toMillis());
      Rep earlier = validInSlot.putIfAbsent(b.dev.id + "#" + slot, b);
      if (earlier != null) {
        b.fail(WorkReason.BEACON_TOO_FREQUENT, String.format(Locale.ROOT, "a valid beacon of this device was received %.1f min"
            + " earlier (#%s) in the same %.1f-h beacon interval starting %s; one beacon per interval", (b.at - earlier.at) / 60_000.0,
            Long.toUnsignedString(earlier.sequence), rules.beaconInterval().toMillis() / 3_600_000.0,
            Instant.ofEpochMilli(slot * rules.beaconInterval().toMillis())));
      }
    }
  }

  /** The pairwise rules; {@code seen} null for a probe (reciprocity look-back) that tracks no duplicates. */
  private void checkWitness(Rep w, List<Denylist.Entry> deny, Map<Key, Rep> beaconById, Map<Key, Long> firstWitness,
      Set<String> seen, H3Core h3) {
    if (w.bounds != null) {
      w.fail(WorkReason.IMPLAUSIBLE, w.bounds);
    }
    if (w.valid()) {
      denylist.device(w.dev.id, w.at, deny).ifPresent(x -> w.fail(WorkReason.DENYLISTED,
          "the witness is on the coverage denylist " + x.describe()));
    }
    if (w.valid() && w.tagPresent && w.beaconerTag == w.dev.tag) {
      w.fail(WorkReason.SELF_WITNESS, "the witnessed beacon names this device's own tag");
    }
    Rep b = w.beaconId == null ? null : beaconById.get(w.beaconId);
    if (w.valid() && b == null) {
      w.fail(WorkReason.NO_BEACON, w.beaconId == null ? "the witness names no 16-byte beacon id"
          : "no beacon report with id " + hexKey(w.beaconId) + " was received in this epoch or the "
              + rules.lookback().toHours() + " h before it");
    }
    if (!w.valid()) {
      return;
    }
    w.beacon = b;
    if (b.dev == w.dev) {
      w.fail(WorkReason.SELF_WITNESS, "the witnessed beacon is this device's own");
      return;
    }
    if (!w.tagPresent || w.beaconerTag != b.beaconerTag) {
      w.fail(WorkReason.BEACONER_MISMATCH, String.format(Locale.ROOT, "the witness names beaconer tag %s; the beacon's is %016x",
          w.tagPresent ? String.format(Locale.ROOT, "%016x", w.beaconerTag) : "(none)", b.beaconerTag));
      return;
    }
    if (b.entropy.length != Entropies.VALUE_BYTES || w.entropy.length != Entropies.PREFIX_BYTES
        || !Arrays.equals(w.entropy, 0, Entropies.PREFIX_BYTES, b.entropy, 0, Entropies.PREFIX_BYTES)) {
      w.fail(WorkReason.ENTROPY_MISMATCH, "the witness heard entropy " + hex(w.entropy, 8) + "; its beacon carried "
          + hex(b.entropy, Entropies.PREFIX_BYTES));
      return;
    }
    if (!b.valid()) {
      w.fail(WorkReason.BEACON_INVALID, "its beacon (" + b.dev.id + " #" + Long.toUnsignedString(b.sequence) + ") is INVALID: "
          + b.reason);
      return;
    }
    Optional<Denylist.Entry> pair = denylist.pair(b.dev.id, w.dev.id, w.at, deny);
    if (pair.isPresent()) {
      w.fail(WorkReason.DENYLISTED_PAIR, "the pair " + b.dev.id + " / " + w.dev.id + " is on the coverage denylist "
          + pair.get().describe());
      return;
    }
    if (seen != null && !seen.add(w.dev.id + "#" + w.beaconId.hi() + ":" + w.beaconId.lo())) {
      w.fail(WorkReason.DUPLICATE_WITNESS, "this device already witnessed beacon " + hexKey(w.beaconId));
      return;
    }
    Region rb = rules.regionOf(b.frequency);
    Region rw = rules.regionOf(w.frequency);
    if (rw == null || !rw.equals(rb)) {
      w.fail(WorkReason.WRONG_REGION, String.format(Locale.ROOT, "heard at %s MHz (%s); the beacon was sent at %s MHz (%s)",
          mhz(w.frequency), rw == null ? "no region" : rw.name(), mhz(b.frequency), rb.name()));
      return;
    }
    long df = Math.abs(w.frequency - b.frequency);
    if (df > rules.frequencyToleranceHz()) {
      w.fail(WorkReason.FREQUENCY_MISMATCH, String.format(Locale.ROOT, "heard at %s MHz, %.1f kHz from the beacon's %s MHz; limit %.1f kHz",
          mhz(w.frequency), df / 1000.0, mhz(b.frequency), rules.frequencyToleranceHz() / 1000.0));
      return;
    }
    if (w.at >= b.at) {
      if (w.at - b.at > rules.witnessWindow().toMillis()) {
        w.fail(WorkReason.WITNESS_TOO_LATE, String.format(Locale.ROOT, "received %.3f s after its beacon; limit %.3f s",
            (w.at - b.at) / 1000.0, rules.witnessWindow().toMillis() / 1000.0));
        return;
      }
    } else {
      long first = firstWitness.getOrDefault(w.beaconId, w.at);
      if (b.at - first > rules.earlyWitnessWindow().toMillis()) {
        w.fail(WorkReason.WITNESS_TOO_EARLY, String.format(Locale.ROOT, "received %.3f s before its beacon, which came %.3f s after"
            + " the beacon's first witness; limit %.3f s", (b.at - w.at) / 1000.0, (b.at - first) / 1000.0,
            rules.earlyWitnessWindow().toMillis() / 1000.0));
        return;
      }
    }
    if (!w.dev.located() || !b.dev.located()) {
      w.fail(WorkReason.NO_LOCATION, (!w.dev.located() ? "the witness" : "the beaconer") + " has no registered location");
      return;
    }
    double d = Geo.distanceM(b.dev.lat, b.dev.lon, w.dev.lat, w.dev.lon);
    w.distance = d;
    if (d > rules.maxDistanceM()) {
      w.fail(WorkReason.TOO_FAR, String.format(Locale.ROOT, "%.2f km from the beaconer; limit %.2f km", d / 1000, rules.maxDistanceM() / 1000));
      return;
    }
    long grid = gridDistance(h3, b.dev, w.dev, d);
    w.grid = grid;
    if (grid < rules.minGridDistance()) {
      w.fail(WorkReason.TOO_CLOSE, String.format(Locale.ROOT, "%.0f m from the beaconer, H3 resolution-%d grid distance %d; minimum %d",
          d, rules.gridResolution(), grid, rules.minGridDistance()));
      return;
    }
    double fspl = Radio.freeSpaceLossDb(d, b.frequency);
    double max = b.tx + b.gain + w.gain - fspl + rules.rssiMarginDb();
    w.maxRssi = max;
    if (w.rssi > max) {
      w.fail(WorkReason.RSSI_ABOVE_FREE_SPACE, String.format(Locale.ROOT, "received %.1f dBm from %.0f m at %s MHz; free space allows"
          + " at most %.1f dBm (beacon %.1f dBm + antenna gains %.1f + %.1f dBi - free-space loss %.1f dB%s)", w.rssi, d,
          mhz(b.frequency), max, b.tx, b.gain, w.gain, fspl,
          rules.rssiMarginDb() == 0 ? "" : String.format(Locale.ROOT, " + margin %.1f dB", rules.rssiMarginDb())));
    }
  }

  private long gridDistance(H3Core h3, Dev a, Dev b, double meters) {
    if (meters > 20_000) {
      return Long.MAX_VALUE; // far beyond any minimum; H3 refuses distances across too many cells
    }
    try {
      return h3.gridDistance(h3.latLngToCell(a.lat, a.lon, rules.gridResolution()), h3.latLngToCell(b.lat, b.lon, rules.gridResolution()));
    } catch (RuntimeException e) {
      // a pentagon in between: estimate from the distance and the cells' mean centre spacing
      double spacing = StrictMath.sqrt(3) * h3.getHexagonEdgeLengthAvg(rules.gridResolution(), com.uber.h3core.LengthUnit.m);
      return (long) StrictMath.floor(meters / spacing);
    }
  }

  /**
   * Stage 3b: devices whose path losses fit a location far from the claimed one. Iterative, most
   * significant first: the device whose claimed place is worst is flagged, its links are dropped
   * and its counterparts fitted again, until no fit rejects its claim; so one liar does not drag
   * its honest neighbours' fits away.
   */
  private void locationFit(java.util.Collection<Dev> devices, List<Rep> witnesses, Set<Long> bad) {
    // A range-inconsistent link is evidence against the end that has more inconsistent links (the
    // liar: its claim is wrong for many links, its honest counterparts' for one); the other end's
    // fit does without it, so a liar does not drag an honest neighbour's fit. Ties: both keep it.
    Map<Dev, double[]> share = new HashMap<>(); // device -> {inconsistent links, links}
    if (!bad.isEmpty()) {
      Set<Long> counted = new HashSet<>();
      for (Rep w : witnesses) {
        if (w.valid() && w.beacon != null && counted.add(pair(w))) {
          boolean b = bad.contains(pair(w));
          for (Dev d : new Dev[] {w.dev, w.beacon.dev}) {
            double[] c = share.computeIfAbsent(d, k -> new double[2]);
            c[0] += b ? 1 : 0;
            c[1]++;
          }
        }
      }
    }
    Map<Dev, Map<Dev, double[]>> links = new HashMap<>(); // device -> counterpart -> {sum of loss, count}
    for (Rep w : witnesses) {
      if (!w.valid() || w.beacon == null || w.dev.crossReason != null || w.beacon.dev.crossReason != null) {
        continue;
      }
      double loss = w.beacon.tx + w.beacon.gain + w.gain - w.rssi;
      double fw = 0;
      double fb = 0;
      if (!bad.isEmpty() && bad.contains(pair(w))) {
        double[] cw = share.get(w.dev);
        double[] cb = share.get(w.beacon.dev);
        fw = cw[0];
        fb = cb[0];
      }
      if (fw >= fb) {
        add(links, w.dev, w.beacon.dev, loss);
      }
      if (fb >= fw) {
        add(links, w.beacon.dev, w.dev, loss);
      }
    }
    java.util.TreeMap<String, Dev> pending = new java.util.TreeMap<>();
    for (Dev d : devices) {
      pending.put(d.id, d);
    }
    Map<Dev, LocationFit.Result> fits = new HashMap<>();
    while (true) {
      for (Dev d : pending.values()) {
        Map<Dev, double[]> l = links.get(d);
        if (!d.active || !d.located() || d.crossReason != null || l == null || l.size() < rules.fit().minCounterparts()) {
          fits.remove(d);
          if (d.crossReason == null) {
            d.fit = null; // fewer counterparts than before: no fit now
          }
          continue;
        }
        List<LocationFit.Sample> samples = new ArrayList<>(l.size());
        for (Map.Entry<Dev, double[]> e : byId(l).values()) {
          samples.add(new LocationFit.Sample(e.getKey().lat, e.getKey().lon, e.getValue()[0] / e.getValue()[1], (int) e.getValue()[1]));
        }
        LocationFit.Result r = LocationFit.fit(d.lat, d.lon, samples, rules.fit());
        fits.put(d, r);
        d.fit = r;
      }
      pending.clear();
      Dev worst = null;
      for (Dev d : devices) { // by id: ties go to the smaller id
        LocationFit.Result r = fits.get(d);
        if (r != null && r.rejected() && (worst == null || r.statistic() > fits.get(worst).statistic())) {
          worst = d;
        }
      }
      if (worst == null) {
        return;
      }
      LocationFit.Result r = fits.remove(worst);
      worst.crossReason = WorkReason.LOCATION_FIT;
      worst.crossExplanation = String.format(Locale.ROOT, "path losses to %d devices fit (%.5f, %.5f), %.2f km from the claimed"
          + " (%.5f, %.5f), with exponent %.2f: residual %.1f there vs %.1f at the claimed place, difference %.1f; limits %.2f km"
          + " and %.2f (chi-square, 2 degrees of freedom)", r.counterparts(), r.bestLatitude(), r.bestLongitude(), r.offsetM() / 1000,
          worst.lat, worst.lon, r.exponent(), r.bestResidual(), r.claimedResidual(), r.statistic(), rules.fit().maxOffsetM() / 1000,
          rules.fit().chi2Threshold());
      Map<Dev, double[]> gone = links.remove(worst);
      if (gone != null) {
        for (Dev o : gone.keySet()) {
          Map<Dev, double[]> back = links.get(o);
          if (back != null) {
            back.remove(worst);
          }
          pending.put(o.id, o);
        }
      }
    }
  }

  /**
   * Stage 3c: range consistency, on the links the fit left valid. The valid witnesses between two
   * devices (both directions) form a
   * link; its mean excess loss over the log-distance law at the claimed distance,
   * {@code mean(loss - FSPL(1 m, f) - 10·n·log10(d))}, is compared with its standard deviation
   * {@code sqrt(σs² + σf²/k)}: a link far stronger than the law allows (a claimed distance no
   * honest link of that strength reaches) is RANGE_INCONSISTENT, all its witnesses INVALID. The
   * coordinator cannot tell which end lies, so both directions go; the device that lied then has
   * lost what the lie was for.
   */
  private static void applyCross(List<Rep> reports, List<Rep> witnesses) {
    for (Rep r : reports) {
      if (r.valid() && r.dev.crossReason != null) {
        r.fail(r.dev.crossReason, r.dev.crossExplanation);
      }
    }
    for (Rep w : witnesses) {
      if (w.valid() && w.beacon != null && w.beacon.dev.crossReason != null) {
        w.fail(WorkReason.BEACON_INVALID, "its beacon (" + w.beacon.dev.id + " #" + Long.toUnsignedString(w.beacon.sequence)
            + ") is INVALID: " + w.beacon.dev.crossReason);
      }
    }
  }

  /** Returns whether any link was inconsistent. */
  private boolean range(java.util.Collection<Dev> devices, List<Rep> witnesses, Map<Long, String> bad) {
    if (bad.isEmpty()) {
      return false;
    }
    // A device at the more guilty end of many inconsistent links: each is a 4-sigma event for an
    // honest link, several at one device cannot be chance; its claimed place is wrong.
    Map<Dev, Set<Dev>> others = new HashMap<>();
    for (Rep w : witnesses) {
      if (w.valid() && w.beacon != null && bad.containsKey(pair(w))) {
        others.computeIfAbsent(w.dev, k -> new HashSet<>()).add(w.beacon.dev);
        others.computeIfAbsent(w.beacon.dev, k -> new HashSet<>()).add(w.dev);
      }
    }
    boolean flagged = false;
    int min = rules.check().maxInconsistentLinks();
    for (Dev d : devices) { // by id
      Set<Dev> o = others.get(d);
      if (min <= 0 || o == null || o.size() < min || d.crossReason != null) {
        continue;
      }
      int most = 0;
      for (Dev x : o) {
        most = Math.max(most, others.get(x).size());
      }
      if (o.size() > most) {
        d.crossReason = WorkReason.RANGE_INCONSISTENT;
        d.crossExplanation = String.format(Locale.ROOT, "its links to %d devices are each far stronger than the log-distance law"
            + " (exponent %.1f) allows at the claimed distances, by more than %.1f standard deviations; none of those devices has"
            + " more than %d such links; limit %d: its claimed location (%.5f, %.5f) is wrong", o.size(), rules.check().exponent(),
            rules.check().maxDeviations(), most, min - 1, d.lat, d.lon);
        flagged = true;
      }
    }
    for (Rep w : witnesses) {
      if (w.valid() && w.beacon != null) {
        String why = bad.get(pair(w));
        if (why != null) {
          w.fail(WorkReason.RANGE_INCONSISTENT, why);
        }
      }
    }
    return flagged;
  }

  /** The valid links that fail the range test: pair key -> explanation. */
  private Map<Long, String> inconsistentLinks(List<Rep> witnesses) {
    CoverageRules.LocationCheck c = rules.check();
    Map<Long, double[]> links = new HashMap<>(); // pair -> {sum of excess, count, distance}
    for (Rep w : witnesses) {
      if (!w.valid() || w.beacon == null) {
        continue;
      }
      double d = Math.max(1, w.distance);
      double law = Radio.freeSpaceLossDb(1, w.beacon.frequency) + 10 * c.exponent() * StrictMath.log10(d);
      double loss = w.beacon.tx + w.beacon.gain + w.gain - w.rssi;
      double[] s = links.computeIfAbsent(pair(w), k -> new double[3]);
      s[0] += loss - law;
      s[1] += 1;
      s[2] = d;
    }
    Map<Long, String> bad = new HashMap<>();
    double sigS = rules.fit().shadowingSigmaDb() * rules.fit().shadowingSigmaDb();
    double sigF = rules.fit().fadingSigmaDb() * rules.fit().fadingSigmaDb();
    for (Map.Entry<Long, double[]> e : links.entrySet()) {
      double[] s = e.getValue();
      double mean = s[0] / s[1];
      double sigma = StrictMath.sqrt(sigS + sigF / s[1]);
      double z = mean / sigma;
      if (z < -c.maxDeviations()) {
        bad.put(e.getKey(), String.format(Locale.ROOT, "the path loss between these devices, %d received beacons, is on average %.1f dB"
            + " below the log-distance law at the claimed %.2f km (exponent %.1f from free space at 1 m): %.1f standard deviations"
            + " (shadowing %.1f dB, fading %.1f dB over %d); limit %.1f. No link that strong reaches that far", (long) s[1], -mean,
            s[2] / 1000, c.exponent(), -z, rules.fit().shadowingSigmaDb(), rules.fit().fadingSigmaDb(), (long) s[1],
            c.maxDeviations()));
      }
    }
    return bad;
  }

  private static long pair(Rep w) {
    if (w.pair < 0) {
      long a = w.dev.index;
      long b = w.beacon.dev.index;
      w.pair = Math.min(a, b) << 32 | Math.max(a, b);
    }
    return w.pair;
  }

  /**
   * Stage 3d: confirmation. A device with at least one but fewer than {@code minCounterparts}
   * distinct counterparts on valid links (after range, rings and fit) has a claimed location
   * nothing confirms: one link fits any place on a circle around its counterpart. Its own reports
   * are UNCONFIRMED_LOCATION (witnesses of its beacons stay valid, as for reciprocity); it earns
   * again when enough devices hear it or are heard by it.
   */
  private void confirm(java.util.Collection<Dev> devices, List<Rep> witnesses) {
    Map<Dev, Map<String, double[]>> cps = new HashMap<>(); // device -> counterpart id -> {samples, distance}
    for (Rep w : witnesses) {
      if (w.valid() && w.beacon != null && w.dev.crossReason == null && w.beacon.dev.crossReason == null) {
        double[] a = cps.computeIfAbsent(w.dev, k -> new TreeMap<>()).computeIfAbsent(w.beacon.dev.id, k -> new double[2]);
        a[0]++;
        a[1] = w.distance;
        double[] b = cps.computeIfAbsent(w.beacon.dev, k -> new TreeMap<>()).computeIfAbsent(w.dev.id, k -> new double[2]);
        b[0]++;
        b[1] = w.distance;
      }
    }
    int min = rules.check().minCounterparts();
    double maxOffset = rules.check().maxFitOffsetM();
    for (Dev d : devices) { // by id
      Map<String, double[]> m = cps.get(d);
      if (!d.active || d.crossReason != null || m == null) {
        continue;
      }
      if (maxOffset > 0 && d.fit != null && d.fit.counterparts() <= LocationFit.PARAMETERS && d.fit.offsetM() >= maxOffset
          && rules.fit().enabled()) {
        LocationFit.Result r = d.fit;
        String why = String.format(Locale.ROOT, "path losses to %d devices fit (%.5f, %.5f), %.2f km from the claimed (%.5f, %.5f), with"
            + " exponent %.2f: residual %.1f there vs %.1f at the claimed place, difference %.1f, below the %.2f that would reject the"
            + " claim: with %d counterparts and 4 free parameters (A, n, position) the test cannot decide, and a fit %.2f km or more"
            + " away leaves the claim unconfirmed", r.counterparts(), r.bestLatitude(), r.bestLongitude(),
            r.offsetM() / 1000, d.lat, d.lon, r.exponent(), r.bestResidual(), r.claimedResidual(), r.statistic(),
            rules.fit().chi2Threshold(), r.counterparts(), maxOffset / 1000);
        for (Rep x : d.reports) {
          if (x.valid()) {
            x.fail(WorkReason.UNCONFIRMED_LOCATION, why);
          }
        }
        continue;
      }
      if (m.size() >= min) {
        continue;
      }
      StringBuilder list = new StringBuilder();
      for (Map.Entry<String, double[]> e : m.entrySet()) {
        list.append(list.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s at %.2f km, %d witnesses", e.getKey(),
            e.getValue()[1] / 1000, (long) e.getValue()[0]));
      }
      String why = String.format(Locale.ROOT, "its claimed location (%.5f, %.5f) is confirmed by %d device%s only (%s); at least %d"
          + " distinct devices that heard it or that it heard validly are needed: a single link fits any place on a circle around"
          + " its counterpart", d.lat, d.lon, m.size(), m.size() == 1 ? "" : "s", list, min);
      for (Rep r : d.reports) {
        if (r.valid()) {
          r.fail(WorkReason.UNCONFIRMED_LOCATION, why);
        }
      }
    }
  }

  private static Map<String, Map.Entry<Dev, double[]>> byId(Map<Dev, double[]> l) {
    Map<String, Map.Entry<Dev, double[]>> m = new TreeMap<>();
    for (Map.Entry<Dev, double[]> e : l.entrySet()) {
      m.put(e.getKey().id, e);
    }
    return m;
  }

  private static void add(Map<Dev, Map<Dev, double[]>> links, Dev a, Dev b, double loss) {
    double[] s = links.computeIfAbsent(a, k -> new HashMap<>()).computeIfAbsent(b, k -> new double[2]);
    s[0] += loss;
    s[1] += 1;
  }

  /** Stage 3a: closed groups that only witness each other while devices near them hear none of them. */
  private void rings(Map<String, Dev> devices, List<Rep> witnesses) {
    List<Dev> list = new ArrayList<>(devices.values()); // by id
    Map<Dev, Integer> index = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      index.put(list.get(i), i);
    }
    int[] parent = new int[list.size()];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    int[] links = new int[list.size()];
    for (Rep w : witnesses) {
      if (w.valid() && w.beacon != null && w.dev.crossReason == null && w.beacon.dev.crossReason == null) {
        int a = index.get(w.dev);
        int b = index.get(w.beacon.dev);
        links[a]++;
        links[b]++;
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
          parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
      }
    }
    Map<Integer, List<Dev>> groups = new TreeMap<>();
    for (int i = 0; i < list.size(); i++) {
      if (links[i] > 0) {
        groups.computeIfAbsent(find(parent, i), k -> new ArrayList<>()).add(list.get(i));
      }
    }
    double radius = rules.ring().outsiderRadiusM();
    double band = Math.max(1e-6, radius / 111_000.0);
    Map<Long, List<Dev>> bands = new HashMap<>();
    for (Dev d : list) {
      if (d.active && d.located()) {
        bands.computeIfAbsent((long) Math.floor(d.lat / band), k -> new ArrayList<>()).add(d);
      }
    }
    Map<Dev, Integer> groupSize = new HashMap<>();
    for (List<Dev> g : groups.values()) {
      for (Dev m : g) {
        groupSize.put(m, g.size());
      }
    }
    for (List<Dev> g : groups.values()) {
      if (g.size() < rules.ring().minSize()) {
        continue;
      }
      Set<Dev> members = new HashSet<>(g);
      Set<String> outsiders = new java.util.TreeSet<>(); // of larger groups: a ring hides inside a bigger network, not the reverse
      for (Dev m : g) {
        if (!m.located()) {
          continue;
        }
        long b0 = (long) Math.floor(m.lat / band);
        for (long b = b0 - 1; b <= b0 + 1; b++) {
          for (Dev o : bands.getOrDefault(b, List.of())) {
            if (!members.contains(o) && groupSize.getOrDefault(o, 1) > g.size()
                && Geo.distanceM(m.lat, m.lon, o.lat, o.lon) <= radius) {
              outsiders.add(o.id);
            }
          }
        }
      }
      if (outsiders.size() >= rules.ring().minOutsiders()) {
        long edges = 0;
        for (Dev m : g) {
          edges += links[index.get(m)];
        }
        String why = String.format(Locale.ROOT, "one of %d devices whose %d valid witnesses this epoch are all of each other, while"
            + " %d active devices of larger groups within %.1f km of them exchanged none with them; limit %d", g.size(), edges,
            outsiders.size(), radius / 1000, rules.ring().minOutsiders() - 1);
        for (Dev m : g) {
          m.crossReason = WorkReason.WITNESS_RING;
          m.crossExplanation = why;
        }
      }
    }
  }

  private static int find(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  // ------------------------------------------------------------------ units

  /** HIP-15: the beaconer's units for w witnesses (N = witness redundancy, r = decay rate). */
  public double beaconerUnits(int w) {
    int n = rules.witnessRedundancy();
    if (w <= n) {
      return (double) w / n;
    }
    return 1 + (1 - StrictMath.pow(rules.decayRate(), w - n));
  }

  /** HIP-15: each rewarded witness's units for w witnesses. */
  public double witnessUnits(int w) {
    int n = rules.witnessRedundancy();
    if (w <= n) {
      return 1;
    }
    return (n - (1 - StrictMath.pow(rules.decayRate(), w - n))) / w;
  }

  // ------------------------------------------------------------------ output

  private void emit(Rep r, VerdictSink out) {
    Verdict v;
    if (r.reason == null) {
      v = new Verdict(r.hash, r.dev.id, r.sequence, WorkKind.COVERAGE, VerdictStatus.VALID, WorkReason.OK, validText(r));
    } else if (r.reason.equals(WorkReason.OVER_WITNESS_CAP)) {
      v = new Verdict(r.hash, r.dev.id, r.sequence, WorkKind.COVERAGE, VerdictStatus.VALID, r.reason, r.explanation);
    } else {
      v = new Verdict(r.hash, r.dev.id, r.sequence, WorkKind.COVERAGE, VerdictStatus.INVALID, r.reason, r.explanation);
    }
    out.verdict(v);
    if (v.isValid()) {
      out.units(new ReportUnits(r.hash, r.dev.id, r.role == BEACON, r.witnessCount, r.baseUnits,
          r.role == BEACON ? r.dev.hexScale : r.beacon.dev.hexScale, r.units));
    }
  }

  private String validText(Rep r) {
    if (r.role == BEACON) {
      long selected = r.witnesses.stream().filter(x -> x.selected).count();
      return String.format(Locale.ROOT, "beacon at %s MHz, %.1f dBm, entropy #%d issued %.1f s before; %d witnesses counted, %d"
          + " rewarded: HIP-15 units %.4f x hex scale %.4f = %.4f", mhz(r.frequency), r.tx, r.issued.sequence(),
          (r.at - r.issued.issuedAtMs()) / 1000.0, r.witnessCount, selected, r.baseUnits, r.dev.hexScale, r.units);
    }
    return String.format(Locale.ROOT, "witnessed %s at %.0f m (H3 grid distance %s), %.1f dBm (free space allows %.1f dBm), %.3f s"
        + " %s the beacon; HIP-15 units %.4f (w = %d) x hex scale %.4f = %.4f", r.beacon.dev.id, r.distance,
        r.grid == Long.MAX_VALUE ? "> 400" : Long.toString(r.grid), r.rssi, r.maxRssi, Math.abs(r.at - r.beacon.at) / 1000.0,
        r.at >= r.beacon.at ? "after" : "before", r.baseUnits, r.witnessCount, r.beacon.dev.hexScale, r.units);
  }

  private void summarize(Dev d, VerdictSink out) {
    long beacons = 0;
    long validBeacons = 0;
    long witnesses = 0;
    long validWitnesses = 0;
    long selected = 0;
    double beaconUnits = 0;
    double witnessUnits = 0;
    for (Rep r : d.reports) {
      boolean valid = r.reason == null || r.reason.equals(WorkReason.OVER_WITNESS_CAP);
      if (r.role == BEACON) {
        beacons++;
        validBeacons += valid ? 1 : 0;
        beaconUnits += r.units;
      } else if (r.role == WITNESS) {
        witnesses++;
        validWitnesses += valid ? 1 : 0;
        selected += r.selected ? 1 : 0;
        witnessUnits += r.units;
      }
    }
    long n = d.reports.size();
    long valid = validBeacons + validWitnesses;
    double fraction = n == 0 ? 0 : (double) valid / n;
    double units = beaconUnits + witnessUnits;
    String fit = d.fit == null ? "" : String.format(Locale.ROOT, "; location fit %.2f km from the claimed place (%d devices)",
        d.fit.offsetM() / 1000, d.fit.counterparts());
    String expl = String.format(Locale.ROOT, "%d of %d beacons and %d of %d witnesses valid (%d rewarded); %s; hex scale %.4f%s;"
        + " units %.4f (beacons) + %.4f (witnesses) = %.4f", validBeacons, beacons, validWitnesses, witnesses, selected,
        d.reciprocal ? "reciprocal" : "not reciprocal", d.hexScale, fit, beaconUnits, witnessUnits, units);
    out.summary(new DeviceEpochSummary(d.id, WorkKind.COVERAGE, n, valid, 1.0, fraction, units, expl));
    out.coverage(new CoverageSummary(d.id, beacons, validBeacons, witnesses, validWitnesses, selected, beaconUnits, witnessUnits,
        d.hexScale, d.cell, d.reciprocal, d.fit == null ? Double.NaN : d.fit.offsetM()));
  }

  // ------------------------------------------------------------------ helpers

  static String bounds(CoverageReport c, CoverageRules rules) {
    long f = c.getFrequencyHz();
    if (f < 1 || f > 10_000_000_000L) {
      return "frequency " + Long.toUnsignedString(f) + " Hz is outside [1, 10000000000] Hz";
    }
    if (c.getRole() == CoverageReport.Role.WITNESS) {
      if (!(c.getRssiDbm() >= -150 && c.getRssiDbm() <= 0)) {
        return String.format(Locale.ROOT, "received power %.2f dBm is outside [-150, 0] dBm", c.getRssiDbm());
      }
      if (!(c.getSnrDb() >= -40 && c.getSnrDb() <= 40)) {
        return String.format(Locale.ROOT, "SNR %.2f dB is outside [-40, 40] dB", c.getSnrDb());
      }
    } else if (c.getRole() == CoverageReport.Role.BEACON) {
      if (!(c.getTxPowerDbm() >= -20 && c.getTxPowerDbm() <= rules.maxTxPowerDbm())) {
        return String.format(Locale.ROOT, "transmit power %.2f dBm is outside [-20, %.0f] dBm", c.getTxPowerDbm(), rules.maxTxPowerDbm());
      }
    }
    if (!Float.isFinite(c.getAntennaGainDbi()) || c.getAntennaGainDbi() < -10) {
      return String.format(Locale.ROOT, "antenna gain %.2f dBi is below -10 dBi", c.getAntennaGainDbi());
    }
    return null;
  }

  private static String roleName(Evidence e) {
    return e.telemetry().getCoverage().getRole().name();
  }

  /** The 8-byte tag of a beaconer: SHA-256 of its device id bytes, first 8 bytes, big-endian. */
  static long tagOf(String deviceId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(DeviceId.parse(deviceId).toBytes());
      return ByteBuffer.wrap(h).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } catch (RuntimeException e) {
      return 0; // not a did:key (cannot be: ingest verified it); it then matches no beacon
    }
  }

  private static String mhz(long hz) {
    return String.format(Locale.ROOT, "%.3f", hz / 1e6);
  }

  private static String hex(byte[] b, int max) {
    return java.util.HexFormat.of().formatHex(b, 0, Math.min(b.length, max)) + (b.length > max ? "..." : "");
  }

  private static String hexKey(Key k) {
    return String.format(Locale.ROOT, "%016x%016x", k.hi(), k.lo());
  }
}
