package dev.popw.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.popw.agent.sensor.Bme280;
import dev.popw.agent.sensor.I2cDevice;
import dev.popw.client.DeviceClient;
import dev.popw.identity.KeyType;
import dev.popw.identity.SoftwareSigner;
import dev.popw.proto.v1.SensorReading;
import dev.popw.testing.Mosquitto;
import dev.popw.testing.MqttReceiptResponder;
import dev.popw.testing.ReceivedEnvelope;
import dev.popw.transport.mqtt.MqttTransport;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke test: the example's wiring with a BME280 register map instead of the bus, against a real Mosquitto. */
class WeatherStationTest {
  @TempDir Path tmp;

  /** Calibration and raw values of the datasheet's worked example, laid out as the chip's registers. */
  static I2cDevice exampleChip() {
    byte[] regs = new byte[256];
    regs[0xD0] = 0x60;
    int[] cal = {27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000};
    for (int i = 0; i < cal.length; i++) {
      regs[0x88 + 2 * i] = (byte) cal[i];
      regs[0x89 + 2 * i] = (byte) (cal[i] >> 8);
    }
    regs[0xA1] = 75;
    regs[0xE1] = (byte) 362;
    regs[0xE2] = (byte) (362 >> 8);
    regs[0xE4] = (byte) (313 >> 4);
    regs[0xE5] = (byte) ((313 & 0x0F) | (50 & 0x0F) << 4);
    regs[0xE6] = (byte) (50 >> 4);
    regs[0xE7] = 30;
    byte[] data = {(byte) 0x65, (byte) 0x5A, (byte) 0xC0, (byte) 0x7E, (byte) 0xED, 0x00, 0x75, 0x30}; // adc_P 415148, adc_T 519888, adc_H 30000
    System.arraycopy(data, 0, regs, 0xF7, data.length);
    return new I2cDevice() {
      @Override
      public void readRegisters(int register, byte[] buffer) {
        System.arraycopy(regs, register, buffer, 0, buffer.length);
      }

      @Override
      public void writeRegister(int register, int value) {}
    };
  }

  @Test
  void a_reading_arrives_signed_over_mqtt() throws Exception {
    try (Mosquitto broker = Mosquitto.start(tmp.resolve("mosquitto"));
        MqttReceiptResponder coordinator = MqttReceiptResponder.connect(broker.tcpUri());
        SoftwareSigner key = SoftwareSigner.generate(KeyType.ED25519, new SecureRandom());
        DeviceClient client = DeviceClient.builder().receiptTrust(dev.popw.testing.TestKeys.coordinatorTrust()).signer(key).transport(MqttTransport.builder().serverUri(broker.tcpUri()).build())
            .stateDirectory(tmp.resolve("state")).networkId("popw-devnet").build()) {
      Bme280 sensor = Bme280.open(exampleChip());
      client.submit(WeatherStation.reading(sensor.read())).join();
      assertTrue(client.drain(Duration.ofSeconds(20)), "acknowledged");
      ReceivedEnvelope got = coordinator.received().get(0);
      assertTrue(got.result().isOk(), got.result().reason().toString());
      SensorReading r = got.result().telemetry().orElseThrow().getSensor();
      assertEquals("BME280", r.getSensorModel());
      assertEquals(25.08, r.getMeasurements(0).getValue(), 1e-9);
      assertEquals(100653.27, r.getMeasurements(2).getValue(), 0.05);
    }
  }
}
