package dev.popw.agent.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The driver's fixed-point compensation against the datasheet's own example and against the
 * datasheet's double-precision formulas (BST-BME280-DS002 section 8.1), written out independently
 * here.
 */
class Bme280Test {
  /** The BMP280 datasheet's worked example (section 3.12) plus typical BME280 humidity words. */
  static final Bme280.Calibration CAL = new Bme280.Calibration(27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500,
      -14600, 6000, 75, 362, 0, 313, 50, 30);

  @Test
  void reproduces_the_datasheet_worked_example() throws IOException {
    FakeI2c chip = new FakeI2c();
    chip.calibration(CAL);
    chip.adc(519888, 415148, 30000);
    chip.busyReads = 3;
    Bme280 sensor = Bme280.open(chip);
    assertEquals(CAL, sensor.calibration(), "calibration words decode from the register layout");
    Bme280.Reading r = sensor.read();
    assertEquals(25.08, r.temperatureC(), 1e-9);
    // The example table gives 100653.27 Pa (computed with an untruncated t_fine); the datasheet's
    // code, fixed-point (here) or double (below), truncates t_fine and lands 0.01-0.02 Pa lower.
    assertEquals(100653.27, r.pressurePa(), 0.05);
    assertEquals(100653.27, doublePrecision(CAL, 519888, 415148, 30000)[1], 0.05, "the independent formulas agree too");
    // forced mode with 1x oversampling of all three, humidity control written first
    assertEquals(Bme280.REG_CTRL_HUM, chip.writes.get(0)[0]);
    assertEquals(0x01, chip.writes.get(0)[1]);
    assertEquals(Bme280.REG_CTRL_MEAS, chip.writes.get(1)[0]);
    assertEquals(0x25, chip.writes.get(1)[1]);
    assertEquals(0, chip.busyReads, "waited while the chip said it was measuring");
  }

  @Test
  void fixed_point_results_match_the_double_precision_formulas() {
    Random rnd = new Random(280);
    for (int i = 0; i < 2000; i++) {
      int adcT = 400_000 + rnd.nextInt(250_000);
      int adcP = 250_000 + rnd.nextInt(250_000);
      int adcH = 15_000 + rnd.nextInt(35_000);
      Bme280.Reading fixed = Bme280.compensate(CAL, adcT, adcP, adcH);
      double[] d = doublePrecision(CAL, adcT, adcP, adcH);
      assertEquals(d[0], fixed.temperatureC(), 0.011, "temperature for adc_T " + adcT);
      assertEquals(d[1], fixed.pressurePa(), 1.0, "pressure for adc_P " + adcP);
      assertEquals(d[2], fixed.humidityPercent(), 0.05, "humidity for adc_H " + adcH);
      assertTrue(fixed.humidityPercent() >= 0 && fixed.humidityPercent() <= 100);
    }
  }

  @Test
  void a_chip_that_is_not_a_bme280_is_named() {
    FakeI2c chip = new FakeI2c();
    chip.registers[Bme280.REG_CHIP_ID] = 0x58;
    IOException e = assertThrows(IOException.class, () -> Bme280.open(chip));
    assertTrue(e.getMessage().contains("BMP280"), e.getMessage());
  }

  @Test
  void the_source_reports_bus_errors_as_status_and_recovers() {
    FakeI2c chip = new FakeI2c();
    chip.calibration(CAL);
    chip.adc(519888, 415148, 30000);
    chip.failing = true;
    java.util.List<dev.popw.proto.v1.Telemetry.Builder> out = new java.util.ArrayList<>();
    Bme280Source src = new Bme280Source(() -> chip, java.time.Duration.ofSeconds(60));
    src.tick(out::add);
    assertTrue(out.isEmpty());
    assertTrue(src.status().contains("Remote I/O error"), src.status());
    chip.failing = false;
    src.tick(out::add);
    assertEquals(1, out.size());
    assertEquals(3, out.get(0).getSensor().getMeasurementsCount());
    assertTrue(src.status().startsWith("ok"), src.status());
    assertEquals(false, out.get(0).getSimulated(), "real hardware is not marked simulated");
  }

