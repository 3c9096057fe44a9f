package dev.popw.coordinator.validation;

import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The default coverage and GPU validators until their proof checks exist: a report is VALID when
 * every value is one a radio or a GPU can produce (received power at most 0 dBm, utilization
 * 0–100 %, ...), IMPLAUSIBLE otherwise with the value and its bounds. These bounds used to be
 * ingest checks (OUT_OF_BOUNDS); they are work validation, so the envelope is kept as evidence.
 * Reward units: one per valid report; completeness and quality are the valid fraction.
 */
public final class BoundsValidator implements WorkValidator {
  private final WorkKind kind;

  private BoundsValidator(WorkKind kind) {
    this.kind = kind;
  }

  public static BoundsValidator coverage() {
    return new BoundsValidator(WorkKind.COVERAGE);
  }

  public static BoundsValidator gpu() {
    return new BoundsValidator(WorkKind.GPU);
  }

  @Override
  public WorkKind kind() {
    return kind;
  }

  @Override
  public String parameters() {
    return kind == WorkKind.COVERAGE
        ? "coverage-bounds/v1;frequency_hz=[1,1e10];rssi_dbm=[-150,0];snr_db=[-40,40];tx_power_dbm=[-20,40]"
        : "gpu-bounds/v1;utilization_percent=[0,100];temperature_c=[-20,130];power_w=[0,2000];memory_used<=memory_total";
  }

  @Override
  public void validate(EpochEvidence evidence, VerdictSink out) {
    evidence.forEachDevice(kind, (device, list) -> {
      long valid = 0;
      for (Evidence e : list) {
        String bad = kind == WorkKind.COVERAGE ? coverage(e.telemetry().getCoverage()) : gpu(e.telemetry().getGpu());
        if (bad == null) {
          valid++;
          out.verdict(Verdict.valid(e, kind == WorkKind.COVERAGE ? "radio values within physical bounds"
              : e.telemetry().getGpu().getGpusCount() + " GPUs, values within physical bounds"));
        } else {
          out.verdict(Verdict.invalid(e, WorkReason.IMPLAUSIBLE, bad));
        }
      }
      double fraction = list.isEmpty() ? 0 : (double) valid / list.size();
      out.summary(new DeviceEpochSummary(device.deviceId(), kind, list.size(), valid, fraction, fraction, valid,
          String.format(Locale.ROOT, "%d of %d reports within physical bounds; %d units (one per valid report)", valid, list.size(), valid)));
    });
  }

  static String coverage(CoverageReport c) {
    List<String> bad = new ArrayList<>();
    range(bad, "frequency", c.getFrequencyHz(), 1, 10_000_000_000L, "Hz");
    if (c.getRole() == CoverageReport.Role.WITNESS) {
      range(bad, "received power", c.getRssiDbm(), -150, 0, "dBm");
      range(bad, "SNR", c.getSnrDb(), -40, 40, "dB");
    } else if (c.getRole() == CoverageReport.Role.BEACON) {
      range(bad, "transmit power", c.getTxPowerDbm(), -20, 40, "dBm");
    }
    return bad.isEmpty() ? null : bad.get(0);
  }

  /** Null when every GPU of the report is within physical bounds; else the first value outside them. */
  public static String gpu(GpuReport r) {
    List<String> bad = new ArrayList<>();
    for (Gpu g : r.getGpusList()) {
      range(bad, "GPU " + g.getUuid() + " utilization", g.getUtilizationPercent(), 0, 100, "%");
      range(bad, "GPU " + g.getUuid() + " temperature", g.getTemperatureC(), -20, 130, "°C");
      range(bad, "GPU " + g.getUuid() + " power", g.getPowerW(), 0, 2_000, "W");
      if (Long.compareUnsigned(g.getMemoryUsedMib(), g.getMemoryTotalMib()) > 0) {
        bad.add("GPU " + g.getUuid() + " uses " + Long.toUnsignedString(g.getMemoryUsedMib()) + " MiB of "
            + Long.toUnsignedString(g.getMemoryTotalMib()) + " MiB");
      }
    }
    return bad.isEmpty() ? null : bad.get(0);
  }

  private static void range(List<String> bad, String what, double v, double min, double max, String unit) {
    if (!(v >= min && v <= max)) {
      bad.add(String.format(Locale.ROOT, "%s %s %s is outside [%s, %s] %s", what, fmt(v), unit, fmt(min), fmt(max), unit));
    }
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%.2f", d);
  }
}
