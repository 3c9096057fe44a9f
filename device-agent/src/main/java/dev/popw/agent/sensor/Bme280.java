package dev.popw.agent.sensor;

import java.io.IOException;

/**
 * Bosch BME280 (temperature, humidity, pressure) over I2C, in forced mode with 1x oversampling.
 * The compensation is the datasheet's fixed-point code (BST-BME280-DS002, section 4.2.3): 32-bit
 * for temperature and humidity, 64-bit for pressure.
 */
public final class Bme280 {
  public static final int CHIP_ID = 0x60;
  static final int REG_CHIP_ID = 0xD0;
  static final int REG_CALIB_00 = 0x88;
  static final int REG_CALIB_26 = 0xE1;
  static final int REG_CTRL_HUM = 0xF2;
  static final int REG_STATUS = 0xF3;
  static final int REG_CTRL_MEAS = 0xF4;
  static final int REG_DATA = 0xF7;

  /** One compensated reading. */
  public record Reading(double temperatureC, double pressurePa, double humidityPercent) {}

  /** The factory calibration words (datasheet table 16). */
  public record Calibration(int t1, int t2, int t3, int p1, int p2, int p3, int p4, int p5, int p6, int p7, int p8, int p9,
      int h1, int h2, int h3, int h4, int h5, int h6) {

    /** Decodes registers 0x88..0xA1 (26 bytes) and 0xE1..0xE7 (7 bytes). */
    public static Calibration decode(byte[] c0, byte[] c1) {
      return new Calibration(u16(c0, 0), s16(c0, 2), s16(c0, 4), u16(c0, 6), s16(c0, 8), s16(c0, 10), s16(c0, 12),
          s16(c0, 14), s16(c0, 16), s16(c0, 18), s16(c0, 20), s16(c0, 22), c0[25] & 0xFF,
          s16(c1, 0), c1[2] & 0xFF, (c1[3] << 4) | (c1[4] & 0x0F), (c1[5] << 4) | ((c1[4] & 0xFF) >> 4), c1[6]);
    }

    private static int u16(byte[] b, int i) {
      return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static int s16(byte[] b, int i) {
      return (short) u16(b, i);
    }
  }

  private final I2cDevice device;
  private final Calibration cal;

  private Bme280(I2cDevice device, Calibration cal) {
    this.device = device;
    this.cal = cal;
  }

  /**
   * Checks the chip id and reads the calibration.
   *
   * @throws IOException if the bus fails or the chip at the address is not a BME280
   */
  public static Bme280 open(I2cDevice device) throws IOException {
    int id = device.readRegister(REG_CHIP_ID);
    if (id != CHIP_ID) {
      throw new IOException(String.format("no BME280 at %s: chip id is 0x%02x, expected 0x60", device.describe(), id)
          + (id == 0x58 ? " (0x58 is a BMP280, which has no humidity sensor)" : ""));
    }
    byte[] c0 = new byte[26];
    byte[] c1 = new byte[7];
    device.readRegisters(REG_CALIB_00, c0);
    device.readRegisters(REG_CALIB_26, c1);
    return new Bme280(device, Calibration.decode(c0, c1));
  }

  public Calibration calibration() {
    return cal;
  }

  /** Triggers one forced measurement and returns it compensated. */
  public Reading read() throws IOException {
    device.writeRegister(REG_CTRL_HUM, 0x01); // humidity x1 (takes effect with the next ctrl_meas write)
    device.writeRegister(REG_CTRL_MEAS, (1 << 5) | (1 << 2) | 0x01); // temperature x1, pressure x1, forced
    long deadline = System.nanoTime() + 100_000_000L;
    while ((device.readRegister(REG_STATUS) & 0x08) != 0) { // measuring
      if (System.nanoTime() > deadline) {
        throw new IOException("BME280 at " + device.describe() + ": measurement did not finish within 100 ms");
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the BME280", e);
      }
    }
    byte[] d = new byte[8];
    device.readRegisters(REG_DATA, d);
    int adcP = (d[0] & 0xFF) << 12 | (d[1] & 0xFF) << 4 | (d[2] & 0xFF) >> 4;
    int adcT = (d[3] & 0xFF) << 12 | (d[4] & 0xFF) << 4 | (d[5] & 0xFF) >> 4;
    int adcH = (d[6] & 0xFF) << 8 | (d[7] & 0xFF);
    if (adcT == 0x80000) {
      throw new IOException("BME280 at " + device.describe() + " returned no temperature (measurement skipped)");
    }
    return compensate(cal, adcT, adcP, adcH);
  }

  /** The datasheet's fixed-point compensation of raw ADC values. */
  public static Reading compensate(Calibration c, int adcT, int adcP, int adcH) {
    int var1 = (((adcT >> 3) - (c.t1() << 1)) * c.t2()) >> 11;
    int var2 = (((((adcT >> 4) - c.t1()) * ((adcT >> 4) - c.t1())) >> 12) * c.t3()) >> 14;
    int tFine = var1 + var2;
    int t = (tFine * 5 + 128) >> 8; // 0.01 degC
    return new Reading(t / 100.0, pressure(c, tFine, adcP) / 256.0, humidity(c, tFine, adcH) / 1024.0);
  }

  private static long pressure(Calibration c, int tFine, int adcP) {
    long var1 = (long) tFine - 128000;
    long var2 = var1 * var1 * c.p6();
    var2 = var2 + ((var1 * c.p5()) << 17);
    var2 = var2 + (((long) c.p4()) << 35);
    var1 = ((var1 * var1 * c.p3()) >> 8) + ((var1 * c.p2()) << 12);
    var1 = (((1L << 47) + var1) * c.p1()) >> 33;
    if (var1 == 0) {
      return 0; // avoid division by zero (uncalibrated chip)
    }
    long p = 1048576 - adcP;
    p = (((p << 31) - var2) * 3125) / var1;
    var1 = (((long) c.p9()) * (p >> 13) * (p >> 13)) >> 25;
    var2 = (((long) c.p8()) * p) >> 19;
    return ((p + var1 + var2) >> 8) + (((long) c.p7()) << 4); // Q24.8 Pa
  }

  private static long humidity(Calibration c, int tFine, int adcH) {
    int v = tFine - 76800;
    v = (((((adcH << 14) - (c.h4() << 20) - (c.h5() * v)) + 16384) >> 15)
        * (((((((v * c.h6()) >> 10) * (((v * c.h3()) >> 11) + 32768)) >> 10) + 2097152) * c.h2() + 8192) >> 14));
    v = v - (((((v >> 15) * (v >> 15)) >> 7) * c.h1()) >> 4);
    v = Math.max(0, Math.min(v, 419430400));
    return (v >>> 12) & 0xFFFFFFFFL; // Q22.10 %RH
  }
}