  /** Datasheet section 8.1, double precision. Returns {°C, Pa, %RH}. */
  static double[] doublePrecision(Bme280.Calibration c, int adcT, int adcP, int adcH) {
    double var1 = (adcT / 16384.0 - c.t1() / 1024.0) * c.t2();
    double var2 = ((adcT / 131072.0 - c.t1() / 8192.0) * (adcT / 131072.0 - c.t1() / 8192.0)) * c.t3();
    double tFine = (int) (var1 + var2);
    double t = (var1 + var2) / 5120.0;

    var1 = tFine / 2.0 - 64000.0;
    var2 = var1 * var1 * c.p6() / 32768.0;
    var2 = var2 + var1 * c.p5() * 2.0;
    var2 = var2 / 4.0 + c.p4() * 65536.0;
    var1 = (c.p3() * var1 * var1 / 524288.0 + c.p2() * var1) / 524288.0;
    var1 = (1.0 + var1 / 32768.0) * c.p1();
    double p = 1048576.0 - adcP;
    p = (p - var2 / 4096.0) * 6250.0 / var1;
    var1 = c.p9() * p * p / 2147483648.0;
    var2 = p * c.p8() / 32768.0;
    p = p + (var1 + var2 + c.p7()) / 16.0;

    double h = tFine - 76800.0;
    h = (adcH - (c.h4() * 64.0 + c.h5() / 16384.0 * h))
        * (c.h2() / 65536.0 * (1.0 + c.h6() / 67108864.0 * h * (1.0 + c.h3() / 67108864.0 * h)));
    h = h * (1.0 - c.h1() * h / 524288.0);
    h = Math.max(0, Math.min(100, h));
    return new double[] {t, p, h};
  }

  /**
   * A bus error as Pi4J reports it ("Failed to execute action for device 118 on bus 1", the errno
   * text only in its cause): the message names the chip in hex and keeps the cause.
   */
  @Test
  void pi4j_bus_errors_name_the_address_in_hex_and_keep_the_cause() {
    com.pi4j.io.i2c.I2C failing = (com.pi4j.io.i2c.I2C) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {com.pi4j.io.i2c.I2C.class}, (proxy, method, args) -> {
          if (method.getName().startsWith("readRegister") || method.getName().startsWith("writeRegister")) {
            throw new com.pi4j.exception.Pi4JException("Failed to execute action for device 118 on bus 1",
                new IOException("Remote I/O error"));
          }
          return null;
        });
    Pi4jI2c device = new Pi4jI2c(null, failing, 1, 0x76);
    IOException e = assertThrows(IOException.class, () -> Bme280.open(device));
    assertEquals("I2C read of register 0xd0 from 0x76 on I2C bus 1 failed: Remote I/O error", e.getMessage());
    IOException w = assertThrows(IOException.class, () -> device.writeRegister(Bme280.REG_CTRL_MEAS, 0x25));
    assertEquals("I2C write of register 0xf4 at 0x76 on I2C bus 1 failed: Remote I/O error", w.getMessage());

    Bme280Source src = new Bme280Source(() -> device, java.time.Duration.ofSeconds(60));
    src.tick(t -> { });
    assertTrue(src.status().contains("0x76") && src.status().contains("Remote I/O error") && !src.status().contains("118"), src.status());
  }

  @Test
  void a_wrong_chip_is_named_with_its_address() {
    FakeI2c chip = new FakeI2c();
    chip.registers[Bme280.REG_CHIP_ID] = 0x58;
    com.pi4j.io.i2c.I2C wrongChip = (com.pi4j.io.i2c.I2C) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {com.pi4j.io.i2c.I2C.class}, (proxy, method, args) -> {
          if (method.getName().equals("readRegister") && args.length == 4) {
            chip.readRegisters((Integer) args[0], (byte[]) args[1]);
            return ((byte[]) args[1]).length;
          }
          return null;
        });
    IOException e = assertThrows(IOException.class, () -> Bme280.open(new Pi4jI2c(null, wrongChip, 1, 0x77)));
    assertEquals("no BME280 at 0x77 on I2C bus 1: chip id is 0x58, expected 0x60 (0x58 is a BMP280, which has no humidity sensor)",
        e.getMessage());
  }

  @Test
  void the_causes_of_a_failure_are_kept_without_pi4js_decimal_restatement() {
    assertEquals("Permission denied", Pi4jI2c.causes(new RuntimeException(new java.io.FileNotFoundException("Permission denied"))));
    assertEquals("Failed to initialize I2C bus 1: /dev/i2c-1: No such device",
        Pi4jI2c.causes(new RuntimeException("Failed to initialize I2C bus 1", new IOException("/dev/i2c-1: No such device"))));
    assertEquals("IllegalStateException", Pi4jI2c.causes(new IllegalStateException()));
  }
}
