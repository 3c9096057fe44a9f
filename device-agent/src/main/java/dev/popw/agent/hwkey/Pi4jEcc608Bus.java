package dev.popw.agent.hwkey;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.i2c.I2C;
import com.pi4j.io.i2c.I2CConfig;
import com.pi4j.io.i2c.I2CProvider;
import dev.popw.identity.ecc608.Ecc608Bus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ATECC608's bus on a Raspberry Pi: Pi4J's Linux file-system I²C provider ({@code /dev/i2c-N}).
 * The wake pulse is a one-byte write to address 0x00, whose address byte holds SDA low for 8 bit
 * times (80 µs at 100 kHz, more than t_WLO's 60 µs); nothing acknowledges it, as CryptoAuthLib's
 * Linux HAL also expects. Not yet run on hardware (docs/hardware-keys.md).
 */
final class Pi4jEcc608Bus implements Ecc608Bus {
  private final Context context;
  private final I2C chip;
  private final I2C general;
  private final int bus;
  private final int address;

  private Pi4jEcc608Bus(Context context, I2C chip, I2C general, int bus, int address) {
    this.context = context;
    this.chip = chip;
    this.general = general;
    this.bus = bus;
    this.address = address;
  }

  static Pi4jEcc608Bus open(int bus, int address) throws IOException {
    if (!Files.exists(Path.of("/dev/i2c-" + bus))) {
      throw new IOException("/dev/i2c-" + bus + " does not exist: enable I2C (raspi-config > Interface Options > I2C) and reboot");
    }
    Context ctx = Pi4J.newContextBuilder().autoDetectPlatforms().autoDetectProviders().build();
    try {
      I2CProvider provider = ctx.provider("linuxfs-i2c");
      I2CConfig c = I2C.newConfigBuilder(ctx).id("popw-ecc608-" + bus + "-" + address).bus(bus).device(address).build();
      I2CConfig g = I2C.newConfigBuilder(ctx).id("popw-ecc608-wake-" + bus).bus(bus).device(0x00).build();
      return new Pi4jEcc608Bus(ctx, provider.create(c), provider.create(g), bus, address);
    } catch (RuntimeException e) {
      ctx.shutdown();
      throw new IOException("cannot open I2C bus " + bus + " for the ATECC608: " + e.getMessage(), e);
    }
  }

  @Override
  public void wake() {
    try {
      general.write((byte) 0x00);
    } catch (RuntimeException expected) {
      // address 0x00 is not acknowledged: the pulse is what counts
    }
  }

  @Override
  public void write(byte[] bytes) throws IOException {
    try {
      int n = chip.write(bytes, 0, bytes.length);
      if (n != bytes.length) {
        throw new IOException("I2C write to " + describe() + " sent " + n + " of " + bytes.length + " bytes");
      }
    } catch (RuntimeException e) {
      throw new IOException("I2C write to " + describe() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void read(byte[] buffer) throws IOException {
    int n;
    try {
      n = chip.read(buffer, 0, buffer.length);
    } catch (RuntimeException e) {
      throw new IOException("not acknowledged: " + e.getMessage(), e);
    }
    if (n != buffer.length) {
      throw new IOException("read " + n + " of " + buffer.length + " bytes");
    }
  }

  @Override
  public String describe() {
    return String.format("ATECC608 at 0x%02x on I2C bus %d", address, bus);
  }

  @Override
  public void close() {
    chip.close();
    general.close();
    context.shutdown();
  }
}
