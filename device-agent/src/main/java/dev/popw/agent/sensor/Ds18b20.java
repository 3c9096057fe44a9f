package dev.popw.agent.sensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DS18B20 1-Wire thermometers through the Linux {@code w1_therm} driver: each sensor is a folder
 * {@code 28-xxxxxxxxxxxx} under {@code /sys/bus/w1/devices} with a {@code w1_slave} file like
 *
 * <pre>
 * 72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 * 72 01 4b 46 7f ff 0e 10 57 t=23125
 * </pre>
 *
 * The scratchpad's CRC-8 is checked here too (not only the kernel's YES), and the power-on value
 * 85.000 °C, which a sensor reports before its first conversion, is refused.
 */
public final class Ds18b20 {
  /** One thermometer's reading. */
  public record Reading(String sensorId, double temperatureC) {}

  private Ds18b20() {}

  /** The DS18B20 folders (family code 28) under a w1 devices directory. */
  public static List<Path> sensors(Path devicesDir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(devicesDir)) {
      throw new IOException(devicesDir + " does not exist: enable 1-Wire (raspi-config > Interface Options > 1-Wire) and reboot");
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(devicesDir, "28-*")) {
      ds.forEach(out::add);
    }
    out.sort(null);
    return out;
  }

  /** Reads one sensor folder. */
  public static Reading read(Path sensorDir) throws IOException {
    String id = sensorDir.getFileName().toString();
    return new Reading(id, parse(id, Files.readString(sensorDir.resolve("w1_slave"), StandardCharsets.US_ASCII)));
  }

  /**
   * Parses {@code w1_slave} text.
   *
   * @throws IOException naming the sensor when the CRC fails or the text is malformed
   */
  public static double parse(String sensorId, String text) throws IOException {
    String[] lines = text.strip().split("\n");
    if (lines.length < 2) {
      throw new IOException(sensorId + ": w1_slave has " + lines.length + " line(s), expected 2");
    }
    byte[] scratch = scratchpad(sensorId, lines[0]);
    if (!lines[0].strip().endsWith("YES")) {
      throw new IOException(sensorId + ": CRC check failed (kernel says NO); check the wiring and the 4.7 kOhm pull-up");
    }
    if (crc8(scratch, 8) != (scratch[8] & 0xFF)) {
      throw new IOException(sensorId + ": scratchpad CRC mismatch (computed 0x" + Integer.toHexString(crc8(scratch, 8))
          + ", read 0x" + Integer.toHexString(scratch[8] & 0xFF) + ")");
    }
    int t = lines[1].indexOf("t=");
    if (t < 0) {
      throw new IOException(sensorId + ": no t= value in w1_slave");
    }
    long milli;
    try {
      milli = Long.parseLong(lines[1].substring(t + 2).strip());
    } catch (NumberFormatException e) {
      throw new IOException(sensorId + ": bad t= value '" + lines[1].substring(t + 2).strip() + "'");
    }
    short raw = (short) ((scratch[0] & 0xFF) | (scratch[1] & 0xFF) << 8);
    if (Math.abs(raw * 62.5 - milli) > 62.5) {
      throw new IOException(sensorId + ": t=" + milli + " does not match the scratchpad (" + raw * 62.5 + ")");
    }
    if (milli == 85_000) {
      throw new IOException(sensorId + ": reports 85.000 °C, the power-on value (no conversion yet)");
    }
    if (milli < -55_000 || milli > 125_000) {
      throw new IOException(sensorId + ": " + milli / 1000.0 + " °C is outside the DS18B20's range");
    }
    return milli / 1000.0;
  }

  private static byte[] scratchpad(String sensorId, String line) throws IOException {
    String[] parts = line.strip().split("\\s+");
    if (parts.length < 9) {
      throw new IOException(sensorId + ": malformed w1_slave first line");
    }
    byte[] b = new byte[9];
    try {
      for (int i = 0; i < 9; i++) {
        b[i] = (byte) Integer.parseInt(parts[i], 16);
      }
    } catch (NumberFormatException e) {
      throw new IOException(sensorId + ": malformed scratchpad bytes in w1_slave");
    }
    return b;
  }

  /** Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected 0x8C). */
  static int crc8(byte[] data, int len) {
    int crc = 0;
    for (int i = 0; i < len; i++) {
      int b = data[i] & 0xFF;
      for (int bit = 0; bit < 8; bit++) {
        int mix = (crc ^ b) & 1;
        crc >>= 1;
        if (mix != 0) {
          crc ^= 0x8C;
        }
        b >>= 1;
      }
    }
    return crc;
  }
}
