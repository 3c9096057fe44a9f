package dev.popw.coordinator.validation.sensor;

import dev.popw.coordinator.validation.DeviceEpochSummary;
import dev.popw.coordinator.validation.EpochEvidence;
import dev.popw.coordinator.validation.Evidence;
import dev.popw.coordinator.validation.Geo;
import dev.popw.coordinator.validation.RegisteredDevice;
import dev.popw.coordinator.validation.Verdict;
import dev.popw.coordinator.validation.VerdictSink;
import dev.popw.coordinator.validation.WorkKind;
import dev.popw.coordinator.validation.WorkReason;
import dev.popw.coordinator.validation.WorkValidator;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The sensor data-quality validator. Per reading, in this order (the first failing rule decides):
 *
 * <ol>
 *   <li>UNIT_MISMATCH: the unit is the one of its quantity; QUANTITY_OTHER carries a name;
 *   <li>OUT_OF_RANGE: the value is physically possible;
 *   <li>LOCATION_MISMATCH: a location in the reading is within the set distance of the registered one;
 *   <li>STUCK_SENSOR: the value has not been exactly the same for the stuck-sensor time;
 *   <li>JUMP: the change against the device's previous valid reading within the jump window is within the limit;
 *   <li>OUTLIER: the device's hourly median is within the limit of the median of its neighbours' hourly medians.
 * </ol>
 *
 * Readings are taken in sequence order and timed by the device's signed timestamps (a station
 * that uploads a backlog keeps its own time axis); the hour of a reading for the outlier check is
 * its receipt hour within the epoch. Per device and epoch: completeness = the mean over the
 * epoch's hours of the fraction of expected reading slots ({@code expectedInterval}) holding a
 * valid reading; quality = (valid readings / readings) × completeness; reward units = quality.
 */
public final class SensorValidator implements WorkValidator {
  private static final long HOUR_MS = 3_600_000;

  private final SensorRules rules;

  public SensorValidator(SensorRules rules) {
    this.rules = rules;
  }

  public SensorValidator() {
    this(SensorRules.defaults());
  }

  @Override
  public WorkKind kind() {
    return WorkKind.SENSOR;
  }

  @Override
  public String parameters() {
    return rules.canonical();
  }

  public SensorRules rules() {
    return rules;
  }

  @Override
  public void validate(EpochEvidence evidence, VerdictSink out) {
    // One read of the evidence: the per-device rules, and each device's hourly medians of the
    // readings they left valid. What the outlier check then needs of a reading is kept compactly.
    Map<String, Map<Long, Map<Quantity, Double>>> medians = new HashMap<>();
    List<DeviceResult> results = new ArrayList<>();
    evidence.forEachDevice(WorkKind.SENSOR, (device, readings) -> {
      List<Verdict> prelim = perDevice(device, readings);
      medians.put(device.deviceId(), hourlyMedians(readings, prelim, evidence.startMs()));
      long[] hours = new long[readings.size()];
      long[] times = new long[readings.size()];
      for (int i = 0; i < hours.length; i++) {
        hours[i] = hourOf(readings.get(i), evidence.startMs());
        times[i] = readings.get(i).deviceTime();
      }
      results.add(new DeviceResult(device, prelim, hours, times));
    });
    Neighbours neighbours = new Neighbours(evidence.devices(WorkKind.SENSOR), rules.neighbourRadiusM());
    for (DeviceResult d : results) {
      Map<Long, Map<Quantity, String>> outliers = outliers(d.device(), medians, neighbours);
      long valid = 0;
      Set<Long> slots = new HashSet<>();
      for (int i = 0; i < d.verdicts().size(); i++) {
        Verdict v = d.verdicts().get(i);
        if (v.isValid()) {
          Map<Quantity, String> hour = outliers.get(d.hours()[i]);
          if (hour != null && !hour.isEmpty()) {
            v = new Verdict(v.envelopeHash(), v.deviceId(), v.sequence(), v.kind(), dev.popw.coordinator.validation.VerdictStatus.INVALID,
                WorkReason.OUTLIER, hour.values().iterator().next());
          }
        }
        if (v.isValid()) {
          valid++;
          long t = d.times()[i];
          if (t >= evidence.startMs() && t < evidence.endMs()) {
            slots.add((t - evidence.startMs()) / rules.expectedInterval().toMillis());
          }
        }
        out.verdict(v);
      }
      out.summary(summary(d.device(), d.verdicts().size(), valid, slots, evidence));
    }
  }

