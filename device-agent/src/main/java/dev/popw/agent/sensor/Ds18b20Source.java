package dev.popw.agent.sensor;

import dev.popw.agent.source.PeriodicSource;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import dev.popw.proto.v1.Unit;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every DS18B20 on the 1-Wire bus, one measurement each (named by sensor id). A sensor that fails
 * (CRC, power-on value, unreadable) is left out of the reading, which the others still make; the
 * source's status then says {@code degraded} and names it, and the log says so once.
 */
public final class Ds18b20Source extends PeriodicSource {
  private final Path devicesDir;

  public Ds18b20Source(Path devicesDir, Duration interval) {
    super("ds18b20", interval);
    this.devicesDir = devicesDir;
  }

  @Override
  protected Optional<Telemetry.Builder> sample() throws IOException {
    List<Path> sensors = Ds18b20.sensors(devicesDir);
    if (sensors.isEmpty()) {
      throw new IOException("no DS18B20 under " + devicesDir);
    }
    SensorReading.Builder r = SensorReading.newBuilder().setSensorModel("DS18B20");
    List<String> errors = new ArrayList<>();
    for (Path s : sensors) {
      try {
        Ds18b20.Reading reading = Ds18b20.read(s);
        r.addMeasurements(Measurement.newBuilder().setQuantity(Quantity.TEMPERATURE).setValue(reading.temperatureC())
            .setUnit(Unit.CELSIUS).setName(reading.sensorId()));
      } catch (IOException e) {
        errors.add(e.getMessage());
      }
    }
    if (r.getMeasurementsCount() == 0) {
      throw new IOException(String.join("; ", errors));
    }
    if (!errors.isEmpty()) {
      degraded(errors.size() + " of " + sensors.size() + " sensors failed: " + String.join("; ", errors));
    }
    return Optional.of(Telemetry.newBuilder().setSensor(r));
  }
}
