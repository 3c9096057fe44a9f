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
 * Plausibility bounds on payload values: physical limits (no 150 °C weather, no +10 dBm received
 * signal) and protocol limits (utilization 0–100 %). Returns the first violation, if any. Deeper
 * validation (coverage geometry, GPU challenges) comes with the proof-validation work.
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
      double v = m.getValue();
      if (!Double.isFinite(v)) {
        return Optional.of(m.getQuantity() + " is not a finite number");
      }
      Optional<String> bad = switch (m.getQuantity()) {
        case TEMPERATURE -> range("temperature (°C)", v, -90, 90);
        case RELATIVE_HUMIDITY -> range("relative humidity (%)", v, 0, 100);
        case PRESSURE -> range("pressure (Pa)", v, 30_000, 110_000);
        case PM1, PM2_5, PM10 -> range(m.getQuantity() + " (µg/m³)", v, 0, 10_000);
        case CO2 -> range("CO2 (ppm)", v, 0, 100_000);
        case WIND_DIRECTION -> range("wind direction (°)", v, 0, 360);
        case WIND_SPEED -> range("wind speed (m/s)", v, 0, 120);
        default -> Optional.empty();
      };
      if (bad.isPresent()) {
        return bad;
      }
    }
    return r.hasLocation() ? location(r.getLocation()) : Optional.empty();
  }

  private static Optional<String> coverage(CoverageReport c) {
    if (c.getRole() == CoverageReport.Role.ROLE_UNSPECIFIED) {
      return Optional.of("coverage report without a role");
    }
    Optional<String> bad = range("frequency (Hz)", c.getFrequencyHz(), 1, 10_000_000_000L);
    if (bad.isEmpty() && c.getRole() == CoverageReport.Role.WITNESS) {
      bad = range("RSSI (dBm)", c.getRssiDbm(), -150, 0).or(() -> range("SNR (dB)", c.getSnrDb(), -40, 40));
    }
    if (bad.isEmpty() && c.getRole() == CoverageReport.Role.BEACON) {
      bad = range("TX power (dBm)", c.getTxPowerDbm(), -20, 40);
    }
    return bad.or(() -> c.hasLocation() ? location(c.getLocation()) : Optional.empty());
  }

  private static Optional<String> gpu(GpuReport r) {
    if (r.getGpusCount() == 0) {
      return Optional.of("GPU report without GPUs");
    }
    for (Gpu g : r.getGpusList()) {
      Optional<String> bad = range("GPU utilization (%)", g.getUtilizationPercent(), 0, 100)
          .or(() -> range("GPU temperature (°C)", g.getTemperatureC(), -20, 130))
          .or(() -> range("GPU power (W)", g.getPowerW(), 0, 2_000));
      if (bad.isEmpty() && g.getMemoryUsedMib() > g.getMemoryTotalMib()) {
        bad = Optional.of("GPU memory used exceeds total");
      }
      if (bad.isPresent()) {
        return bad;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> location(Location l) {
    return range("latitude", l.getLatitude(), -90, 90).or(() -> range("longitude", l.getLongitude(), -180, 180));
  }

  private static Optional<String> range(String what, double v, double min, double max) {
    return v >= min && v <= max ? Optional.empty() : Optional.of(what + " " + v + " outside [" + min + ", " + max + "]");
  }
}