  /** A device's preliminary verdicts with each reading's receipt hour and device time. */
  private record DeviceResult(RegisteredDevice device, List<Verdict> verdicts, long[] hours, long[] times) {}

  private DeviceEpochSummary summary(RegisteredDevice device, int readings, long valid, Set<Long> slots, EpochEvidence ev) {
    long interval = rules.expectedInterval().toMillis();
    long length = ev.endMs() - ev.startMs();
    long hours = Math.max(1, (length + HOUR_MS - 1) / HOUR_MS);
    long slotsPerHour = Math.max(1, Math.min(HOUR_MS, length) / interval);
    long[] perHour = new long[(int) hours];
    for (long s : slots) {
      long h = s * interval / HOUR_MS;
      if (h < hours) {
        perHour[(int) h]++;
      }
    }
    double sum = 0;
    int worstHour = 0;
    double worst = 2;
    for (int h = 0; h < hours; h++) {
      long hourLength = Math.min(HOUR_MS, length - h * HOUR_MS);
      long expected = Math.max(1, Math.min(slotsPerHour, hourLength / interval));
      double c = Math.min(1.0, (double) perHour[h] / expected);
      sum += c;
      if (c < worst) {
        worst = c;
        worstHour = h;
      }
    }
    double completeness = sum / hours;
    double validFraction = readings == 0 ? 0 : (double) valid / readings;
    double quality = validFraction * completeness;
    String explanation = String.format(Locale.ROOT,
        "%d of %d readings valid (%.1f%%); completeness %.3f (%d of %d %d-s slots with a valid reading; lowest hour %s at %.3f);"
            + " quality = %.3f x %.3f = %.4f",
        valid, readings, 100 * validFraction, completeness, slots.size(), Math.max(1, length / interval), interval / 1000,
        Instant.ofEpochMilli(ev.startMs() + worstHour * HOUR_MS), worst > 1 ? 1.0 : worst, validFraction, completeness, quality);
    return new DeviceEpochSummary(device.deviceId(), WorkKind.SENSOR, readings, valid, completeness, quality, quality, explanation);
  }

