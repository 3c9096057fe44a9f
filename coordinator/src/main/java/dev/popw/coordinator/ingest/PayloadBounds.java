package dev.popw.coordinator.ingest;

import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import java.util.Optional;

/**
 * What makes a payload unsafe to store or to show: no content, numbers that are not finite (NaN,
 * infinities break sums, medians and JSON), coordinates that are no place on Earth. Whether the
 * values are physically plausible (no 150 °C weather, no +10 dBm received signal) is work
 * validation, decided per epoch by the validators ({@code dev.popw.coordinator.validation}):
 * such an envelope is stored as evidence and gets an INVALID verdict with its numbers.
 */
final class PayloadBounds {
  private PayloadBounds() {}

  static Optional<String> check(Telemetry t) {
    switch (t.getPayloadCase()) {
      case SENSOR:
        return sensor(t.getSensor());
      case COVERAGE:
        return coverage(t.getCoverage());
      case GPU:
        return gpu(t.getGpu());
      default:
        return Optional.empty();
    }
  }

  private static Optional<String> sensor(SensorReading r) {
    if (r.getMeasurementsCount() == 0) {
      return Optional.of("sensor reading without measurements");
    }
    for (Measurement m : r.getMeasurementsList()) {
      if (!Double.isFinite(m.getValue())) {
        return Optional.of(m.getQuantity() + " is not a finite number");
      }
    }
    return r.hasLocation() ? location(r.getLocation()) : Optional.empty();
  }

  private static Optional<String> coverage(CoverageReport c) {
    if (c.getRole() == CoverageReport.Role.ROLE_UNSPECIFIED) {
      return Optional.of("coverage report without a role");
    }
    if (!Float.isFinite(c.getRssiDbm()) || !Float.isFinite(c.getSnrDb()) || !Float.isFinite(c.getTxPowerDbm())) {
      return Optional.of("coverage report with a value that is not a finite number");
    }
    return c.hasLocation() ? location(c.getLocation()) : Optional.empty();
  }

  private static Optional<String> gpu(GpuReport r) {
    if (r.getGpusCount() == 0 && !r.hasProof()) {
      return Optional.of("GPU report without GPUs or a proof");
    }
    for (Gpu g : r.getGpusList()) {
      if (!Float.isFinite(g.getUtilizationPercent()) || !Float.isFinite(g.getTemperatureC()) || !Float.isFinite(g.getPowerW())) {
        return Optional.of("GPU " + g.getUuid() + " has a value that is not a finite number");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> location(Location l) {
    if (!Double.isFinite(l.getLatitude()) || !Double.isFinite(l.getLongitude())) {
      return Optional.of("location is not finite");
    }
    return range("latitude", l.getLatitude(), -90, 90).or(() -> range("longitude", l.getLongitude(), -180, 180));
  }

  private static Optional<String> range(String what, double v, double min, double max) {
    return v >= min && v <= max ? Optional.empty() : Optional.of(what + " " + v + " outside [" + min + ", " + max + "]");
  }
}
