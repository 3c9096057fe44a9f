package dev.popw.agent.sensor;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.i2c.I2C;
import com.pi4j.io.i2c.I2CConfig;
import com.pi4j.io.i2c.I2CProvider;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An {@link I2cDevice} on a Raspberry Pi through Pi4J's Linux file-system provider ({@code /dev/i2c-N}).
 * Failures name the device as datasheets and {@code i2cdetect} do ({@code 0x76 on I2C bus 1}) and
 * carry the underlying cause's message, which Pi4J's own messages leave out.
 */
public final class Pi4jI2c implements I2cDevice {
  /** Pi4J's messages name the device in decimal ("... for device 118 on bus 1") and say nothing more than ours. */
  private static final Pattern PI4J_DEVICE_MESSAGE = Pattern.compile("(?i).*\\bdevice \\d+ on bus \\d+.*");

  private final Context context;
  private final I2C i2c;
  private final int bus;
  private final int address;

  Pi4jI2c(Context context, I2C i2c, int bus, int address) {
    this.context = context;
    this.i2c = i2c;
    this.bus = bus;
    this.address = address;
  }

  /**
   * Opens a device on a bus.
   *
   * @throws IOException with what to check when the bus cannot be opened
   */
  public static Pi4jI2c open(int bus, int address) throws IOException {
    if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/i2c-" + bus))) {
      throw new IOException("/dev/i2c-" + bus + " does not exist: enable I2C (raspi-config > Interface Options > I2C) and reboot");
    }
    Context ctx = Pi4J.newContextBuilder().autoDetectPlatforms().autoDetectProviders().build();
    try {
      I2CProvider provider = ctx.provider("linuxfs-i2c");
      I2CConfig config = I2C.newConfigBuilder(ctx).id("popw-i2c-" + bus + "-" + hex(address)).bus(bus).device(address).build();
      return new Pi4jI2c(ctx, provider.create(config), bus, address);
    } catch (RuntimeException e) {
      ctx.shutdown();
      throw new IOException("cannot open " + describe(bus, address) + ": " + causes(e), e);
    }
  }

  @Override
  public String describe() {
    return describe(bus, address);
  }

  @Override
  public void readRegisters(int register, byte[] buffer) throws IOException {
    int n;
    try {
      n = i2c.readRegister(register, buffer, 0, buffer.length);
    } catch (RuntimeException e) {
      throw new IOException("I2C read of register " + hex(register) + " from " + describe() + " failed: " + causes(e), e);
    }
    if (n != buffer.length) {
      throw new IOException("I2C read of register " + hex(register) + " from " + describe() + " returned " + n + " of "
          + buffer.length + " bytes");
    }
  }

  @Override
  public void writeRegister(int register, int value) throws IOException {
    try {
      i2c.writeRegister(register, (byte) value);
    } catch (RuntimeException e) {
      throw new IOException("I2C write of register " + hex(register) + " at " + describe() + " failed: " + causes(e), e);
    }
  }

  @Override
  public void close() {
    i2c.close();
    if (context != null) {
      context.shutdown();
    }
  }

  static String describe(int bus, int address) {
    return hex(address) + " on I2C bus " + bus;
  }

  /** {@code 0x76}: two hex digits, as I2C addresses and registers are written. */
  static String hex(int value) {
    return String.format("0x%02x", value);
  }

  /** The messages along the cause chain (a bus error's errno text is at the bottom), without Pi4J's decimal restatement. */
  static String causes(Throwable e) {
    List<String> parts = new ArrayList<>();
    for (Throwable t = e; t != null && parts.size() < 5; t = t.getCause() == t ? null : t.getCause()) {
      String m = t.getMessage();
      if (m == null || m.isBlank() || PI4J_DEVICE_MESSAGE.matcher(m).matches() || (t.getCause() != null && m.equals(t.getCause().toString()))) {
        continue;
      }
      if (!parts.contains(m.strip())) {
        parts.add(m.strip());
      }
    }
    if (parts.isEmpty()) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      parts.add(root.getClass().getSimpleName());
    }
    return String.join(": ", parts);
  }
}
