package dev.popw.agent.sensor;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.i2c.I2C;
import com.pi4j.io.i2c.I2CConfig;
import com.pi4j.io.i2c.I2CProvider;
import java.io.IOException;

/** An {@link I2cDevice} on a Raspberry Pi through Pi4J's Linux file-system provider ({@code /dev/i2c-N}). */
public final class Pi4jI2c implements I2cDevice {
  private final Context context;
  private final I2C i2c;

  private Pi4jI2c(Context context, I2C i2c) {
    this.context = context;
    this.i2c = i2c;
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
      I2CConfig config = I2C.newConfigBuilder(ctx).id("popw-i2c-" + bus + "-" + address).bus(bus).device(address).build();
      return new Pi4jI2c(ctx, provider.create(config));
    } catch (RuntimeException e) {
      ctx.shutdown();
      throw new IOException("cannot open I2C bus " + bus + " address 0x" + Integer.toHexString(address) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void readRegisters(int register, byte[] buffer) throws IOException {
    try {
      int n = i2c.readRegister(register, buffer, 0, buffer.length);
      if (n != buffer.length) {
        throw new IOException("I2C read of register 0x" + Integer.toHexString(register) + " returned " + n + " bytes");
      }
    } catch (RuntimeException e) {
      throw new IOException("I2C read failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void writeRegister(int register, int value) throws IOException {
    try {
      i2c.writeRegister(register, (byte) value);
    } catch (RuntimeException e) {
      throw new IOException("I2C write failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    i2c.close();
    context.shutdown();
  }
}
