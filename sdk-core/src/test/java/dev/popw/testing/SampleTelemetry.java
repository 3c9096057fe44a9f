package dev.popw.testing;

import dev.popw.proto.v1.CoverageReport;
import dev.popw.proto.v1.Gpu;
import dev.popw.proto.v1.GpuReport;
import dev.popw.proto.v1.Location;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import com.google.protobuf.ByteString;

/** Representative payloads of each kind. */
public final class SampleTelemetry {
  private SampleTelemetry() {}

  public static SensorReading weather() {
    return SensorReading.newBuilder()
        .setSensorModel("BME280")
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(21.5).setUnit(Unit.CELSIUS))
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.RELATIVE_HUMIDITY).setValue(48.25).setUnit(Unit.PERCENT))
        .addMeasurements(Measurement.newBuilder().setQuantity(Quantity.PRESSURE).setValue(101325).setUnit(Unit.PASCAL))
        .setLocation(Location.newBuilder().setLatitude(52.5200).setLongitude(13.4050).setH3Cell(0x8a1f1d4a8b67fffL))
        .build();
  }

  public static CoverageReport witness() {
    return CoverageReport.newBuilder()
        .setRole(CoverageReport.Role.WITNESS)
        .setBeaconId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
        .setBeaconEntropy(ByteString.copyFrom(new byte[32]))
        .setFrequencyHz(868_100_000L)
        .setRssiDbm(-97.0f)
        .setSnrDb(7.25f)
        .setDataRate("SF9BW125")
        .setReceivedAtMs(1_764_000_000_123L)
        .setConcentratorTmst(123_456_789)
        .build();
  }

  public static GpuReport gpus(int count) {
    GpuReport.Builder b = GpuReport.newBuilder();
    for (int i = 0; i < count; i++) {
      b.addGpus(Gpu.newBuilder()
          .setUuid("GPU-00000000-0000-0000-0000-00000000000" + i)
          .setModel("NVIDIA H100 80GB HBM3")
          .setMemoryTotalMib(81559)
          .setMemoryUsedMib(1024 + i)
          .setUtilizationPercent(87)
          .setTemperatureC(61)
          .setPowerW(412.5f)
          .setDriverVersion("550.54.15"));
    }
    return b.build();
  }
}