  /** The per-device rules (all but the outlier check), one preliminary verdict per reading. */
  List<Verdict> perDevice(RegisteredDevice device, List<Evidence> readings) {
    List<Verdict> out = new ArrayList<>(readings.size());
    Map<Quantity, double[]> lastValid = new EnumMap<>(Quantity.class); // {value, device time}
    Map<Quantity, double[]> runs = new EnumMap<>(Quantity.class); // {value, run start time}
    for (Evidence e : readings) {
      SensorReading r = e.telemetry().getSensor();
      String failure = null;
      String reason = null;
      for (Measurement m : r.getMeasurementsList()) {
        String bad = unitOrRange(m);
        if (bad != null) {
          reason = bad.startsWith("U") ? WorkReason.UNIT_MISMATCH : WorkReason.OUT_OF_RANGE;
          failure = bad.substring(2);
          break;
        }
      }
      if (failure == null && r.hasLocation() && device.hasLocation()) {
        Location l = r.getLocation();
        double d = Geo.distanceM(device.latitude(), device.longitude(), l.getLatitude(), l.getLongitude());
        if (d > rules.maxLocationDistanceM()) {
          reason = WorkReason.LOCATION_MISMATCH;
          failure = String.format(Locale.ROOT, "reading taken at (%.5f, %.5f), %.0f m from the registered location (%.5f, %.5f); limit %.0f m",
              l.getLatitude(), l.getLongitude(), d, device.latitude(), device.longitude(), rules.maxLocationDistanceM());
        }
      }
      if (failure == null) {
        // Runs of identical values are tracked over every in-range reading, valid or not.
        for (Measurement m : r.getMeasurementsList()) {
          QuantityRule rule = rules.rule(m.getQuantity());
          if (rule == null || !rule.stuckCheck()) {
            continue;
          }
          double[] run = runs.get(m.getQuantity());
          if (run == null || run[0] != m.getValue() || e.deviceTime() < run[1]) {
            runs.put(m.getQuantity(), new double[] {m.getValue(), e.deviceTime()});
          } else if (failure == null && e.deviceTime() - run[1] >= rules.stuckAfter().toMillis()) {
            reason = WorkReason.STUCK_SENSOR;
            failure = String.format(Locale.ROOT, "%s has read %s %s for %.1f h (since %s); limit %.1f h", rule.label(),
                value(m.getValue()), rule.symbol(), (e.deviceTime() - run[1]) / 3_600_000.0, Instant.ofEpochMilli((long) run[1]),
                rules.stuckAfter().toMillis() / 3_600_000.0);
          }
        }
      }
      if (failure == null) {
        for (Measurement m : r.getMeasurementsList()) {
          QuantityRule rule = rules.rule(m.getQuantity());
          double[] last = lastValid.get(m.getQuantity());
          if (rule == null || rule.maxJump() <= 0 || last == null) {
            continue;
          }
          long dt = e.deviceTime() - (long) last[1];
          if (dt < 0 || dt > rules.jumpWindow().toMillis()) {
            continue;
          }
          double jump = Math.abs(m.getValue() - last[0]);
          if (jump > rule.maxJump()) {
            reason = WorkReason.JUMP;
            failure = String.format(Locale.ROOT, "%s jumped %s %s in %d s (from %s to %s); limit %s %s within %d s", rule.label(),
                value(jump), rule.symbol(), dt / 1000, value(last[0]), value(m.getValue()), value(rule.maxJump()), rule.symbol(),
                rules.jumpWindow().toSeconds());
            break;
          }
        }
      }
      if (failure != null) {
        out.add(Verdict.invalid(e, reason, failure));
      } else {
        for (Measurement m : r.getMeasurementsList()) {
          lastValid.put(m.getQuantity(), new double[] {m.getValue(), e.deviceTime()});
        }
        out.add(Verdict.valid(e, r.getMeasurementsCount() + " measurements within every limit"));
      }
    }
    return out;
  }

  /** "U:..." for a unit problem, "R:..." for a range problem, null when fine. */
  private String unitOrRange(Measurement m) {
    if (m.getQuantity() == Quantity.QUANTITY_OTHER || m.getQuantity() == Quantity.QUANTITY_UNSPECIFIED) {
      if (m.getQuantity() == Quantity.QUANTITY_UNSPECIFIED || m.getName().isBlank()) {
        return "U:a measurement without a quantity needs QUANTITY_OTHER and a name";
      }
      return null;
    }
    QuantityRule rule = rules.rule(m.getQuantity());
    if (rule == null) {
      return null;
    }
    if (m.getUnit() != rule.unit()) {
      return "U:" + rule.label() + " reported in " + m.getUnit() + "; it must be " + rule.unit();
    }
    double v = m.getValue();
    if (!(v >= rule.min() && v <= rule.max())) {
      return "R:" + String.format(Locale.ROOT, "%s %s %s is outside the physical range [%s, %s] %s", rule.label(), value(v),
          rule.symbol(), value(rule.min()), value(rule.max()), rule.symbol());
    }
    return null;
  }

  private static long hourOf(Evidence e, long epochStart) {
    return (e.receivedAt() - epochStart) / HOUR_MS;
  }

