package dev.popw.identity.ecc608;

import java.io.IOException;

/**
 * The I²C link to one ATECC608: what the command protocol ({@link Ecc608}) needs from a bus. The
 * device agent binds it to Pi4J ({@code /dev/i2c-N}); tests bind it to a simulated chip.
 */
public interface Ecc608Bus extends AutoCloseable {
  /**
   * Wakes the chip: SDA held low for at least t<sub>WLO</sub> (60 µs), then t<sub>WHI</sub> (1.5 ms)
   * before the first read. On I²C this is usually a write to address 0x00 at 100 kHz, which the chip
   * does not acknowledge (implementations ignore that failure).
   */
  void wake() throws IOException;

  /** Writes bytes to the chip; the first is the word address (0x00 reset, 0x01 sleep, 0x02 idle, 0x03 command). */
  void write(byte[] bytes) throws IOException;

  /**
   * Reads {@code buffer.length} bytes from the chip.
   *
   * @throws IOException when the chip does not acknowledge (it is still executing, or asleep)
   */
  void read(byte[] buffer) throws IOException;

  /** How messages name the chip, e.g. {@code ATECC608 at 0x60 on I2C bus 1}. */
  String describe();

  @Override
  default void close() {}
}
