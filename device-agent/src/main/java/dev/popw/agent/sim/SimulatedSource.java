package dev.popw.agent.sim;

import com.google.protobuf.ByteString;
import dev.popw.agent.coverage.Beacon;
import dev.popw.agent.source.PeriodicSource;
import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import dev.popw.proto.v1.Unit;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * Plausible made-up telemetry of one kind, for demos and tests. Every envelope it produces carries
 * {@code simulated = true} inside the signed telemetry, so a production coordinator can refuse it.
 */
public final class SimulatedSource extends PeriodicSource {
  /** What to simulate. */
  public enum Kind {
    SENSOR, GPU, COVERAGE
  }

  private final Kind kind;
  private final Clock clock;
  private final Random random = new Random();
  private long tick;

  public SimulatedSource(Kind kind, Duration interval, Clock clock) {
    super("simulated-" + kind.name().toLowerCase(java.util.Locale.ROOT), interval);
    this.kind = kind;
    this.clock = clock;
  }

  @Override
  protected Optional<Telemetry.Builder> sample() {
    tick++;
    Telemetry.Builder t = Telemetry.newBuilder().setSimulated(true);
    switch (kind) {
      case SENSOR -> {
        double hour = (clock.millis() / 3_600_000.0) % 24;
        t.setSensor(SensorReading.newBuilder().setSensorModel("simulated BME280")
            .addMeasurements(m(Quantity.TEMPERATURE, 12 + 6 * Math.sin((hour - 9) / 24 * 2 * Math.PI) + random.nextGaussian() * 0.2, Unit.CELSIUS))
            .addMeasurements(m(Quantity.RELATIVE_HUMIDITY, 60 + random.nextGaussian() * 3, Unit.PERCENT))
            .addMeasurements(m(Quantity.PRESSURE, 101_325 + random.nextGaussian() * 150, Unit.PASCAL)));
      }
      case GPU -> t.setGpu(GpuReport.newBuilder().addGpus(Gpu.newBuilder().setUuid("GPU-00000000-0000-0000-0000-5151aaaa0001")
          .setModel("Simulated RTX 4090").setMemoryTotalMib(24_564).setMemoryUsedMib(2_000 + random.nextInt(18_000))
          .setUtilizationPercent(random.nextInt(101)).setTemperatureC(40 + random.nextInt(40)).setPowerW(80 + random.nextInt(300))
          .setDriverVersion("550.54.14")));
      case COVERAGE -> {
        byte[] id = new byte[16];
        random.nextBytes(id);
        t.setCoverage(CoverageReport.newBuilder().setRole(CoverageReport.Role.WITNESS).setBeaconId(ByteString.copyFrom(id))
            .setBeaconerId(ByteString.copyFrom(Beacon.tagOf(Long.toString(tick % 7).getBytes())))
            .setRssiDbm(-120 + random.nextInt(80)).setSnrDb((float) (random.nextGaussian() * 5))
            .setFrequencyHz(868_100_000L + 200_000L * random.nextInt(3)).setDataRate("SF9BW125")
            .setReceivedAtMs(clock.millis()));
      }
      default -> throw new IllegalStateException();
    }
    return Optional.of(t);
  }

  private static Measurement m(Quantity q, double v, Unit u) {
    return Measurement.newBuilder().setQuantity(q).setValue(v).setUnit(u).build();
  }
}
