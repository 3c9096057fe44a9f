package dev.popw.agent.sensor;

import dev.popw.agent.source.PeriodicSource;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Telemetry;
import dev.popw.proto.v1.Unit;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/** Temperature, humidity and pressure from a BME280. The bus is opened lazily and reopened after errors. */
public final class Bme280Source extends PeriodicSource {
  /** Opens the I2C device; a seam for tests. */
  @FunctionalInterface
  public interface Opener {
    I2cDevice open() throws IOException;
  }

  private final Opener opener;
  private I2cDevice device;
  private Bme280 sensor;

  public Bme280Source(Opener opener, Duration interval) {
    super("bme280", interval);
    this.opener = opener;
  }

  /** A BME280 on a Raspberry Pi I2C bus (usually bus 1, address 0x76 or 0x77). */
  public static Bme280Source onPi(int bus, int address, Duration interval) {
    return new Bme280Source(() -> Pi4jI2c.open(bus, address), interval);
  }

  @Override
  protected synchronized Optional<Telemetry.Builder> sample() throws IOException {
    try {
      if (sensor == null) {
        device = opener.open();
        sensor = Bme280.open(device);
      }
      Bme280.Reading r = sensor.read();
      return Optional.of(Telemetry.newBuilder().setSensor(SensorReading.newBuilder().setSensorModel("BME280")
          .addMeasurements(m(Quantity.TEMPERATURE, r.temperatureC(), Unit.CELSIUS))
          .addMeasurements(m(Quantity.RELATIVE_HUMIDITY, r.humidityPercent(), Unit.PERCENT))
          .addMeasurements(m(Quantity.PRESSURE, r.pressurePa(), Unit.PASCAL))));
    } catch (IOException e) {
      closeDevice(); // reopen next time: the sensor may have been replugged
      throw e;
    }
  }

  private static Measurement m(Quantity q, double v, Unit u) {
    return Measurement.newBuilder().setQuantity(q).setValue(v).setUnit(u).build();
  }

  private void closeDevice() {
    if (device != null) {
      device.close();
    }
    device = null;
    sensor = null;
  }

  @Override
  public synchronized void close() {
    super.close();
    closeDevice();
  }
}
