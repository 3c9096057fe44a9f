package dev.popw.examples;

import dev.popw.agent.sensor.Bme280;
import dev.popw.agent.sensor.Pi4jI2c;
import dev.popw.client.DeviceClient;
import dev.popw.identity.DeviceSigners;
import dev.popw.proto.v1.Measurement;
import dev.popw.proto.v1.Quantity;
import dev.popw.proto.v1.SensorReading;
import dev.popw.proto.v1.Unit;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Path;

/** A weather station: BME280 on I2C bus 1 → signed telemetry → MQTT, once a minute. */
public final class WeatherStation {
  public static void main(String[] args) throws Exception {
    DeviceClient client = DeviceClient.builder()
        .signer(DeviceSigners.open(args.length > 0 ? args[0] : "/etc/popw/device.key"))
        .transport(MqttTransport.builder().serverUri(args.length > 1 ? args[1] : "tcp://127.0.0.1:1883").build())
        .stateDirectory(Path.of(args.length > 2 ? args[2] : "/var/lib/popw"))   // durable outbox + sequence
        .networkId("popw-devnet")
        // the coordinator key (64 hex digits) that signs receipts: POST /v1/devices answers with it
        .coordinatorKey(args.length > 3 ? args[3] : java.util.Objects.requireNonNullElse(System.getenv("POPW_COORDINATOR_KEY"), ""))
        .build();
    Bme280 sensor = Bme280.open(Pi4jI2c.open(1, 0x76));
    while (true) {
      client.submit(reading(sensor.read()));   // on disk at once; delivered and retried in the background
      Thread.sleep(60_000);
    }
  }

  /** The BME280's three values as a signed-telemetry payload. */
  public static SensorReading reading(Bme280.Reading r) {
    return SensorReading.newBuilder().setSensorModel("BME280")
        .addMeasurements(m(Quantity.TEMPERATURE, r.temperatureC(), Unit.CELSIUS))
        .addMeasurements(m(Quantity.RELATIVE_HUMIDITY, r.humidityPercent(), Unit.PERCENT))
        .addMeasurements(m(Quantity.PRESSURE, r.pressurePa(), Unit.PASCAL))
        .build();
  }

  private static Measurement m(Quantity q, double value, Unit unit) {
    return Measurement.newBuilder().setQuantity(q).setValue(value).setUnit(unit).build();
  }
}