  private Map<Long, Map<Quantity, Double>> hourlyMedians(List<Evidence> readings, List<Verdict> verdicts, long epochStart) {
    Map<Long, Map<Quantity, List<Double>>> values = new TreeMap<>();
    for (int i = 0; i < readings.size(); i++) {
      if (!verdicts.get(i).isValid()) {
        continue;
      }
      Evidence e = readings.get(i);
      for (Measurement m : e.telemetry().getSensor().getMeasurementsList()) {
        QuantityRule rule = rules.rule(m.getQuantity());
        if (rule != null && rule.maxDeviation() > 0) {
          values.computeIfAbsent(hourOf(e, epochStart), h -> new EnumMap<>(Quantity.class))
              .computeIfAbsent(m.getQuantity(), q -> new ArrayList<>()).add(m.getValue());
        }
      }
    }
    Map<Long, Map<Quantity, Double>> out = new HashMap<>();
    values.forEach((h, byQ) -> {
      Map<Quantity, Double> m = new EnumMap<>(Quantity.class);
      byQ.forEach((q, l) -> m.put(q, median(l)));
      out.put(h, m);
    });
    return out;
  }

  /** Per hour: the first outlying quantity's explanation. */
  private Map<Long, Map<Quantity, String>> outliers(RegisteredDevice device, Map<String, Map<Long, Map<Quantity, Double>>> medians,
      Neighbours neighbours) {
    Map<Long, Map<Quantity, String>> out = new HashMap<>();
    Map<Long, Map<Quantity, Double>> own = medians.getOrDefault(device.deviceId(), Map.of());
    if (own.isEmpty() || !device.hasLocation()) {
      return out;
    }
    List<RegisteredDevice> near = neighbours.of(device);
    for (Map.Entry<Long, Map<Quantity, Double>> hour : new TreeMap<>(own).entrySet()) {
      for (Map.Entry<Quantity, Double> q : hour.getValue().entrySet()) {
        QuantityRule rule = rules.rule(q.getKey());
        List<Double> others = new ArrayList<>();
        for (RegisteredDevice n : near) {
          Double v = medians.getOrDefault(n.deviceId(), Map.of()).getOrDefault(hour.getKey(), Map.of()).get(q.getKey());
          if (v != null) {
            others.add(v);
          }
        }
        if (others.size() < rules.minNeighbours()) {
          continue;
        }
        double m = median(others);
        double dev = Math.abs(q.getValue() - m);
        if (dev > rule.maxDeviation()) {
          out.computeIfAbsent(hour.getKey(), h -> new EnumMap<>(Quantity.class)).put(q.getKey(), String.format(Locale.ROOT,
              "hourly median %s %s %s is %s %s from the median %s %s of %d devices within %.1f km; limit %s %s", rule.label(),
              value(q.getValue()), rule.symbol(), value(dev), rule.symbol(), value(m), rule.symbol(), others.size(),
              rules.neighbourRadiusM() / 1000, value(rule.maxDeviation()), rule.symbol()));
        }
      }
    }
    return out;
  }

  static double median(List<Double> values) {
    double[] a = new double[values.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = values.get(i);
    }
    Arrays.sort(a);
    int n = a.length;
    return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  private static String value(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  /** Devices within a radius of each other, found through latitude bands instead of all pairs. */
  static final class Neighbours {
    private final double radiusM;
    private final double bandDeg;
    private final Map<Long, List<RegisteredDevice>> bands = new HashMap<>();

    Neighbours(List<RegisteredDevice> devices, double radiusM) {
      this.radiusM = radiusM;
      this.bandDeg = Math.max(1e-6, radiusM / 111_000.0);
      for (RegisteredDevice d : devices) {
        if (d.hasLocation()) {
          bands.computeIfAbsent(band(d.latitude()), b -> new ArrayList<>()).add(d);
        }
      }
    }

    private long band(double lat) {
      return (long) Math.floor(lat / bandDeg);
    }

    /** The other devices within the radius, ordered by device id. */
    List<RegisteredDevice> of(RegisteredDevice d) {
      List<RegisteredDevice> out = new ArrayList<>();
      long b = band(d.latitude());
      for (long i = b - 1; i <= b + 1; i++) {
        for (RegisteredDevice o : bands.getOrDefault(i, List.of())) {
          if (!o.deviceId().equals(d.deviceId())
              && Geo.distanceM(d.latitude(), d.longitude(), o.latitude(), o.longitude()) <= radiusM) {
            out.add(o);
          }
        }
      }
      out.sort(java.util.Comparator.comparing(RegisteredDevice::deviceId));
      return out;
    }
  }
}
