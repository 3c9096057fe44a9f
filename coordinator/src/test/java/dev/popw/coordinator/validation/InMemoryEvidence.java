package dev.popw.coordinator.validation;

import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import dev.popw.proto.v1.Unit;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/** An epoch's evidence built by hand, for validator unit tests. */
public final class InMemoryEvidence implements EpochEvidence {
  private final long epoch;
  private final long start;
  private final long end;
  private final Map<String, RegisteredDevice> devices = new TreeMap<>();
  private final List<Evidence> items = new ArrayList<>();
  private final List<IssuedEntropy> entropy = new ArrayList<>();

  public InMemoryEvidence(long epoch, long start, long end) {
    this.epoch = epoch;
    this.start = start;
    this.end = end;
  }

  /** Entropy the coordinator issued (for coverage). */
  public InMemoryEvidence entropy(IssuedEntropy e) {
    entropy.add(e);
    return this;
  }

  @Override
  public List<IssuedEntropy> entropy(long fromMs, long toMs) {
    return entropy.stream().filter(e -> e.issuedAtMs() >= fromMs && e.issuedAtMs() < toMs)
        .sorted(Comparator.comparingLong(IssuedEntropy::sequence)).toList();
  }

  public InMemoryEvidence device(String id, Double lat, Double lon) {
    devices.put(id, new RegisteredDevice(id, 1, lat, lon));
    return this;
  }

  /** Adds a reading received at its device time. */
  public Evidence reading(String device, long seq, long timeMs, Measurement... ms) {
    return add(device, seq, timeMs, timeMs, Telemetry.newBuilder().setSensor(SensorReading.newBuilder().addAllMeasurements(List.of(ms))));
  }

  public Evidence reading(String device, long seq, long timeMs, Location loc, Measurement... ms) {
    return add(device, seq, timeMs, timeMs,
        Telemetry.newBuilder().setSensor(SensorReading.newBuilder().addAllMeasurements(List.of(ms)).setLocation(loc)));
  }

  public Evidence add(String device, long seq, long deviceTime, long receivedAt, Telemetry.Builder t) {
    Telemetry tel = t.setSequence(seq).setTimestampMs(deviceTime).build();
    WorkKind kind = WorkKind.ofPayload(tel.getPayloadCase().getNumber());
    Evidence e = new Evidence(hash(device + "#" + seq), device, seq, deviceTime, receivedAt, 0, kind, tel);
    items.add(e);
    return e;
  }

  public static Measurement m(Quantity q, double v, Unit u) {
    return Measurement.newBuilder().setQuantity(q).setValue(v).setUnit(u).build();
  }

  public static Measurement celsius(double v) {
    return m(Quantity.TEMPERATURE, v, Unit.CELSIUS);
  }

  static byte[] hash(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a validator and returns its verdicts by (device, sequence) order, and its summaries. */
  public EpochResult run(WorkValidator v) {
    Validators vs = dev.popw.coordinator.epoch.DefaultValidators.of(dev.popw.coordinator.validation.sensor.SensorRules.defaults()).with(v);
    List<Verdict> verdicts = new ArrayList<>();
    List<DeviceEpochSummary> summaries = new ArrayList<>();
    List<CoverageSummary> coverage = new ArrayList<>();
    List<ReportUnits> units = new ArrayList<>();
    v.validate(this, new VerdictSink() {
      @Override
      public void verdict(Verdict x) {
        verdicts.add(x);
      }

      @Override
      public void summary(DeviceEpochSummary s) {
        summaries.add(s);
      }

      @Override
      public void coverage(CoverageSummary s) {
        coverage.add(s);
      }

      @Override
      public void units(ReportUnits u) {
        units.add(u);
      }
    });
    return EpochResult.of(epoch, verdicts, summaries, vs.parameters(), coverage, units);
  }

  @Override
  public long epoch() {
    return epoch;
  }

  @Override
  public long startMs() {
    return start;
  }

  @Override
  public long endMs() {
    return end;
  }

  @Override
  public Optional<RegisteredDevice> device(String deviceId) {
    return Optional.ofNullable(devices.get(deviceId));
  }

  @Override
  public List<RegisteredDevice> devices(WorkKind kind) {
    return items.stream().filter(e -> e.kind() == kind && e.receivedAt() >= start && e.receivedAt() < end).map(Evidence::deviceId).distinct().sorted()
        .map(id -> devices.getOrDefault(id, new RegisteredDevice(id, 1, null, null))).toList();
  }

  @Override
  public void forEachDevice(WorkKind kind, BiConsumer<RegisteredDevice, List<Evidence>> action) {
    forEachDevice(kind, start, end, action);
  }

  /** Items received in [fromMs, toMs): the epoch, or (before it) the look-back. */
  @Override
  public void forEachDevice(WorkKind kind, long fromMs, long toMs, BiConsumer<RegisteredDevice, List<Evidence>> action) {
    Map<String, List<Evidence>> by = new TreeMap<>();
    for (Evidence e : items) {
      if (e.kind() == kind && e.receivedAt() >= fromMs && e.receivedAt() < toMs) {
        by.computeIfAbsent(e.deviceId(), k -> new ArrayList<>()).add(e);
      }
    }
    by.forEach((id, l) -> {
      l.sort(Comparator.comparingLong(Evidence::sequence));
      action.accept(devices.getOrDefault(id, new RegisteredDevice(id, 1, null, null)), l);
    });
  }
}
